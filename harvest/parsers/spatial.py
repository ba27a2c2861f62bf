"""Spatial features: GeoJSON FeatureCollections (streamed) and CSV with WKT, lat/lon or attributes."""

import csv
from collections.abc import Iterator
from decimal import Decimal

import ijson
import shapely.wkt
from shapely.errors import ShapelyError

from .common import ErrorLog, parse_number

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


def parse_geojson(binary, *, key_prop: str | None, log: ErrorLog) -> Iterator[dict]:
    """Yields {key, geometry, properties} per feature of a FeatureCollection, one at a time."""
    count = 0
    try:
        for number, feature in enumerate(ijson.items(_SkipBom(binary), "features.item"), start=1):
            count += 1
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                log.add(f"feature {number}: not a GeoJSON Feature")
                continue
            properties = _plain(feature.get("properties") or {})
            key = feature.get("id")
            key = str(_plain(key)) if key not in (None, "") and not key_prop else _key(properties, key_prop, number)
            if key is None:
                log.add(f"feature {number}: no '{key_prop}' property to key it by")
                continue
            yield {"key": key, "geometry": _plain(feature.get("geometry")), "properties": properties}
    except ijson.JSONError as error:
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
    header = [name.strip() for name in next(csv.reader([first], delimiter=delimiter))]
    lower = [name.lower() for name in header]
    wkt = next((i for i, name in enumerate(lower) if name in WKT), None)
    lat = next((i for i, name in enumerate(lower) if name in LAT), None)
    lon = next((i for i, name in enumerate(lower) if name in LON), None)
    geometry_cols = {wkt} if wkt is not None else ({lat, lon} if lat is not None and lon is not None else set())
    count = 0
    for line, row in enumerate(csv.reader(text, delimiter=delimiter), start=2):
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        row = row + [""] * (len(header) - len(row))
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
