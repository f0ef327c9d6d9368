"""Settings: a SQLite file in the folder DRF_APP_DATA names (a temporary folder the test makes), no
authentication, no sessions, English messages."""

from __future__ import annotations

import os
from pathlib import Path

SECRET_KEY = "drf-app-for-tests-only"  # a loopback test server: no sessions, nothing signed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.independent.drf_app.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "rest_framework",
    "django_filters",
    "tests.independent.drf_app",
]
MIDDLEWARE: list[str] = []
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(os.environ.get("DRF_APP_DATA", ".")) / "items.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Decimals as JSON numbers, so that a record's price compares by value with a query's bound.
    "COERCE_DECIMAL_TO_STRING": False,
}
