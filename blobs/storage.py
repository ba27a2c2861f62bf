"""Kept for the callers that still import the backend from here: it is blobs.backends' now (other
apps use blobs.services and blobs.selectors instead)."""

from .backends import KEY_PREFIX, READ_CHUNK, get_backend

__all__ = ["KEY_PREFIX", "READ_CHUNK", "get_backend"]  # and, on demand, LocalBackend and S3Backend


def __getattr__(name: str):
    # Loaded on demand, so that importing this module does not load boto.
    if name == "S3Backend":
        from .backends.s3 import S3Backend

        return S3Backend
    if name == "LocalBackend":
        from .backends.local import LocalBackend

        return LocalBackend
    raise AttributeError(name)
