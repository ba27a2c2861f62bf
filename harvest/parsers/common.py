"""What every parser shares: the error log with line numbers, text decoding, timestamps and numbers."""

import codecs
import csv
import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo

from django.conf import settings


class IngestFailed(Exception):
    """The bytes cannot be ingested; `errors` are readable reasons (with line numbers where known)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


class ErrorLog:
    """Collects the first NEXUS_MAX_REPORT_ERRORS errors of an ingest (with where they are), counting
    all of them."""

    def __init__(self):
        self.max_errors = settings.NEXUS_MAX_REPORT_ERRORS
        self.errors: list[str] = []
        self.total = 0
        self.where = ""

    def add(self, message: str) -> None:
        self.total += 1
        if len(self.errors) < self.max_errors:
            self.errors.append(f"{self.where}{message}")

    def raise_if_any(self) -> None:
        if self.total:
            errors = list(self.errors)
            if self.total > len(errors):
                errors.append(f"... and {self.total - len(errors)} more errors.")
            raise IngestFailed(errors)


# Bounds of every text parser (CSV, KNMI), whatever the input, read from the settings when a file is
# read: a line (or a CSV record that spans lines inside quotes, NEXUS_MAX_LINE_CHARS), one CSV field
# (NEXUS_MAX_FIELD_CHARS) and a header's columns (NEXUS_MAX_COLUMNS). A longer one ends the ingest,
# naming the line and the limit; no more than the limit plus one read is ever held.
READ_BYTES = 64 * 1024


def _field_limit() -> int:
    """The field bound, set on the csv module (it is what bounds a field there) and returned."""
    limit = settings.NEXUS_MAX_FIELD_CHARS
    csv.field_size_limit(limit)
    return limit


class InputRefused(Exception):
    """The file goes over one of the parsers' bounds, or cannot be read on: the ingest stops here
    with this reason (the caller adds the file's name)."""


class BoundedLines:
    """Lines of text (with their line ends, as csv wants them) decoded incrementally from a binary
    reader; a line over NEXUS_MAX_LINE_CHARS is refused once that many characters are buffered, before it
    is held whole. `line` is the number of the last line returned. With `records` on (csv_rows), the
    lines since the last record also count against the limit."""

    def __init__(self, binary, encoding: str = "utf-8-sig", max_chars: int | None = None):
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._ready: list[str] = []  # complete lines, in reverse order
        self._pending = ""
        self._refuse = False  # a line too long follows the ready ones
        self._eof = False
        self.max_chars = settings.NEXUS_MAX_LINE_CHARS if max_chars is None else max_chars
        self.line = 0
        self.records = False
        self.record_chars = 0
        self.record_start = 1

    def _fill(self) -> None:
        data = self._binary.read(READ_BYTES)
        if not data:
            self._eof = True
            text = self._pending + self._decoder.decode(b"", final=True)
            self._pending = ""
            lines = _split(text, final=True)
        else:
            text = self._pending + self._decoder.decode(data)
            lines = _split(text, final=False)
            self._pending = lines.pop()
        if len(self._pending) > self.max_chars:
            self._refuse = True
        for index, line in enumerate(lines):
            if len(line) > self.max_chars and len(line.rstrip("\r\n")) > self.max_chars:
                del lines[index:]
                self._refuse = True
                break
        lines.reverse()
        self._ready = lines

    def readline(self) -> str:
        while not self._ready:
            if self._refuse:
                raise InputRefused(
                    f"line {self.line + 1}: the line is longer than {self.max_chars} characters (the limit)"
                )
            if self._eof:
                return ""
            self._fill()
        text = self._ready.pop()
        self.line += 1
        if self.records:
            self.record_chars += len(text)
            if self.record_chars > self.max_chars:
                raise InputRefused(
                    f"line {self.record_start}: the record is longer than {self.max_chars} characters (the limit)"
                )
        return text

    def __iter__(self):
        return self

    def __next__(self) -> str:
        text = self.readline()
        if not text:
            raise StopIteration
        return text


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")


def _split(text: str, *, final: bool) -> list[str]:
    """Complete lines (\n, \r\n or \r ends kept) and, unless final, the unfinished rest last. A
    '\r' that ends the text stays in the rest: a '\n' may follow."""
    if "\r" not in text:
        parts = text.split("\n")
        rest = parts.pop()
        lines = [part + "\n" for part in parts]
    else:
        lines, end = [], 0
        for match in _LINE.finditer(text):
            if not final and match.end() == len(text) and text.endswith("\r"):
                break
            lines.append(match.group())
            end = match.end()
        rest = text[end:]
    if final:
        if rest:
            lines.append(rest)
        return lines
    lines.append(rest)
    return lines


def text_stream(binary, encoding: str = "utf-8-sig") -> BoundedLines:
    """Bounded text lines over any binary reader (UTF-8 by default, a byte order mark dropped)."""
    return BoundedLines(binary, encoding=encoding)


def csv_header(first: str, *, delimiter: str) -> list[str]:
    """The cells of a CSV header line, at most NEXUS_MAX_COLUMNS of them."""
    field_limit, max_columns = _field_limit(), settings.NEXUS_MAX_COLUMNS
    try:
        cells = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise InputRefused(f"line 1: a field is longer than {field_limit} characters (the limit)") from None
        raise InputRefused(f"line 1: not readable as CSV ({error})") from None
    if len(cells) > max_columns:
        raise InputRefused(f"line 1: the header has {len(cells)} columns; the limit is {max_columns}")
    return cells


def csv_rows(lines: BoundedLines, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells) per CSV record, within the line and field
    bounds: a record spanning lines in quotes counts all its characters against the line bound."""
    field_limit = _field_limit()
    lines.records, lines.record_chars, lines.record_start = True, 0, lines.line + 1
    reader = csv.reader(lines, delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise InputRefused(
                    f"line {lines.record_start}: a field is longer than {field_limit} characters (the limit)"
                ) from None
            raise InputRefused(f"line {lines.record_start}: not readable as CSV ({error})") from None
        yield lines.record_start, row
        lines.record_chars, lines.record_start = 0, lines.line + 1


class OutOfRange(ValueError):
    """A timestamp Python reads but that is outside years 1 to 9999 once in UTC."""


def in_range(value: datetime) -> datetime:
    """The aware value, if it lies in years 1 to 9999 in UTC (what both Python and PostgreSQL
    represent and every reader can render); OutOfRange otherwise. `0001-01-01T00:00:00+14:00` is
    year 0 in UTC, `9999-12-31T23:59:59-14:00` year 10000."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not 1 <= utc.year <= 9999:
        raise OutOfRange("is outside years 1 to 9999 in UTC (the range stored timestamps must be in)")
    return value


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
        value = in_range(value)
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
