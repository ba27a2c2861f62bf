"""Spatial features: GeoJSON FeatureCollections (streamed) and CSV with WKT, lat/lon or attributes."""

import math
import re
from collections.abc import Iterator
from decimal import Decimal

import ijson
import shapely.wkt
from django.conf import settings
from shapely.errors import ShapelyError

from .common import ErrorLog, InputRefused, csv_header, csv_rows, parse_number

WKT = {"wkt", "geometry", "geom", "the_geom", "shape"}
LAT = {"lat", "latitude", "y"}
LON = {"lon", "lng", "long", "longitude", "x"}
KEYS = ("id", "id_src", "key", "fid")


def _plain(value):
    """ijson's Decimals as floats (JSON numbers), recursively."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _key(properties: dict, key_prop: str | None, fallback: int):
    """The feature's key: the key property, else an id-like property (any case), else the position."""
    if key_prop:
        value = properties.get(key_prop)
        return None if value in (None, "") else str(value)
    lowered = {name.lower(): value for name, value in properties.items()}
    for name in KEYS:
        if lowered.get(name) not in (None, ""):
            return str(lowered[name])
    return str(fallback)


class _SkipBom:
    """A binary reader that drops a leading UTF-8 byte order mark (ijson refuses one)."""

    def __init__(self, binary):
        self.binary = binary
        self.head = binary.read(3)
        if self.head == b"\xef\xbb\xbf":
            self.head = b""

    def read(self, size=-1):
        if size == 0:
            return b""  # ijson probes the stream's type with read(0)
        if self.head:
            head, self.head = self.head, b""
            rest = size - len(head) if size is not None and size > 0 else -1
            return head + (self.binary.read(rest) if rest != 0 else b"")
        return self.binary.read(size)


# Bounds of the GeoJSON parser, read from the settings when a file is read and counted on ijson's
# event stream before any Python object is built: how deep arrays and objects nest
# (NEXUS_MAX_JSON_DEPTH; a MultiPolygon needs 7 levels with the collection), how many values
# (numbers, strings, keys) one feature holds (NEXUS_MAX_FEATURE_VALUES), and how long one string is
# (NEXUS_MAX_JSON_STRING_CHARS).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")  # PostgreSQL's jsonb and UTF-8 refuse them
_OPEN, _CLOSE = {"start_map", "start_array"}, {"end_map", "end_array"}


# A string's bytes in the file, at most: 6 per character (a \uXXXX escape) within the string bound.
BYTES_PER_CHAR = 6
_STRING_BODY = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+', re.DOTALL)  # to a closing quote, or a lone end backslash


class _StringTooLong(Exception):
    pass


class _BoundedStrings:
    """A binary reader that follows JSON strings in the bytes it passes on, and stops at one longer
    than max_bytes: the parser would hold the whole string (and the str built from it)
    before its length could be checked. Only quotes and backslashes are looked at."""

    def __init__(self, binary, max_bytes: int):
        self.binary = binary
        self.max_bytes = max_bytes
        self.in_string = self.escaped = False
        self.run = 0

    def read(self, size=-1):
        chunk = self.binary.read(size)
        if chunk:
            self._scan(chunk)
        return chunk

    def _scan(self, chunk: bytes) -> None:
        position, end = 0, len(chunk)
        if self.escaped:
            self.escaped, position, self.run = False, 1, self.run + 1
        while position < end:
            if not self.in_string:
                quote = chunk.find(b'"', position)
                if quote < 0:
                    return
                self.in_string, self.run, position = True, 0, quote + 1
                continue
            stop = _STRING_BODY.match(chunk, position).end()
            self.run += stop - position
            if self.run > self.max_bytes:
                raise _StringTooLong
            if stop == end:
                return
            if chunk[stop] == 0x22:  # the closing quote
                self.in_string, position = False, stop + 1
            else:  # a backslash ending the chunk: the byte it escapes comes with the next one
                self.escaped, self.run, position = True, self.run + 1, end


def _geojson_features(binary) -> Iterator[tuple[int, object]]:
    """(position, value) of each item of the root object's `features` list, built one at a time
    within the bounds; anything outside `features` is read past without being built."""
    state = {"number": 0, "building": False, "in_features": False}
    max_string = settings.NEXUS_MAX_JSON_STRING_CHARS
    try:
        yield from _bounded_features(binary, state, max_string=max_string)
    except _StringTooLong:
        where = f"feature {state['number'] + (not state['building'])}: " if state["in_features"] else ""
        raise InputRefused(f"{where}a string is longer than {max_string} characters (the limit)") from None


