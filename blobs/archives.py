"""Safe archive reading: a zip's directory and members read within stated bounds, every fault a refusal.

Uploads (at POST and at ingest), Dataverse native uploads and harvests read zips only through this
module. The end-of-central-directory record is read here, within 64 KiB + 22 bytes of the end (its
comment is at most 65,535 bytes), so the entry count and directory size are known before
zipfile lists anything. Members are read as streams whose decompressed bytes are counted as they
come: a header's `file_size` is never trusted.
"""

import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings

from core.errors import InvalidInput

from .backends.base import READ_CHUNK

SUPPORTED_COMPRESSION = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}

_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


class ArchiveRefused(InvalidInput):
    """The archive cannot be read safely; the message names the member and the limit."""


@dataclass(frozen=True)
class ZipLimits:
    """What one archive may hold: entries, bytes of one member and bytes of all of them, decompressed."""

    members: int
    member_bytes: int
    total_bytes: int

    @classmethod
    def default(cls, *, members: int | None = None) -> "ZipLimits":
        """The configured limits, read now; `members` lowers the entry count (a dialect's own bound)."""
        total = settings.NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES
        members = settings.NEXUS_MAX_ZIP_MEMBERS if members is None else members
        return cls(members=members, member_bytes=total, total_bytes=total)


@dataclass(frozen=True)
class EndRecord:
    entries: int
    directory_size: int
    directory_offset: int


def end_record(stream, *, name: str) -> EndRecord:
    """The end-of-central-directory record (and the zip64 one beside it), read within bounded bytes.

    It is the record zipfile will use, found the way zipfile finds it: the last 22 bytes if they are
    a record without comment, else the last signature in the tail; a zip64 record wherever a zip64
    locator precedes it, whatever the plain record says. A record that disagrees with the bytes
    around it (its comment length, the locator's offset) is refused: were another record read here
    than zipfile reads, the bounds checked here would not be those zipfile meets."""
    stream.seek(0, 2)
    size = stream.tell()
    tail_size = min(size, _EOCD_SIZE + 65535)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    if len(tail) >= _EOCD_SIZE and tail[-_EOCD_SIZE : -_EOCD_SIZE + 4] == _EOCD and tail[-2:] == b"\0\0":
        at = len(tail) - _EOCD_SIZE
    else:
        at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise ArchiveRefused(f"{name} is not a readable zip archive (no end of central directory: truncated?).")
    _sig, disk, _cd_disk, _here, entries, cd_size, cd_offset, comment = struct.unpack(
        "<4s4H2LH", tail[at : at + _EOCD_SIZE]
    )
    if at + _EOCD_SIZE + comment != len(tail):
        # The comment runs to the end of the file; a signature inside a comment is not a record.
        raise ArchiveRefused(f"{name} is not a readable zip archive (its end record's comment length is wrong).")
    if disk != 0:
        raise ArchiveRefused(f"{name} is a multi-disk zip archive; only single-file archives are read.")
    record_end = size - tail_size + at  # where the plain end record starts
    locator_at = record_end - 20
    locator = b""
    if locator_at >= 0:
        stream.seek(locator_at)
        locator = stream.read(20)
    if locator[:4] == _ZIP64_LOCATOR:
        (record_at,) = struct.unpack("<Q", locator[8:16])
        expected_at = locator_at - 56  # zipfile reads the zip64 record right before its locator
        if expected_at < 0 or record_at != expected_at:
            raise ArchiveRefused(f"{name} is not a readable zip archive (damaged zip64 record).")
        stream.seek(expected_at)
        record = stream.read(56)
        if len(record) < 56 or record[:4] != _ZIP64_EOCD:
            raise ArchiveRefused(f"{name} is not a readable zip archive (damaged zip64 record).")
        entries, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
        record_end = expected_at
    elif entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF:
        raise ArchiveRefused(f"{name} is not a readable zip archive (damaged zip64 record).")
    # zipfile reads the directory where it ends at the end record (data may precede the archive).
    start = record_end - cd_size
    if start < 0:
        raise ArchiveRefused(f"{name} is not a readable zip archive (its central directory lies outside it).")
    return EndRecord(entries=entries, directory_size=cd_size, directory_offset=start)


def count_entries(stream, record: EndRecord, *, limit: int, name: str) -> int:
    """The directory's entries, counted header by header as zipfile will list them (the record's
    entry count is not what zipfile trusts), refused past `limit` before anything is listed."""
    count = position = 0
    while position < record.directory_size:
        stream.seek(record.directory_offset + position)
        header = stream.read(46)
        if len(header) < 46 or header[:4] != b"PK\x01\x02":
            raise ArchiveRefused(f"{name} is not a readable zip archive (damaged central directory).")
        name_length, extra_length, comment_length = struct.unpack("<3H", header[28:34])
        position += 46 + name_length + extra_length + comment_length
        count += 1
        if count > limit:
            raise ArchiveRefused(f"{name} lists more than {limit} entries; the limit is {limit} members.")
    return count


