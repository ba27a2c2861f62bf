"""App config for blobs."""

from django.apps import AppConfig


class BlobsConfig(AppConfig):
    name = "blobs"
    verbose_name = "Blob storage"

    def ready(self):
        from . import schema  # noqa: F401 (registers the OpenAPI description of the signed links)
