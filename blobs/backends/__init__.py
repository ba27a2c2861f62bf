"""Blob storage backends: the BlobBackend protocol and the backend of the configured `blobs` storage."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.core.files.storage import storages

from .base import KEY_PREFIX, READ_CHUNK, BlobBackend, MultipartRefused, Sink

__all__ = ["KEY_PREFIX", "READ_CHUNK", "BlobBackend", "MultipartRefused", "Sink", "get_backend"]


def get_backend() -> BlobBackend:
    """The backend of the `blobs` storage configured in settings.STORAGES."""
    return _backend_for(storages["blobs"])


@lru_cache(maxsize=8)
def _backend_for(storage) -> BlobBackend:
    # Django keeps one storage object until STORAGES changes; its backend is kept with it.
    if hasattr(storage, "bucket_name"):
        from .s3 import S3Backend  # boto is loaded only where S3 is configured

        return S3Backend(storage)
    from .local import LocalBackend

    return LocalBackend(Path(storage.location))
