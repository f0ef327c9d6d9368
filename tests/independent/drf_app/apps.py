from django.apps import AppConfig


class ItemsConfig(AppConfig):
    name = "tests.independent.drf_app"
    label = "items"
