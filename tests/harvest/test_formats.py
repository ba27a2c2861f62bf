"""The registry of ingest formats: which format a file is read as, by extension and connection kinds."""

from harvest.formats import FORMATS, extension_of, format_for
from synctasks.models import FeatureKind
from uploads import filenames


def test_one_extension_of_for_harvest_and_uploads():
    assert filenames.extension_of is extension_of
    assert [extension_of(name) for name in ("a.CSV", "a.tar.gz", "noext", ".hidden", "a.")] == [
        "csv",
        "gz",
        "",
        "hidden",
        "",
    ]


def test_a_csv_is_timeseries_where_the_source_has_such_a_connection_else_spatial():
    both = {FeatureKind.TIMESERIES, FeatureKind.SPATIAL}
    assert format_for("csv", both).name == "timeseries CSV"
    assert format_for("csv", {FeatureKind.SPATIAL}).name == "spatial CSV"
    # Neither: the last candidate, whose missing connection the ingest then names.
    assert format_for("csv", {FeatureKind.RASTER}).name == "spatial CSV"
    assert format_for("txt", {FeatureKind.SPATIAL}).name == "KNMI daily data"
    assert format_for("geojson", set()).kind == FeatureKind.SPATIAL
    assert format_for("tiff", set()).kind == FeatureKind.RASTER
    assert format_for("pdf", {FeatureKind.DOCUMENT}) is None


def test_every_extension_belongs_to_formats_of_distinct_kinds():
    seen: dict[str, set[str]] = {}
    for entry in FORMATS:
        for ext in entry.extensions:
            assert entry.kind not in seen.setdefault(ext, set()), ext
            seen[ext].add(entry.kind)
