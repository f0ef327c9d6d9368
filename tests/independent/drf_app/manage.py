"""`python -m tests.independent.drf_app.manage generateschema` and other Django commands, from the
repository's root."""

import os
import sys

from django.core.management import execute_from_command_line

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.independent.drf_app.settings")
    execute_from_command_line(sys.argv)