def member_path_problem(path: str) -> str | None:
    """Why a member path may not be unpacked, if it may not: absolute, drive letter, backslash,
    '..', NUL or control characters, or longer than NEXUS_MAX_ZIP_NAME_CHARS."""
    limit = settings.NEXUS_MAX_ZIP_NAME_CHARS
    if len(path) > limit:
        return f"has a path longer than {limit} characters (the limit)"
    if "\\" in path:
        return "has a backslash in its path"
    if path.startswith("/") or (len(path) > 1 and path[1] == ":") or ".." in path.split("/"):
        return "has an absolute path or '..' in its path"
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        return "has a control character in its path"
    return None


class SafeZip:
    """A zip opened within limits; `members` are its files (directories left out), in archive order.

    Listing checks what the directory says (count, paths, sizes, encryption, compression, and that
    each member lies before the directory); `read` checks what the bytes say (CRC, truncation,
    decompressed sizes)."""

    def __init__(self, stream, *, name: str, limits: ZipLimits | None = None):
        self.name = name
        self.limits = limits or ZipLimits.default()
        self.read_total = 0
        record = end_record(stream, name=name)
        if record.entries > self.limits.members:
            raise ArchiveRefused(f"{name} lists {record.entries} entries; the limit is {self.limits.members} members.")
        # The directory's size bounds what listing it costs (zipfile holds one ZipInfo per entry).
        directory_limit = settings.NEXUS_MAX_ZIP_DIRECTORY_BYTES
        if record.directory_size > directory_limit:
            raise ArchiveRefused(
                f"{name} has a central directory of {record.directory_size} bytes; "
                f"the limit is {directory_limit} bytes."
            )
        count_entries(stream, record, limit=self.limits.members, name=name)
        stream.seek(0)
        try:
            self.zip = zipfile.ZipFile(stream)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, struct.error, OSError) as error:
            raise ArchiveRefused(f"{name} is not a readable zip archive ({error}).") from None
        self.members = [info for info in infos if not info.is_dir()]
        if len(infos) > self.limits.members:
            raise ArchiveRefused(f"{name} lists {len(infos)} entries; the limit is {self.limits.members} members.")
        declared = 0
        for info in infos:
            self._check_entry(info, record.directory_offset)
            declared += info.file_size
        if declared > self.limits.total_bytes:
            raise ArchiveRefused(
                f"{name} unpacks to {declared} bytes; the limit is {self.limits.total_bytes} bytes uncompressed."
            )

    def _check_entry(self, info: zipfile.ZipInfo, directory_offset: int) -> None:
        member = info.orig_filename
        if problem := member_path_problem(member):
            raise ArchiveRefused(f"Zip member '{member}' {problem}.")
        if info.flag_bits & 0x1:
            raise ArchiveRefused(f"Zip member '{member}' is encrypted; encrypted zips are not read.")
        if info.compress_type not in SUPPORTED_COMPRESSION:
            raise ArchiveRefused(
                f"Zip member '{member}' uses compression method {info.compress_type}, which is not supported "
                "(stored, deflate, bzip2 and lzma are)."
            )
        if info.file_size > self.limits.member_bytes and self.limits.member_bytes < self.limits.total_bytes:
            raise ArchiveRefused(
                f"Zip member '{member}' is {info.file_size} bytes uncompressed; "
                f"the limit is {self.limits.member_bytes} bytes."
            )
        if info.header_offset + info.compress_size > directory_offset:
            raise ArchiveRefused(f"Zip member '{member}' runs past the end of the archive's data (truncated zip?).")

    def chunks(self, info: zipfile.ZipInfo, size: int = READ_CHUNK) -> Iterator[bytes]:
        """The member's decompressed bytes, counted as they come against the member and total limits;
        a bad CRC, truncation or a damaged stream is an ArchiveRefused naming the member."""
        member, count = info.orig_filename, 0
        try:
            with self.zip.open(info) as stream:
                while True:
                    chunk = stream.read(size)
                    if not chunk:
                        return
                    count += len(chunk)
                    self.read_total += len(chunk)
                    if count > self.limits.member_bytes:
                        raise ArchiveRefused(
                            f"Zip member '{member}' unpacks to more than {self.limits.member_bytes} bytes (the limit)."
                        )
                    if self.read_total > self.limits.total_bytes:
                        raise ArchiveRefused(
                            f"{self.name} unpacks to more than {self.limits.total_bytes} bytes (the limit)."
                        )
                    yield chunk
        except ArchiveRefused:
            raise
        except (
            zipfile.BadZipFile,
            RuntimeError,  # encrypted
            NotImplementedError,  # compression
            zlib.error,
            EOFError,
            OSError,
            ValueError,
            LookupError,
        ) as error:
            raise ArchiveRefused(f"Zip member '{member}' cannot be read: {error or type(error).__name__}.") from None

    def open(self, info: zipfile.ZipInfo) -> "MemberReader":
        return MemberReader(self.chunks(info))

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class MemberReader:
    """A binary reader (read(n), context manager) over a member's counted chunks."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._pending = b""

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            raise ValueError("a zip member is read in bounded chunks")
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._pending = chunk
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> "MemberReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def member_basename(info: zipfile.ZipInfo) -> str:
    return PurePosixPath(info.orig_filename).name
