"""What every parser shares: the error log with line numbers, text decoding, timestamps and numbers."""

import codecs
import csv
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


# Bounds of every text parser (CSV, KNMI), whatever the input: a line (or a CSV record that spans
# lines inside quotes) and one CSV field. A longer one ends the ingest, naming the line and the limit;
# no more than the limit plus one read is ever held.
MAX_LINE_CHARS = 1024 * 1024
MAX_FIELD_CHARS = 131_072  # the csv module's own default, set explicitly: it is what bounds a field
MAX_COLUMNS = 10_000
READ_BYTES = 64 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)


class InputRefused(Exception):
    """The file goes over one of the parsers' bounds, or cannot be read on: the ingest stops here
    with this reason (the caller adds the file's name)."""


class BoundedLines:
    """Lines of text (with their line ends, as csv wants them) decoded incrementally from a binary
    reader; a line over MAX_LINE_CHARS is refused as soon as that many characters are buffered.
    `line` is the number of the last line returned."""

    def __init__(self, binary, encoding: str = "utf-8-sig", max_chars: int = MAX_LINE_CHARS):
        self._binary = binary
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._buffer = ""
        self._start = 0
        self._eof = False
        self.max_chars = max_chars
        self.line = 0

    def _fill(self) -> bool:
        if self._eof:
            return False
        data = self._binary.read(READ_BYTES)
        self._buffer = self._buffer[self._start :]
        self._start = 0
        if not data:
            self._eof = True
            self._buffer += self._decoder.decode(b"", final=True)
        else:
            self._buffer += self._decoder.decode(data)
        return True

    def readline(self) -> str:
        searched = 0  # how far past self._start no line end was found
        while True:
            end = _line_end(self._buffer, self._start + searched)
            if end >= 0:
                text = self._buffer[self._start : end]
                self._start = end
                break
            pending = len(self._buffer) - self._start
            if pending > self.max_chars:
                raise self._too_long()
            searched = max(0, pending - 1)  # a '\r' at the end may be followed by '\n'
            if not self._fill():
                text = self._buffer[self._start :]
                self._start = len(self._buffer)
                break
        if len(text) > self.max_chars and len(text.rstrip("\r\n")) > self.max_chars:
            raise self._too_long()
        if text:
            self.line += 1
        return text

    def _too_long(self) -> InputRefused:
        return InputRefused(f"line {self.line + 1}: the line is longer than {self.max_chars} characters (the limit)")

    def __iter__(self):
        return self

    def __next__(self) -> str:
        text = self.readline()
        if not text:
            raise StopIteration
        return text


def _line_end(buffer: str, start: int) -> int:
    """The index just past the first line end (\n, \r\n or \r) at or after start, or -1 (also for a
    '\r' that ends the buffer: a '\n' may follow)."""
    n = buffer.find("\n", start)
    r = buffer.find("\r", start, n if n >= 0 else len(buffer))
    if r >= 0:
        if r + 1 == len(buffer):
            return -1
        return r + 2 if buffer[r + 1] == "\n" else r + 1
    return n + 1 if n >= 0 else -1


def text_stream(binary, encoding: str = "utf-8-sig") -> BoundedLines:
    """Bounded text lines over any binary reader (UTF-8 by default, a byte order mark dropped)."""
    return BoundedLines(binary, encoding=encoding)


def csv_header(first: str, *, delimiter: str) -> list[str]:
    """The cells of a CSV header line, at most MAX_COLUMNS of them."""
    try:
        cells = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise InputRefused(f"line 1: a field is longer than {MAX_FIELD_CHARS} characters (the limit)") from None
        raise InputRefused(f"line 1: not readable as CSV ({error})") from None
    if len(cells) > MAX_COLUMNS:
        raise InputRefused(f"line 1: the header has {len(cells)} columns; the limit is {MAX_COLUMNS}")
    return cells


def csv_rows(lines: BoundedLines, *, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, cells) per CSV record, within the line and field
    bounds: a record spanning lines in quotes counts all its characters against MAX_LINE_CHARS."""
    state = {"chars": 0, "start": lines.line + 1}

    def feed():
        for text in lines:
            state["chars"] += len(text)
            if state["chars"] > lines.max_chars:
                raise InputRefused(
                    f"line {state['start']}: the record is longer than {lines.max_chars} characters (the limit)"
                )
            yield text

    reader = csv.reader(feed(), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "field larger than field limit" in str(error):
                raise InputRefused(
                    f"line {state['start']}: a field is longer than {MAX_FIELD_CHARS} characters (the limit)"
                ) from None
            raise InputRefused(f"line {state['start']}: not readable as CSV ({error})") from None
        yield state["start"], row
        state["chars"], state["start"] = 0, lines.line + 1


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
