"""GeoTIFF frames: the TIFF header's size and georeference, and the timestamp in the filename."""

import re
import struct
from datetime import datetime, tzinfo

from django.conf import settings

from .common import in_range

_PATTERNS = [
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(?!\d)"), 5),  # ..._202001011200.tif
    (re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)"), 3),  # ..._20200101.tif
    (re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)"), 3),  # evaporation2020-1-1.tif
]

_TYPES = {3: ("H", 2), 4: ("I", 4), 12: ("d", 8), 16: ("Q", 8)}
WIDTH, HEIGHT, PIXEL_SCALE, TIEPOINT = 256, 257, 33550, 33922


class NotARaster(ValueError):
    pass


def timestamp_from_filename(name: str, zone: tzinfo) -> datetime | None:
    for pattern, groups in _PATTERNS:
        for match in pattern.finditer(name):
            parts = [int(g) for g in match.groups()[:groups]]
            try:
                value = datetime(*parts, tzinfo=zone)
            except ValueError:
                continue
            return in_range(value)  # OutOfRange: a real date, but not one that can be stored
    return None


# How many values each tag read here may hold: anything larger is not a plausible GeoTIFF header.
_MAX_VALUES = {WIDTH: 1, HEIGHT: 1, PIXEL_SCALE: 3, TIEPOINT: 6 * 64}


def tiff_info(stream) -> dict:
    """Width, height and bounds ([min_x, min_y, max_x, max_y], or None) from a TIFF's first IFD;
    NotARaster, with the reason, for anything that is not a readable TIFF header."""
    try:
        return _tiff_info(stream)
    except (struct.error, ValueError, IndexError) as error:
        if isinstance(error, NotARaster):
            raise
        raise NotARaster(f"a damaged TIFF file ({error})") from None


def _tiff_info(stream) -> dict:
    head = stream.read(16)
    if head[:2] not in (b"II", b"MM"):
        raise NotARaster("not a TIFF file (no II/MM byte order mark)")
    order = "<" if head[:2] == b"II" else ">"
    magic = struct.unpack(order + "H", head[2:4])[0]
    if magic == 42:
        offset, count_fmt, entry_size, big = struct.unpack(order + "I", head[4:8])[0], "H", 12, False
    elif magic == 43:
        offset, count_fmt, entry_size, big = struct.unpack(order + "Q", head[8:16])[0], "Q", 20, True
    else:
        raise NotARaster(f"not a TIFF file (magic number {magic})")
    stream.seek(offset)
    count_size = 8 if big else 2
    raw_count = stream.read(count_size)
    if len(raw_count) < count_size:
        raise NotARaster("truncated TIFF: the first directory is missing")
    (count,) = struct.unpack(order + count_fmt, raw_count)
    # The first IFD's entries are read at once: at most NEXUS_MAX_TIFF_IFD_ENTRIES (a GeoTIFF header
    # has a few dozen).
    if count > settings.NEXUS_MAX_TIFF_IFD_ENTRIES:
        raise NotARaster("corrupt TIFF: implausible directory size")
    entries = stream.read(count * entry_size)
    tags = {}
    for index in range(count):
        entry = entries[index * entry_size : (index + 1) * entry_size]
        if big:
            tag, kind, n = struct.unpack(order + "HHQ", entry[:12])
            inline, value_field = 8, entry[12:20]
        else:
            tag, kind, n = struct.unpack(order + "HHI", entry[:8])
            inline, value_field = 4, entry[8:12]
        if tag not in (WIDTH, HEIGHT, PIXEL_SCALE, TIEPOINT) or kind not in _TYPES:
            continue
        if not 0 < n <= _MAX_VALUES[tag]:
            raise NotARaster(f"corrupt TIFF: tag {tag} claims {n} values")
        fmt, size = _TYPES[kind]
        if n * size <= inline:
            data = value_field[: n * size]
        else:
            (pointer,) = struct.unpack(order + ("Q" if big else "I"), value_field[: 8 if big else 4])
            position = stream.tell()
            stream.seek(pointer)
            data = stream.read(n * size)
            stream.seek(position)
        if len(data) != n * size:
            raise NotARaster(f"truncated TIFF: tag {tag} is cut short")
        tags[tag] = struct.unpack(f"{order}{n}{fmt}", data)
    if WIDTH not in tags or HEIGHT not in tags:
        raise NotARaster("TIFF without image width and height")
    width, height = tags[WIDTH][0], tags[HEIGHT][0]
    bounds = None
    if PIXEL_SCALE in tags and TIEPOINT in tags and len(tags[TIEPOINT]) >= 6:
        sx, sy = tags[PIXEL_SCALE][0], tags[PIXEL_SCALE][1]
        i, j, _k, x, y, _z = tags[TIEPOINT][:6]
        min_x, max_y = x - i * sx, y + j * sy
        bounds = [min_x, max_y - height * sy, min_x + width * sx, max_y]
    return {"width": width, "height": height, "bounds": bounds}
