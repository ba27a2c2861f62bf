"""App config for harvest."""

from django.apps import AppConfig


class HarvestConfig(AppConfig):
    name = "harvest"
