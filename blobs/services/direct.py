"""Direct uploads: pre-signed PUT URLs for one object or its parts (the backend's own, or this
server's signed URLs on local storage), completing, aborting and sweeping multipart uploads, and
adopting the uploaded object as a blob after checking it."""

from __future__ import annotations

import logging
import math
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import Conflict, InvalidInput, NotFound

from ..backends import MultipartRefused, get_backend
from ..models import MultipartUpload
from ..signed import PutRefused, put_grant
from ..streams import LimitExceeded, ShortStream, copy_hashed
from .writes import BlobTooLarge, StagedBlob, blob_new_key

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB
DIRECT_PREFIX = "blobs/direct/"
TEMP_TAG = "dv-state=temp"
# Dataverse's names of the checksums a client may give, and hashlib's.
HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}

__all__ = [
    "Adopted",
    "DirectTicket",
    "PutRefused",
    "direct_adopt",
    "direct_key",
    "direct_part_size",
    "direct_put_receive",
    "direct_restore",
    "direct_upload_start",
    "multipart_abort",
    "multipart_complete",
    "multipart_get",
    "multipart_spool",
    "multipart_sweep_expired",
]


def direct_part_size() -> int:
    """The configured part size in whole MiB, at least 5 MiB (dvuploader reads 1 MiB blocks and
    loses bytes at a part boundary that is not on one; S3 refuses smaller parts)."""
    return max(MIN_PART_BYTES, settings.NEXUS_DIRECT_UPLOAD_PART_BYTES // MIB * MIB)


def direct_key(*, namespace: str, name: str) -> str:
    """Where a direct upload lands before it is adopted: under the blobs prefix, so that the orphan
    sweep removes what is never registered."""
    return f"{DIRECT_PREFIX}{namespace}/{name}"


@dataclass
class DirectTicket:
    part_size: int
    url: str | None = None
    urls: list[str] = field(default_factory=list)
    upload: MultipartUpload | None = None


def _part_sizes(size: int, part_size: int) -> list[int]:
    """Every part is `part_size` bytes but the last, which holds the rest."""
    count = math.ceil(size / part_size)
    return [part_size] * (count - 1) + [size - part_size * (count - 1)]


def direct_upload_start(*, key: str, size: int, scope: str, ttl: int | None = None) -> DirectTicket:
    """A ticket for `size` bytes under `key`: one PUT URL when it fits a part (no state is created),
    else a multipart upload of ceil(size / part size) parts, recorded until completed or aborted."""
    ttl = settings.NEXUS_LINK_TTL_SECONDS if ttl is None else ttl
    part_size = direct_part_size()
    backend = get_backend()
    if size <= part_size:
        return DirectTicket(part_size=part_size, url=backend.presigned_put(key, ttl=ttl, size=size, tagging=TEMP_TAG))
    sizes = _part_sizes(size, part_size)
    upload_id = backend.multipart_start(key)
    try:
        upload = MultipartUpload.objects.create(
            token=secrets.token_hex(16),
            key=key,
            scope=scope,
            size=size,
            part_size=part_size,
            part_count=len(sizes),
            s3_upload_id=upload_id,  # the storage's id of the upload, whatever the storage
            expires_at=timezone.now() + timedelta(seconds=ttl),
        )
    except BaseException:
        backend.multipart_abort(key, upload_id=upload_id)
        raise
    urls = [
        backend.presigned_upload_part(key, upload_id=upload_id, number=n, size=part, ttl=ttl)
        for n, part in enumerate(sizes, start=1)
    ]
    return DirectTicket(part_size=part_size, urls=urls, upload=upload)


def direct_put_receive(*, signed: str, stream, content_length: int | None) -> str:
    """Stores the body of a PUT to this server's signed URL (the whole object, or one part) and
    returns its ETag: the MD5 of the bytes, quoted, as S3 answers."""
    grant = put_grant(signed=signed)
    if content_length is None:
        raise PutRefused(411, "A Content-Length header is required.")
    backend = get_backend()
    if grant.part and not MultipartUpload.objects.filter(s3_upload_id=grant.upload_id, key=grant.key).exists():
        raise PutRefused(404, "The multipart upload does not exist (completed, aborted or expired).")
    if content_length != grant.size:
        what = f"part {grant.part}" if grant.part else "the file"
        raise PutRefused(400, f"The body is {content_length} bytes; this URL takes {what} of {grant.size} bytes.")
    if grant.part:
        sink = backend.open_part_sink(grant.key, upload_id=grant.upload_id, number=grant.part)
    else:
        sink = backend.open_sink(grant.key, "application/octet-stream")
    try:
        copied = copy_hashed(stream, sink, hashes=("md5",), length=content_length)
        sink.finish()
    except ShortStream as short:
        sink.abort()
        raise PutRefused(400, f"The body ended {short.missing} bytes short of its Content-Length.") from None
    except BaseException:
        sink.abort()
        raise
    return f'"{copied.digests["md5"]}"'


def multipart_get(*, token: str) -> MultipartUpload:
    upload = MultipartUpload.objects.filter(token=token).first()
    if upload is None:
        raise NotFound("No such multipart upload: it was completed, aborted or has expired.")
    return upload


def _etag(value) -> str:
    if not isinstance(value, str) or not value.strip('" '):
        raise InvalidInput("Each part's ETag must be a non-empty string.")
    return value.strip().strip('"').lower()


def multipart_complete(*, upload: MultipartUpload, etags: dict) -> None:
    """Assembles the object from its parts, in part order, after checking that every part of the
    ticket is named once with the ETag it was answered with (quoted or not). A refusal keeps the
    parts: the client may complete again, or abort."""
    try:
        given = {int(number): _etag(value) for number, value in etags.items()}
    except (TypeError, ValueError):
        raise InvalidInput("The body must be a JSON object of part numbers to ETags.") from None
    expected = set(range(1, upload.part_count + 1))
    if set(given) != expected:
        missing = sorted(expected - set(given))
        extra = sorted(set(given) - expected)
        raise InvalidInput(
            f"The upload has parts 1 to {upload.part_count}; missing {missing or 'none'}, unknown {extra or 'none'}."
        )
    backend = get_backend()
    with transaction.atomic():
        locked = MultipartUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if locked is None:
            raise NotFound("No such multipart upload: it was completed, aborted or has expired.")
        try:
            backend.multipart_complete(upload.key, upload_id=upload.s3_upload_id, etags=given)
        except MultipartRefused as refused:
            raise InvalidInput(refused.message) from None
        locked.delete()


def multipart_spool(token: str):
    """The local directory where a resumable upload's part being filled waits (blobs.services.resumable)."""
    return settings.VAR_DIR / "spool" / "multipart" / token


def multipart_abort(*, upload: MultipartUpload) -> None:
    """Removes every part (a spooled one included) and the record; aborting twice is harmless."""
    get_backend().multipart_abort(upload.key, upload_id=upload.s3_upload_id)
    shutil.rmtree(multipart_spool(upload.token), ignore_errors=True)
    MultipartUpload.objects.filter(pk=upload.pk).delete()


def multipart_sweep_expired() -> int:
    """Aborts the multipart uploads whose ticket has expired; returns how many. One that a complete
    is assembling right now (its row is locked) is left for the next sweep; one that fails to abort
    is logged and the sweep goes on."""
    aborted = 0
    expired = MultipartUpload.objects.filter(expires_at__lt=timezone.now())
    for pk in list(expired.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                upload = expired.select_for_update(skip_locked=True).filter(pk=pk).first()
                if upload is None:
                    continue
                multipart_abort(upload=upload)
        except Exception:
            logger.exception("could not abort the expired multipart upload %s", pk)
            continue
        aborted += 1
    if aborted:
        logger.info("aborted %d expired multipart uploads", aborted)
    return aborted


@dataclass
class Adopted:
    """A directly uploaded object moved to a blob key of its own and read once: the staged blob and
    the digests asked for (hex, by Dataverse's algorithm names)."""

    staged: StagedBlob
    digests: dict[str, str]
    source_key: str


def direct_adopt(*, key: str, algorithms: set[str], max_bytes: int | None = None) -> Adopted:
    """Moves the uploaded object under `key` to a fresh blob key first (so a late PUT to the old URL
    cannot change bytes that are being checked or registered), then reads it once for its size,
    SHA-256, MD5 and the `algorithms` asked for. A refusal puts the object back where it was."""
    max_bytes = settings.NEXUS_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    backend = get_backend()
    if MultipartUpload.objects.filter(key=key).exists():
        raise Conflict("The multipart upload of this object has not been completed.")
    target = blob_new_key()
    try:
        backend.move(key, target)
    except FileNotFoundError:
        raise NotFound("No uploaded object has this storage identifier (never uploaded, or registered).") from None
    hashes = ["sha256", "md5", *(HASHES[name] for name in algorithms)]
    try:
        with backend.open_reader(target) as reader:
            copied = copy_hashed(reader, hashes=hashes, max_bytes=max_bytes)
    except LimitExceeded:
        direct_restore(source_key=key, blob_key=target)
        raise BlobTooLarge(f"The uploaded object exceeds the maximum size of {max_bytes} bytes.") from None
    except BaseException:
        direct_restore(source_key=key, blob_key=target)
        raise
    digests = copied.digests
    staged = StagedBlob(key=target, size=copied.size, sha256=digests["sha256"], md5=digests["md5"])
    return Adopted(staged=staged, digests={name: digests[HASHES[name]] for name in algorithms}, source_key=key)


def direct_restore(*, source_key: str, blob_key: str) -> None:
    """Undoes an adoption that was not registered: the object goes back under its upload key."""
    try:
        get_backend().move(blob_key, source_key)
    except FileNotFoundError:
        logger.warning("could not put %s back under %s: it is gone", blob_key, source_key)
