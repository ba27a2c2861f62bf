"""The one interface of blob storage (BlobBackend) and what every backend shares: keys, chunk size, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO, Protocol, runtime_checkable

READ_CHUNK = 1024 * 1024
KEY_PREFIX = "blobs/"


class MultipartRefused(Exception):
    """The storage would not assemble a multipart upload (a part missing, an ETag that does not match,
    the storage's own refusal); `message` says why, in words a client can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@runtime_checkable
class Sink(Protocol):
    """A stream being written under a key: nothing is under the key until `finish`; `abort` leaves nothing."""

    def write(self, chunk: bytes) -> None: ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


@runtime_checkable
class Appender(Protocol):
    """Bytes appended to a resumable upload: `checkpoint` makes what was written durable (the new
    `base`), `rollback` returns to `base`; `offset` counts the bytes written, `parts` the parts sent."""

    offset: int
    parts: int

    def write(self, chunk: bytes) -> None: ...

    def checkpoint(self) -> None: ...

    def settle(self) -> None:
        """Called once the checkpoint is recorded: drops what only a return before it needed."""
        ...

    def rollback(self) -> None: ...

    def close(self) -> None: ...


class BlobBackend(Protocol):
    """Where blob bytes live. Missing objects are FileNotFoundError whatever the storage."""

    kind: str
    # Whether objects that clients put in the storage themselves can be linked to (an S3 bucket can).
    supports_direct_links: bool

    @property
    def identifier_prefix(self) -> str:
        """Dataverse's storage identifier prefix of this store: `s3://<bucket>:` or `file://`."""
        ...

    # --- bytes

    def open_sink(self, key: str, media_type: str) -> Sink: ...

    def open_reader(self, key: str) -> BinaryIO: ...

    def open_seekable(self, key: str) -> BinaryIO: ...

    def size(self, key: str) -> int: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...

    def move(self, source: str, target: str) -> None:
        """Renames one object (FileNotFoundError when there is none); the moved object is untagged."""
        ...

    # --- links

    def presigned_get(self, key: str, *, filename: str, ttl: int) -> str: ...

    def presigned_put(self, key: str, *, ttl: int, size: int, tagging: str | None = None) -> str:
        """A URL taking exactly `size` bytes under `key` (the size is signed)."""
        ...

    # --- multipart uploads that clients PUT part by part

    def multipart_start(self, key: str) -> str:
        """Starts a multipart upload under `key`; returns the storage's id of it."""
        ...

    def presigned_upload_part(self, key: str, *, upload_id: str, number: int, size: int, ttl: int) -> str: ...

    def open_part_sink(self, key: str, *, upload_id: str, number: int) -> Sink:
        """Where a part PUT to this server's own signed URL goes (only backends whose part URLs are
        this server's take parts here)."""
        ...

    def multipart_complete(self, key: str, *, upload_id: str, etags: dict[int, str]) -> None:
        """Assembles the object from its parts in part order; `etags` are unquoted lowercase hex.
        MultipartRefused (the parts are kept) when they do not add up."""
        ...

    def multipart_abort(self, key: str, *, upload_id: str) -> None:
        """Removes every part; aborting twice is harmless."""
        ...

    # --- resumable uploads whose bytes this server appends as they arrive (tus)

    def open_append(self, key: str, *, upload_id: str, offset: int, parts: int, spool) -> Appender:
        """Appends after the `offset` bytes recorded (`parts` of them already sent as parts);
        whatever is stored past `offset` (a killed request's) is dropped. `spool` is a local
        directory of the upload's own for a part being filled."""
        ...

    def append_complete(self, key: str, *, upload_id: str, offset: int, parts: int, spool) -> None:
        """The `offset` bytes appended become the object under `key`."""
        ...

    # --- housekeeping

    def iter_stale(self, *, before: float, keep: frozenset[str] = frozenset()) -> Iterator[str]:
        """Keys under the blobs prefix last written before the POSIX time `before`, leaving out the
        parts of the open multipart uploads under the keys in `keep`."""
        ...

    def discard_stale_partials(self, *, before: float, keep: frozenset[str] = frozenset()) -> int:
        """Aborts multipart uploads the storage keeps apart (started before `before`, not under `keep`)."""
        ...

    def check(self) -> None:
        """Raises when the storage cannot be used (the health check)."""
        ...
