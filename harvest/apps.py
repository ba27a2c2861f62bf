"""App config for harvest."""

from django.apps import AppConfig


class HarvestConfig(AppConfig):
    name = "harvest"

    def ready(self):
        from .dbtypes import register

        register()
