"""Writes of blobs: stream to storage while counting and hashing, record, copy, delete."""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import Error as DatabaseError
from django.db import connection, transaction
from django.utils import timezone

from core.errors import PayloadTooLarge

from ..backends import READ_CHUNK, get_backend
from ..models import Blob
from ..streams import MultiHash

logger = logging.getLogger(__name__)

DEFAULT_MEDIA_TYPE = "application/octet-stream"
MEDIA_TYPE_MAX = Blob._meta.get_field("media_type").max_length
# `type/subtype` with optional parameters, printable ASCII only (RFC 9110's token and quoted-string).
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(?:\s*;[\x20-\x7e]*)?")


def media_type_clean(raw: str | None) -> str:
    """A client's media type as stored: itself when it is a well-formed type that fits the column,
    else `application/octet-stream` (the bytes are kept; only the unusable label is dropped)."""
    text = (raw or "").strip()
    if len(text) > MEDIA_TYPE_MAX or not _MEDIA_TYPE.fullmatch(text):
        return DEFAULT_MEDIA_TYPE
    return text


# Shared by every writer of the process; each writer has one task in it at a time.
_PIPELINE = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-writer")


class BlobTooLarge(PayloadTooLarge):
    """The stream went past its byte limit; what was written has been removed."""


def blob_new_key() -> str:
    """A fresh storage key; keys are always generated here, never taken from a client."""
    day = timezone.now().strftime("%Y/%m/%d")
    return f"blobs/{day}/{uuid.uuid4().hex}"


class StagingScope:
    """The keys written while the scope was open (a request), and which of them were handed to
    blob_record. Only blob_record writes a row for staged bytes and their keys are fresh, so a key
    never handed to it has no row: it can be deleted without asking the database."""

    def __init__(self):
        self.written: dict[str, bool] = {}  # key -> handed to blob_record

    def wrote(self, key: str) -> None:
        self.written.setdefault(key, False)

    def recording(self, key: str) -> None:
        if key in self.written:
            self.written[key] = True


_SCOPE: ContextVar[StagingScope | None] = ContextVar("blob_staging_scope", default=None)


@contextlib.contextmanager
def blob_staging_scope() -> Iterator[StagingScope]:
    """Notes every key written inside it; on leaving, deletes those that no committed row records
    (see blob_discard_unrecorded). The request path opens one around each request."""
    scope = StagingScope()
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)
        blob_discard_unrecorded(scope=scope)


@dataclass
class StagedBlob:
    """Bytes that are in storage under `key` but not (yet) recorded as a Blob row."""

    key: str
    size: int
    sha256: str
    md5: str  # "" when the writer was told not to take it


class BlobWriter:
    """Writes one object chunk by chunk, counting and hashing in the same pass, within a limit.
    MD5 costs more than SHA-256 here (no CPU instructions for it): it is taken only when asked."""

    def __init__(
        self, *, max_bytes: int | None = None, media_type: str = DEFAULT_MEDIA_TYPE, backend=None, md5: bool = True
    ):
        self.backend = backend or get_backend()
        self.key = blob_new_key()
        self.max_bytes = settings.NEXUS_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
        self.size = 0
        self._md5 = md5
        self._digest = MultiHash(("sha256", "md5") if md5 else ("sha256",))
        scope = _SCOPE.get()
        if scope is not None:
            scope.wrote(self.key)
        self._sink = self.backend.open_sink(self.key, media_type)
        self._pending: Future | None = None
        self.done = False

    def write(self, chunk: bytes) -> None:
        if self.size + len(chunk) > self.max_bytes:
            self.abort()
            raise BlobTooLarge(f"The upload exceeds the maximum size of {self.max_bytes} bytes.")
        self.size += len(chunk)
        # Hashing and storing a chunk (both release the GIL) overlap with reading the next one; one
        # chunk at most is in flight, so memory stays bounded and the order is kept.
        self._wait()
        self._pending = _PIPELINE.submit(self._consume, chunk)

    def _consume(self, chunk: bytes) -> None:
        self._digest.update(chunk)
        self._sink.write(chunk)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()  # an error of the storage surfaces here

    def finish(self) -> StagedBlob:
        try:
            self._wait()
        except BaseException:
            self.abort()
            raise
        self._sink.finish()
        self.done = True
        digests = self._digest.hexdigests()
        return StagedBlob(key=self.key, size=self.size, sha256=digests["sha256"], md5=digests.get("md5", ""))

    def abort(self) -> None:
        if not self.done:
            self.done = True
            with contextlib.suppress(BaseException):
                self._wait()
            self._sink.abort()


