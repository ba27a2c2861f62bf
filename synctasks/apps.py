"""App config for synctasks."""

from django.apps import AppConfig


class SynctasksConfig(AppConfig):
    name = "synctasks"