def _bounded_features(binary, state: dict, *, max_string: int) -> Iterator[tuple[int, object]]:
    max_depth, max_values = settings.NEXUS_MAX_JSON_DEPTH, settings.NEXUS_MAX_FEATURE_VALUES
    depth, root_key, in_features, number = 0, None, False, 0
    builder, values = None, 0
    reader = _BoundedStrings(_SkipBom(binary), max_bytes=BYTES_PER_CHAR * max_string)
    for event, value in ijson.basic_parse(reader, use_float=True):
        state.update(number=number, building=builder is not None, in_features=in_features)
        if event in _OPEN:
            depth += 1
            if depth > max_depth:
                where = f"feature {number + (builder is None)}: " if in_features else ""
                raise InputRefused(f"{where}the JSON nests deeper than {max_depth} levels (the limit)")
        elif event in ("string", "map_key"):
            if len(value) > max_string:
                raise InputRefused(
                    f"feature {number + (builder is None)}: a string is longer than {max_string} characters (the limit)"
                )
            if builder is not None and _UNSTORABLE.search(value):
                raise InputRefused(
                    f"feature {number}: a string holds a NUL or a lone surrogate, which cannot be stored"
                )
        elif event == "number" and builder is not None and not math.isfinite(value):
            raise InputRefused(f"feature {number}: a number is too large to be stored ({value})")
        if builder is not None:
            builder.event(event, value)
            values += 1
            if values > max_values:
                raise InputRefused(f"feature {number}: more than {max_values} values in it (the limit)")
            if event in _CLOSE and depth == 3:
                yield number, builder.value
                builder = None
        elif in_features and depth - (event in _OPEN) == 2 and event not in _CLOSE:
            number += 1
            values = 0
            builder = ijson.ObjectBuilder()
            builder.event(event, value)
            if event not in _OPEN:  # a scalar item: complete at once
                yield number, builder.value
                builder = None
        elif event == "map_key" and depth == 1:
            root_key = value
        elif event == "start_array" and depth == 2 and root_key == "features":
            in_features = True
        if event in _CLOSE:
            depth -= 1
            if in_features and depth == 1:
                in_features = False


def parse_geojson(binary, *, key_prop: str | None, log: ErrorLog) -> Iterator[dict]:
    """Yields {key, geometry, properties} per feature of a FeatureCollection, one at a time."""
    count = 0
    try:
        for number, feature in _geojson_features(binary):
            count += 1
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                log.add(f"feature {number}: not a GeoJSON Feature")
                continue
            properties = _plain(feature.get("properties") or {})
            if not isinstance(properties, dict):
                log.add(f"feature {number}: its properties are not a JSON object")
                continue
            key = feature.get("id")
            key = str(_plain(key)) if key not in (None, "") and not key_prop else _key(properties, key_prop, number)
            if key is None:
                log.add(f"feature {number}: no '{key_prop}' property to key it by")
                continue
            yield {"key": key, "geometry": _plain(feature.get("geometry")), "properties": properties}
    except (ijson.JSONError, ValueError) as error:
        log.add(f"the file is not valid JSON ({error})")
        return
    if count == 0:
        log.add("no features: a GeoJSON FeatureCollection with a 'features' list is expected")


def parse_spatial_csv(text, *, key_prop: str | None, log: ErrorLog) -> Iterator[dict]:
    """Yields {key, geometry, properties} per row: geometry from a WKT column or lat/lon columns, or
    none (attributes only)."""
    first = text.readline()
    if not first.strip():
        log.add("The file is empty: a header line is expected.")
        return
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [name.strip() for name in csv_header(first, delimiter=delimiter)]
    lower = [name.lower() for name in header]
    wkt = next((i for i, name in enumerate(lower) if name in WKT), None)
    lat = next((i for i, name in enumerate(lower) if name in LAT), None)
    lon = next((i for i, name in enumerate(lower) if name in LON), None)
    geometry_cols = {wkt} if wkt is not None else ({lat, lon} if lat is not None and lon is not None else set())
    count = 0
    for line, row in csv_rows(text, delimiter=delimiter):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        row = row + [""] * (len(header) - len(row))
        if any("\x00" in cell for cell in row):
            log.add(f"line {line}: a cell contains a NUL character, which cannot be stored")
            continue
        properties = {header[i]: row[i] for i in range(len(header)) if i not in geometry_cols}
        geometry = None
        if wkt is not None and row[wkt].strip():
            try:
                geometry = shapely.wkt.loads(row[wkt]).__geo_interface__
                geometry = _plain(_lists(geometry))
            except (ShapelyError, ValueError):
                log.add(f"line {line}, column '{header[wkt]}': '{row[wkt][:60]}' is not WKT")
                continue
        elif lat is not None and lon is not None and (row[lat].strip() or row[lon].strip()):
            try:
                geometry = {"type": "Point", "coordinates": [parse_number(row[lon]), parse_number(row[lat])]}
            except ValueError:
                log.add(f"line {line}: '{row[lon]}', '{row[lat]}' are not a longitude and latitude")
                continue
        key = _key(properties, key_prop, line - 1)
        if key is None:
            log.add(f"line {line}: no '{key_prop}' value to key the feature by")
            continue
        count += 1
        yield {"key": key, "geometry": geometry, "properties": properties}
    if count == 0:
        # An empty file never wipes a feature set by accident.
        log.add("no features: the file has a header but no rows")


def _lists(value):
    """shapely's geo interface uses tuples; GeoJSON stored as JSON wants lists."""
    if isinstance(value, tuple | list):
        return [_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return value
