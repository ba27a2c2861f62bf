"""Local-file blob storage: objects are files under a root, and its "pre-signed" URLs are this server's
own signed URLs (blobs.signed), answered by blobs.views."""

from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

from .. import signed
from ..streams import copy_hashed
from .base import KEY_PREFIX, MultipartRefused

PARTIAL_SUFFIX = ".part"


class LocalSink:
    """Writes to `<key>.<random>.part` and renames on finish, so a partial file is never under its key
    and two writers of one key (a retried PUT) do not collide: the last to finish wins, as on S3."""

    def __init__(self, path: Path):
        self.path = path
        self.partial = path.with_name(f"{path.name}.{uuid.uuid4().hex[:12]}{PARTIAL_SUFFIX}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self.partial, "xb")  # noqa: SIM115 (closed in finish/abort)

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)

    def finish(self) -> None:
        self._file.close()
        os.replace(self.partial, self.path)

    def abort(self) -> None:
        self._file.close()
        self.partial.unlink(missing_ok=True)


def _parts_prefix(key: str) -> str:
    # The parts of a multipart upload are files of their own beside where the object will be.
    return f"{key}.parts"


def _part_key(key: str, number: int) -> str:
    return f"{_parts_prefix(key)}/{number:05d}"


class LocalBackend:
    kind = "local"
    supports_direct_links = False

    def __init__(self, root: Path):
        self.root = Path(root)

    @property
    def identifier_prefix(self) -> str:
        return "file://"

    def _path(self, key: str) -> Path:
        return self.root / key

    def open_sink(self, key: str, media_type: str) -> LocalSink:
        return LocalSink(self._path(key))

    def open_reader(self, key: str):
        return open(self._path(key), "rb")

    def open_seekable(self, key: str):
        return self.open_reader(key)

    def size(self, key: str) -> int:
        return self._path(key).stat().st_size

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def move(self, source: str, target: str) -> None:
        destination = self._path(target)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self._path(source), destination)

    def _delete_tree(self, prefix: str) -> None:
        base = self._path(prefix)
        if base.is_dir():
            for item in base.iterdir():
                item.unlink(missing_ok=True)
            base.rmdir()

    # --- links

    def presigned_get(self, key: str, *, filename: str, ttl: int) -> str:
        return signed.download_link(key, filename=filename, ttl=ttl)

    def presigned_put(self, key: str, *, ttl: int, size: int, tagging: str | None = None) -> str:
        # No tags on files: the orphan sweep removes what is never registered.
        return signed.put_url(key=key, part=0, size=size, upload_id="", ttl=ttl)

    # --- multipart

    def multipart_start(self, key: str) -> str:
        # Nothing is created until a part arrives; the id binds the part URLs to this upload only.
        return secrets.token_hex(16)

    def presigned_upload_part(self, key: str, *, upload_id: str, number: int, size: int, ttl: int) -> str:
        return signed.put_url(key=key, part=number, size=size, upload_id=upload_id, ttl=ttl)

    def open_part_sink(self, key: str, *, upload_id: str, number: int) -> LocalSink:
        return self.open_sink(_part_key(key, number), "application/octet-stream")

    def multipart_complete(self, key: str, *, upload_id: str, etags: dict[int, str]) -> None:
        sink = self.open_sink(key, "application/octet-stream")
        try:
            for number in sorted(etags):
                try:
                    reader = self.open_reader(_part_key(key, number))
                except FileNotFoundError:
                    raise MultipartRefused(f"Part {number} was never uploaded.") from None
                with reader:
                    stored = copy_hashed(reader, sink, hashes=("md5",)).digests["md5"]
                if stored != etags[number]:
                    raise MultipartRefused(
                        f'Part {number}\'s ETag does not match: given "{etags[number]}", stored "{stored}".'
                    )
            sink.finish()
        except BaseException:
            sink.abort()
            raise
        self._delete_tree(_parts_prefix(key))

    def multipart_abort(self, key: str, *, upload_id: str) -> None:
        self._delete_tree(_parts_prefix(key))

    # --- resumable (tus) uploads: bytes appended as they arrive

    def open_append(self, key: str, *, upload_id: str, offset: int, parts: int, spool: Path) -> LocalAppender:
        # Local storage needs no spool: the part file itself survives a restart.
        return LocalAppender(self._path(_part_key(key, 1)), offset)

    def append_complete(self, key: str, *, upload_id: str, offset: int, parts: int, spool: Path) -> None:
        """The part file becomes the object under `key` (a rename, no copy)."""
        path = self._path(_part_key(key, 1))
        if not path.exists() and self.exists(key):
            return  # a completion that ended before its upload was recorded: done already
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+b") as part:
            part.truncate(offset)
        self.move(_part_key(key, 1), key)
        self._delete_tree(_parts_prefix(key))

    # --- housekeeping

    def iter_stale(self, *, before: float, keep: frozenset[str] = frozenset()) -> Iterator[str]:
        # Partial files carry their suffix and are listed here, removed with the orphans.
        open_parts = tuple(f"{_parts_prefix(key)}/" for key in keep)
        base = self.root / KEY_PREFIX
        for directory, _dirs, names in os.walk(base):
            for name in names:
                path = Path(directory) / name
                try:
                    if path.stat().st_mtime < before:
                        key = path.relative_to(self.root).as_posix()
                        if not (open_parts and key.startswith(open_parts)):
                            yield key
                except FileNotFoundError:
                    continue

    def discard_stale_partials(self, *, before: float, keep: frozenset[str] = frozenset()) -> int:
        # Partial files are listed by iter_stale and removed with the orphans.
        return 0

    def check(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise OSError(f"{self.root} is not writable")


class LocalAppender:
    """Appends a resumable upload's bytes to its one part file (`<key>.parts/00001`). The bytes from
    `base` on are this request's: `rollback` cuts them off again, `checkpoint` makes them durable."""

    def __init__(self, path: Path, offset: int):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "a+b")  # noqa: SIM115 (closed in close)
        if os.fstat(self._file.fileno()).st_size < offset:
            self._file.close()
            raise MultipartRefused(f"The stored part holds fewer than the {offset} bytes recorded.")
        # Bytes past the recorded offset are a killed request's, never acknowledged: dropped.
        self._file.truncate(offset)
        self.base = self.offset = offset
        self.parts = 0

    def write(self, chunk: bytes) -> None:
        self._file.write(chunk)
        self.offset += len(chunk)

    def checkpoint(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self.base = self.offset

    def settle(self) -> None:
        pass  # one file: nothing to drop once a checkpoint is recorded

    def rollback(self) -> None:
        self._file.truncate(self.base)
        self.offset = self.base

    def close(self) -> None:
        self._file.close()
