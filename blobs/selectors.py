"""Reads of blobs: open a stream, temporary download links, and the blob a signed link grants."""

import time
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.urls import reverse

from .models import Blob
from .storage import LocalBackend, S3Backend, get_backend

LINK_SALT = "blobs.download"


def blob_open(*, blob: Blob):
    """A readable binary stream of the blob's bytes; the caller closes it."""
    return get_backend().open_reader(blob.key)


def blob_open_seekable(*, key: str):
    """A seekable binary stream of stored bytes (recorded or only staged); the caller closes it."""
    return get_backend().open_seekable(key)


def blob_iter_chunks(*, blob: Blob, chunk_size: int = 1024 * 1024):
    reader = blob_open(blob=blob)
    try:
        while chunk := reader.read(chunk_size):
            yield chunk
    finally:
        reader.close()


def blob_download_url(*, blob: Blob | None = None, key: str = "", filename: str = "", ttl: int | None = None) -> str:
    """A temporary download link to a blob (or the blob under `key`): S3 pre-signed GET (absolute),
    or a signed app path (local)."""
    key = blob.key if blob is not None else key
    ttl = settings.NEXUS_LINK_TTL_SECONDS if ttl is None else ttl
    backend = get_backend()
    if isinstance(backend, S3Backend):
        return backend.presigned_get(key, filename=filename, ttl=ttl)
    assert isinstance(backend, LocalBackend)
    now = int(time.time())
    if ttl <= 2 * LINK_STEP:
        return _local_link(key, filename, now + ttl)
    # A long-lived link expires at a 5-minute step (after ttl - 5 minutes to ttl), so a blob gets the
    # same link for 5 minutes: a list of 1,000 uploads signs each link once, not at every request.
    return _local_link(key, filename, (now + ttl) // LINK_STEP * LINK_STEP)


LINK_STEP = 300


@lru_cache(maxsize=20_000)
def _local_link(key: str, filename: str, expires: int) -> str:
    signed = signing.dumps({"k": key, "e": expires, "n": filename}, salt=LINK_SALT, compress=True)
    return reverse("blobs:download", kwargs={"signed": signed, "filename": filename or "download"})


class LinkRefused(Exception):
    """A signed link that was tampered with, or has expired."""


def blob_from_signed_link(*, signed: str, filename: str) -> tuple[Blob, str]:
    """The blob a signed link grants and the filename to serve it under, or LinkRefused."""
    try:
        payload = signing.loads(signed, salt=LINK_SALT)
    except signing.BadSignature:
        raise LinkRefused("The link's signature does not match.") from None
    if payload.get("e", 0) < time.time():
        raise LinkRefused("The link has expired.")
    if (payload.get("n") or "download") != filename:
        raise LinkRefused("The link's signature does not match.")
    blob = Blob.objects.filter(key=payload.get("k")).first()
    if blob is None:
        raise LinkRefused("The object no longer exists.")
    return blob, payload.get("n") or ""


def blob_open_zip(*, key: str, name: str, limits=None):
    """A stored zip opened within limits (blobs.archives.SafeZip); ArchiveRefused if it cannot be
    read safely. The caller closes it (it is a context manager) while the stream stays open."""
    from .archives import SafeZip

    stream = get_backend().open_seekable(key)
    try:
        archive = SafeZip(stream, name=name, limits=limits)
    except BaseException:
        stream.close()
        raise
    original_close = archive.close

    def close():
        try:
            original_close()
        finally:
            stream.close()

    archive.close = close
    return archive