def blob_stage(
    *, chunks: Iterable[bytes], max_bytes: int | None = None, media_type: str = DEFAULT_MEDIA_TYPE
) -> StagedBlob:
    """Streams chunks into storage; on any error nothing is left behind."""
    writer = BlobWriter(max_bytes=max_bytes, media_type=media_type)
    try:
        for chunk in chunks:
            if chunk:
                writer.write(chunk)
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def blob_record(*, staged: StagedBlob, media_type: str = DEFAULT_MEDIA_TYPE, discard_on_error: bool = True) -> Blob:
    """The Blob row for staged bytes. If the row cannot be written, the bytes are deleted, unless the
    caller keeps them (to put them back where a client uploaded them)."""
    _note_recording(staged.key)
    try:
        with transaction.atomic():
            return Blob.objects.create(
                key=staged.key,
                size=staged.size,
                sha256=staged.sha256,
                md5=staged.md5,
                media_type=media_type_clean(media_type),
            )
    except BaseException:
        if discard_on_error:
            get_backend().delete(staged.key)
        raise


def blob_write(*, chunks: Iterable[bytes], max_bytes: int | None = None, media_type: str = DEFAULT_MEDIA_TYPE) -> Blob:
    """Bytes first, then the row: a stream becomes a recorded Blob, or nothing at all."""
    staged = blob_stage(chunks=chunks, max_bytes=max_bytes, media_type=media_type)
    return blob_record(staged=staged, media_type=media_type)


def _note_recording(key: str) -> None:
    scope = _SCOPE.get()
    if scope is not None:
        scope.recording(key)


def _recorded_keys(keys: list[str]) -> set[str] | None:
    """The keys among `keys` that a Blob row records, or None when the database cannot say. A
    connection lost earlier in the request is replaced once (outside a transaction only)."""
    if not keys:
        return set()
    for attempt in range(2):
        try:
            return set(Blob.objects.filter(key__in=keys).values_list("key", flat=True))
        except DatabaseError:  # Django's Error: InterfaceError (a closed connection) included
            if attempt or connection.in_atomic_block:
                return None
            connection.close()
    return None


def _delete_quietly(backend, key: str) -> bool:
    """Deletes one object; a storage that is down keeps it for the orphan sweep (logged)."""
    try:
        backend.delete(key)
        return True
    except Exception:  # the request's own answer stands; the sweep removes what is left
        logger.warning("could not delete staged bytes %s; the orphan sweep will", key, exc_info=True)
        return False


def blob_discard_staged(*, keys: Iterable[str]) -> list[str]:
    """Deletes the bytes of staged keys that no Blob row records (a request that failed). Keys this
    request's scope knows were never handed to blob_record go without asking the database; when
    the database cannot answer for the others, they are kept (never delete bytes a committed row
    may reference) and the orphan sweep decides."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return []
    scope = _SCOPE.get()
    never_recorded = {key for key in keys if scope is not None and scope.written.get(key) is False}
    recorded = _recorded_keys([key for key in keys if key not in never_recorded])
    if recorded is None:
        kept = [key for key in keys if key not in never_recorded]
        logger.warning("the database did not answer: %d staged objects are left to the orphan sweep", len(kept))
        recorded = set(kept)
    backend = get_backend()
    discarded = [key for key in keys if key not in recorded]
    return [key for key in discarded if _delete_quietly(backend, key)]


def blob_discard_unrecorded(*, scope: StagingScope) -> list[str]:
    """Deletes what the scope wrote and no row records (see blob_discard_staged)."""
    token = _SCOPE.set(scope)
    try:
        return blob_discard_staged(keys=list(scope.written))
    finally:
        _SCOPE.reset(token)


def blob_delete(*, blob: Blob) -> None:
    """Removes the row; the bytes go once the transaction commits."""
    key = blob.key
    blob.delete()
    transaction.on_commit(lambda: get_backend().delete(key))


def blob_stage_copy(*, key: str, max_bytes: int | None = None, media_type: str = DEFAULT_MEDIA_TYPE) -> StagedBlob:
    """Stages a copy of the object stored under `key` (one that a client put in the storage itself,
    or another blob's), read once for size and checksums within the limit: BlobTooLarge past it,
    FileNotFoundError when nothing is under `key`. The copy is the caller's to record or discard."""
    reader = get_backend().open_reader(key)
    try:
        return blob_stage(chunks=_read_chunks(reader), max_bytes=max_bytes, media_type=media_type)
    finally:
        reader.close()


def _read_chunks(reader):
    while chunk := reader.read(READ_CHUNK):
        yield chunk


def blob_bytes_delete(*, keys: Iterable[str]) -> None:
    """Deletes the bytes under `keys` whatever rows say: for bytes whose rows the caller's failing
    transaction holds (they go with its rollback), or staged bytes the caller knows it does not need."""
    backend = get_backend()
    for key in dict.fromkeys(keys):
        backend.delete(key)
