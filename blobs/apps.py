"""App config for blobs."""

from django.apps import AppConfig


class BlobsConfig(AppConfig):
    name = "blobs"
    verbose_name = "Blob storage"
