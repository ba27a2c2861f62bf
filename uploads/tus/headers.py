"""The tus 1.0 request headers, parsed and bounded: Upload-Length, Upload-Offset, Upload-Metadata,
Upload-Checksum; and the protocol's constants."""

from __future__ import annotations

import base64
import binascii
import re

from django.conf import settings

from blobs.services import CHECKSUM_ALGORITHMS
from core.errors import InvalidInput, NexusError

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,termination,expiration,checksum"
OFFSET_TYPE = "application/offset+octet-stream"
_INTEGER = re.compile(r"[0-9]{1,19}")
_KEY = re.compile(r"[!-+\--~]+")  # printable ASCII without space and comma


class VersionUnsupported(NexusError):
    status = 412
    code = "tus_version"


class MediaTypeUnsupported(NexusError):
    status = 415
    code = "media_type"


class LengthRequired(NexusError):
    status = 411
    code = "length_required"


def _integer(name: str, raw: str) -> int:
    raw = raw.strip()
    if not _INTEGER.fullmatch(raw):
        raise InvalidInput(f"{name} must be a non-negative integer.")
    return int(raw)


def check_version(headers) -> None:
    if headers.get("Tus-Resumable") != TUS_VERSION:
        raise VersionUnsupported(f"This server speaks tus {TUS_VERSION}; send 'Tus-Resumable: {TUS_VERSION}'.")


def creation_length(headers) -> int | None:
    """Upload-Length, or None for `Upload-Defer-Length: 1`; exactly one of them (400)."""
    length, defer = headers.get("Upload-Length"), headers.get("Upload-Defer-Length")
    if length is not None and defer is not None:
        raise InvalidInput("Send Upload-Length or Upload-Defer-Length, not both.")
    if length is not None:
        return _integer("Upload-Length", length)
    if defer is None:
        raise InvalidInput("Upload-Length (or Upload-Defer-Length: 1) is required.")
    if defer.strip() != "1":
        raise InvalidInput("Upload-Defer-Length must be 1.")
    return None


def optional_length(headers) -> int | None:
    raw = headers.get("Upload-Length")
    return None if raw is None else _integer("Upload-Length", raw)


def offset(headers) -> int:
    raw = headers.get("Upload-Offset")
    if raw is None:
        raise InvalidInput("Upload-Offset is required.")
    return _integer("Upload-Offset", raw)


def content_length(headers, *, required: bool = True) -> int:
    raw = headers.get("Content-Length")
    if raw is None or not raw.strip():
        if not required:
            return 0
        raise LengthRequired("Content-Length is required (a chunked body is not taken).")
    return _integer("Content-Length", raw)


def check_offset_type(headers) -> None:
    media = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if media != OFFSET_TYPE:
        raise MediaTypeUnsupported(f"Content-Type must be {OFFSET_TYPE}.")


def metadata(headers) -> dict[str, str]:
    """Upload-Metadata: comma-separated `key base64value` pairs (a value may be absent), keys unique,
    within NEXUS_TUS_MAX_METADATA_CHARS; values decoded as UTF-8."""
    raw = headers.get("Upload-Metadata") or ""
    if len(raw) > settings.NEXUS_TUS_MAX_METADATA_CHARS:
        raise InvalidInput(f"Upload-Metadata is longer than {settings.NEXUS_TUS_MAX_METADATA_CHARS} characters.")
    pairs: dict[str, str] = {}
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition(" ")
        if not _KEY.fullmatch(key) or key in pairs:
            raise InvalidInput("Upload-Metadata keys must be unique and printable, without spaces or commas.")
        try:
            pairs[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"Upload-Metadata '{key}' is not base64 of UTF-8 text.") from None
    return pairs


def encode_metadata(pairs: dict[str, str]) -> str:
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in pairs.items())


def checksum(headers) -> tuple[str, bytes] | None:
    """Upload-Checksum `<algorithm> <base64 digest>`: an algorithm not offered is a 400."""
    raw = headers.get("Upload-Checksum")
    if raw is None:
        return None
    algorithm, _, value = raw.strip().partition(" ")
    if algorithm.lower() not in CHECKSUM_ALGORITHMS:
        raise InvalidInput(
            f"Upload-Checksum algorithm '{algorithm[:20]}' is not supported; "
            f"use one of {','.join(CHECKSUM_ALGORITHMS)}."
        )
    try:
        return algorithm.lower(), base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        raise InvalidInput("Upload-Checksum's digest is not base64.") from None
