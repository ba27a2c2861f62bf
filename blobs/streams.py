"""The one chunked copy of blobs: bytes from a source to a sink, counted, limited and hashed in one pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .backends.base import READ_CHUNK


class LimitExceeded(Exception):
    """The source holds more than the copy's byte limit; what the sink got is to be thrown away."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class ShortStream(Exception):
    """The source ended `missing` bytes before the length the copy was told to expect."""

    def __init__(self, missing: int):
        super().__init__(f"{missing} bytes short")
        self.missing = missing


class MultiHash:
    """Several digests of the same bytes, by hashlib name (md5, sha1, sha256, sha512...)."""

    def __init__(self, names: Iterable[str]):
        self._digests = {name: hashlib.new(name, usedforsecurity=False) for name in dict.fromkeys(names)}

    def update(self, chunk: bytes) -> None:
        for digest in self._digests.values():
            digest.update(chunk)

    def hexdigests(self) -> dict[str, str]:
        return {name: digest.hexdigest() for name, digest in self._digests.items()}


@dataclass(frozen=True)
class Copied:
    """How many bytes went through and their digests (hex, by the hashlib names asked for)."""

    size: int
    digests: dict[str, str]


def _chunks(source, chunk_size: int, length: int | None) -> Iterator[bytes]:
    if not hasattr(source, "read"):
        yield from (chunk for chunk in source if chunk)
        return
    if length is None:
        while chunk := source.read(chunk_size):
            yield chunk
        return
    remaining = length
    while remaining:
        chunk = source.read(min(chunk_size, remaining))
        if not chunk:
            raise ShortStream(remaining)
        remaining -= len(chunk)
        yield chunk


def copy_hashed(
    source,
    sink=None,
    *,
    hashes: Iterable[str] = ("sha256",),
    max_bytes: int | None = None,
    length: int | None = None,
    chunk_size: int = READ_CHUNK,
) -> Copied:
    """Reads `source` (a binary reader, or an iterable of byte chunks) to its end, or exactly
    `length` bytes of a reader (ShortStream if it ends before), writing each chunk to `sink` (an
    object with `write`, or None to only measure) and hashing it. LimitExceeded as soon as more than
    `max_bytes` have come. The sink is neither finished nor aborted here: the caller owns it."""
    digest = MultiHash(hashes)
    size = 0
    for chunk in _chunks(source, chunk_size, length):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise LimitExceeded(max_bytes)
        digest.update(chunk)
        if sink is not None:
            sink.write(chunk)
    return Copied(size=size, digests=digest.hexdigests())
