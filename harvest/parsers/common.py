"""What every parser shares: the error log with line numbers, text decoding, timestamps and numbers."""

import io
import math
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

MAX_ERRORS = 20


class IngestFailed(Exception):
    """The bytes cannot be ingested; `errors` are readable reasons (with line numbers where known)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


class ErrorLog:
    """Collects the first errors of an ingest (with where they are), counting all of them."""

    def __init__(self):
        self.errors: list[str] = []
        self.total = 0
        self.where = ""

    def add(self, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{self.where}{message}")

    def raise_if_any(self) -> None:
        if self.total:
            errors = list(self.errors)
            if self.total > len(errors):
                errors.append(f"... and {self.total - len(errors)} more errors.")
            raise IngestFailed(errors)


class ChunkReader(io.RawIOBase):
    """A binary file object over an iterator of byte chunks, for io.TextIOWrapper."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def text_stream(binary, encoding: str = "utf-8-sig") -> io.TextIOWrapper:
    """Text over any binary reader (UTF-8 by default, a byte order mark dropped); newlines are left
    to the csv module."""
    chunks = iter(lambda: binary.read(1024 * 1024), b"")
    return io.TextIOWrapper(io.BufferedReader(ChunkReader(chunks), 1024 * 1024), encoding=encoding, newline="")


class Timestamps:
    """ISO 8601 text to aware datetimes; naive values are in the source's zone. Repeated values
    (every feature has the same timestamps) are parsed once."""

    def __init__(self, zone: tzinfo = UTC):
        self.zone = zone
        self._cache: dict[str, datetime] = {}

    def parse(self, text: str) -> datetime:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[text] = value
        return value


def parse_number(text: str, *, decimal_comma: bool = False) -> float:
    """A finite float; raises ValueError otherwise."""
    if decimal_comma:
        text = text.replace(",", ".")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value
