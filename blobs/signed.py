"""This server's own signed URLs, which local storage answers in place of S3's pre-signed ones:
the expiring download link and the direct-upload PUT (one object or one part)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache

from django.core import signing
from django.urls import reverse

LINK_SALT = "blobs.download"
PUT_SALT = "blobs.direct-put"
LINK_STEP = 300


class LinkRefused(Exception):
    """A signed link that was tampered with, or has expired."""


class PutRefused(Exception):
    """A local direct PUT that is not allowed: bad or expired signature (403), unknown upload (404)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def download_link(key: str, *, filename: str, ttl: int) -> str:
    """A signed app path that downloads `key` under `filename` until about `ttl` seconds from now."""
    now = int(time.time())
    if ttl <= 2 * LINK_STEP:
        return _download_link(key, filename, now + ttl)
    # A long-lived link expires at a 5-minute step (after ttl - 5 minutes to ttl), so a blob gets the
    # same link for 5 minutes: a list of 1,000 uploads signs each link once, not at every request.
    return _download_link(key, filename, (now + ttl) // LINK_STEP * LINK_STEP)


@lru_cache(maxsize=20_000)
def _download_link(key: str, filename: str, expires: int) -> str:
    signed = signing.dumps({"k": key, "e": expires, "n": filename}, salt=LINK_SALT, compress=True)
    return reverse("blobs:download", kwargs={"signed": signed, "filename": filename or "download"})


def download_grant(*, signed: str, filename: str) -> tuple[str, str]:
    """The key a signed download link grants and the filename to serve it under, or LinkRefused."""
    try:
        payload = signing.loads(signed, salt=LINK_SALT)
    except signing.BadSignature:
        raise LinkRefused("The link's signature does not match.") from None
    if payload.get("e", 0) < time.time():
        raise LinkRefused("The link has expired.")
    if (payload.get("n") or "download") != filename:
        raise LinkRefused("The link's signature does not match.")
    return payload.get("k"), payload.get("n") or ""


@dataclass(frozen=True)
class PutGrant:
    """What a signed PUT URL takes: `size` bytes for `key` (part 0) or for part `part` of the
    multipart upload `upload_id` under `key`."""

    key: str
    part: int
    size: int
    upload_id: str


def put_url(*, key: str, part: int, size: int, upload_id: str, ttl: int) -> str:
    payload = {"k": key, "p": part, "s": size, "u": upload_id, "e": int(time.time()) + ttl}
    signed = signing.dumps(payload, salt=PUT_SALT)
    return reverse("blobs:direct-put", kwargs={"signed": signed})


def put_grant(*, signed: str) -> PutGrant:
    """The grant of a signed PUT URL, or PutRefused (403) when it is forged or has expired."""
    try:
        payload = signing.loads(signed, salt=PUT_SALT)
    except signing.BadSignature:
        raise PutRefused(403, "The URL's signature does not match.") from None
    if payload["e"] < time.time():
        raise PutRefused(403, "The URL has expired.")
    return PutGrant(key=payload["k"], part=payload["p"], size=payload["s"], upload_id=payload["u"])
