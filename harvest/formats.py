"""The registry of ingest formats: per format its extensions, its parser and the connection kind it fills."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from synctasks.models import FeatureKind

from .parsers.common import text_stream
from .parsers.knmi import KnmiFile
from .parsers.spatial import parse_geojson, parse_spatial_csv
from .parsers.timeseries import parse_timeseries_csv


def extension_of(name: str) -> str:
    """The lower-case extension of a name, without the dot ('' when there is none)."""
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


class Ingest(Protocol):
    """What a format's reader uses of the ingest in progress (harvest.services._Ingest)."""

    log: object
    timestamps: object

    def measurements(self): ...

    def features(self): ...

    def raster(self, name: str, blob) -> None: ...


# A reader: (the ingest, the file's name, a callable opening its bytes, a callable giving it as a blob).
Reader = Callable[[Ingest, str, Callable, Callable], None]


@dataclass(frozen=True)
class Format:
    name: str
    extensions: frozenset[str]
    kind: str  # the FeatureKind of the data connection it fills (KNMI: its stations too, if any)
    read: Reader


def _knmi(ingest: Ingest, name: str, open_binary: Callable, as_blob: Callable) -> None:
    with open_binary() as binary:
        # KNMI writes its comments in Latin-1 (e.g. the degree sign).
        knmi = KnmiFile(text_stream(binary, encoding="latin-1"), log=ingest.log)
        if knmi.stations:
            ingest.features().add(station.as_feature() for station in knmi.stations)
        ingest.measurements().add(knmi.points())


def _timeseries_csv(ingest: Ingest, name: str, open_binary: Callable, as_blob: Callable) -> None:
    with open_binary() as binary:
        points = parse_timeseries_csv(text_stream(binary), timestamps=ingest.timestamps, log=ingest.log)
        ingest.measurements().add(points)


def _spatial_csv(ingest: Ingest, name: str, open_binary: Callable, as_blob: Callable) -> None:
    with open_binary() as binary:
        ingest.features().add(parse_spatial_csv(text_stream(binary), key_prop=None, log=ingest.log))


def _geojson(ingest: Ingest, name: str, open_binary: Callable, as_blob: Callable) -> None:
    with open_binary() as binary:
        replacer = ingest.features()
        replacer.add(parse_geojson(binary, key_prop=None, log=ingest.log))


def _raster(ingest: Ingest, name: str, open_binary: Callable, as_blob: Callable) -> None:
    ingest.raster(name, as_blob())


# In order of preference: of the formats an extension names, the first whose kind the data source
# has a connection of is read; if it has none of them, the last (which then names the one missing).
FORMATS = (
    Format("KNMI daily data", frozenset({"txt"}), FeatureKind.TIMESERIES, _knmi),
    Format("timeseries CSV", frozenset({"csv"}), FeatureKind.TIMESERIES, _timeseries_csv),
    Format("spatial CSV", frozenset({"csv"}), FeatureKind.SPATIAL, _spatial_csv),
    Format("GeoJSON", frozenset({"json", "geojson"}), FeatureKind.SPATIAL, _geojson),
    Format("GeoTIFF", frozenset({"tif", "tiff"}), FeatureKind.RASTER, _raster),
)


def format_for(ext: str, kinds) -> Format | None:
    """The format a file of extension `ext` is read as, given the kinds of the source's connections;
    None if no format has that extension (the file is a document, if the source takes them)."""
    candidates = [entry for entry in FORMATS if ext in entry.extensions]
    if not candidates:
        return None
    return next((entry for entry in candidates if entry.kind in kinds), candidates[-1])
