"""Resumable uploads whose bytes this server appends as they arrive (tus): a session per upload,
appending with checkpoints and checksums, completing into staged bytes, aborting."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction

from core.errors import NexusError, PayloadTooLarge

from ..backends import READ_CHUNK, get_backend
from ..models import MultipartUpload
from ..streams import MultiHash
from .direct import multipart_abort, multipart_spool
from .writes import StagedBlob, blob_new_key

# What a client may name in Upload-Checksum (tus' names are hashlib's).
CHECKSUM_ALGORITHMS = ("sha1", "md5", "sha256")


class StreamInterrupted(Exception):
    """The request body ended before its Content-Length: the client went away mid-request."""


class ChecksumMismatch(NexusError):
    """The chunk's bytes do not have the checksum the client sent; they were discarded."""

    status = 460
    code = "checksum_mismatch"


@dataclass(frozen=True)
class Appended:
    offset: int
    interrupted: bool  # the body was cut short; what arrived is kept


def resumable_start(*, scope: str, length: int | None, expires_at) -> MultipartUpload:
    """A session for an upload's bytes: a fresh key, nothing stored yet. `length` may be unknown."""
    key = blob_new_key()
    return MultipartUpload.objects.create(
        token=secrets.token_hex(16),
        key=key,
        scope=scope,
        size=length or 0,
        part_size=0,
        part_count=0,
        s3_upload_id=get_backend().multipart_start(key),
        expires_at=expires_at,
    )


def resumable_append(
    *,
    session: MultipartUpload,
    offset: int,
    chunks: Iterable[bytes],
    limit: int,
    checksum: tuple[str, bytes] | None,
    recorded: Callable[[int], None],
    checkpoint_bytes: int,
    expires_at,
) -> Appended:
    """Appends `chunks` after the `offset` bytes recorded, up to `limit` bytes in all (413 past it, the
    request's bytes dropped). Without a checksum, progress is made durable and `recorded(offset)` called
    every `checkpoint_bytes`, inside the transaction that records the session's parts and moves its
    expiry to `expires_at`, so that a client or server gone mid-request loses at most that much; a
    cut-off body keeps what arrived. With one, the chunk is kept whole or not at all: ChecksumMismatch
    (460) drops it, and so does a cut-off body."""
    appender = get_backend().open_append(
        session.key,
        upload_id=session.s3_upload_id,
        offset=offset,
        parts=session.part_count,
        spool=multipart_spool(session.token),
    )
    digest = hashlib.new(checksum[0], usedforsecurity=False) if checksum else None

    def record() -> None:
        appender.checkpoint()
        with transaction.atomic():
            MultipartUpload.objects.filter(pk=session.pk).update(part_count=appender.parts, expires_at=expires_at)
            recorded(appender.offset)
        appender.settle()
        session.part_count = appender.parts

    interrupted = False
    try:
        try:
            for chunk in chunks:
                if appender.offset + len(chunk) > limit:
                    appender.rollback()
                    raise PayloadTooLarge(f"The upload would exceed its length of {limit} bytes.")
                appender.write(chunk)
                if digest is not None:
                    digest.update(chunk)
                elif appender.offset - appender.base >= checkpoint_bytes:
                    record()
        except StreamInterrupted:
            interrupted = True
        if digest is not None and (interrupted or not hmac.compare_digest(digest.digest(), checksum[1])):
            appender.rollback()
            if interrupted:
                return Appended(offset=offset, interrupted=True)
            raise ChecksumMismatch("The chunk's checksum does not match its bytes; the chunk was discarded.")
        if appender.offset != appender.base:
            record()
        return Appended(offset=appender.offset, interrupted=interrupted)
    except BaseException:
        if appender.offset != appender.base:
            appender.rollback()
        raise
    finally:
        appender.close()


def resumable_complete(*, session: MultipartUpload, offset: int) -> StagedBlob:
    """The appended bytes become staged bytes under the session's key, read once for their SHA-256
    (a hash's running state cannot be kept across requests and processes, so the one honest
    digest is taken over the finished object, in a streaming pass). The caller records or discards
    them, and forgets the session (resumable_forget) in the transaction that records them."""
    backend = get_backend()
    backend.append_complete(
        session.key,
        upload_id=session.s3_upload_id,
        offset=offset,
        parts=session.part_count,
        spool=multipart_spool(session.token),
    )
    digest = MultiHash(("sha256",))
    size = 0
    reader = backend.open_reader(session.key)
    try:
        while chunk := reader.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    finally:
        reader.close()
    return StagedBlob(key=session.key, size=size, sha256=digest.hexdigests()["sha256"], md5="")


def resumable_forget(*, session: MultipartUpload) -> None:
    """Drops the record of a completed session (its bytes are the object now)."""
    MultipartUpload.objects.filter(pk=session.pk).delete()


def resumable_abort(*, session: MultipartUpload) -> None:
    """Removes what the session stored (parts, spooled part) and its record."""
    multipart_abort(upload=session)
