"""The ASGI entry for tests.independent.launch.asgi_process: creates the tables in the SQLite file of
DRF_APP_DATA (a fresh folder) and seeds them before serving."""

from __future__ import annotations

import os

import django
from django.core.asgi import get_asgi_application
from django.core.management import call_command

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.independent.drf_app.settings")
django.setup()
call_command("migrate", run_syncdb=True, verbosity=0)

from .models import Item  # noqa: E402 - the app registry is ready only after django.setup()
from .seed import rows  # noqa: E402

Item.objects.all().delete()
Item.objects.bulk_create(Item(**row) for row in rows())
application = get_asgi_application()
