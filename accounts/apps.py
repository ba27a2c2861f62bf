"""App config for accounts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and tokens"

    def ready(self):
        from . import schema  # noqa: F401 (registers the OpenAPI description of the token auth)
