"""Every parser refuses input over its stated bounds, naming the file, line and limit, and values
that cannot be stored; timestamps are in test_bounded_timestamps.py."""

import io
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings

from harvest.models import Feature, HarvestRun, Measurement, RunStatus
from harvest.runs import harvest_execute
from synctasks.models import SyncTask
from tests.support.harvest import GOOD, HEADER, failed_with, upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db


def deep_geojson(depth: int) -> bytes:
    return (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"1","properties":{},'
        b'"geometry":{"type":"Point","coordinates":' + b"[" * depth + b"]" * depth + b"}}]}"
    )


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


def test_a_line_over_the_limit_fails_naming_file_line_and_limit(sources, settings):
    content = HEADER + b"A,p,2021-01-01T00:00:00Z," + b"1" * (settings.NEXUS_MAX_LINE_CHARS + 10) + b"\n"
    upload = upload_and_ingest(sources, sources.timeseries, "data.csv", content)
    failed_with(upload, ["data.csv: line 2: the line is longer than 1048576 characters (the limit)"])
    assert Measurement.objects.count() == 0


def test_a_line_without_any_line_end_is_refused_too(sources, settings):
    content = HEADER + b"A,p,2021-01-01T00:00:00Z,1\n" + b"x" * (3 * settings.NEXUS_MAX_LINE_CHARS)
    upload = upload_and_ingest(sources, sources.timeseries, "data.csv", content)
    failed_with(upload, ["data.csv: line 3: the line is longer than 1048576 characters (the limit)"])


def test_a_zip_member_with_a_long_line_names_the_member(sources, settings):
    content = zipped("dir/data.csv", HEADER + b"x" * (2 * settings.NEXUS_MAX_LINE_CHARS))
    upload = upload_and_ingest(sources, sources.timeseries, "data.zip", content)
    failed_with(upload, ["dir/data.csv: line 2: the line is longer than 1048576 characters (the limit)"])


def test_a_quoted_record_over_many_lines_counts_as_one(sources):
    cells = b"".join(b'"a\n' + b"b" * 1000 + b'",' for _ in range(1100))
    content = HEADER + b"A,p,2021-01-01T00:00:00Z,1\n" + cells + b"\n"
    upload = upload_and_ingest(sources, sources.timeseries, "data.csv", content)
    failed_with(upload, ["data.csv: line 3: the record is longer than 1048576 characters (the limit)"])


def test_a_field_over_the_limit(sources, settings):
    content = HEADER + b'A,p,2021-01-01T00:00:00Z,"' + b"1" * (settings.NEXUS_MAX_FIELD_CHARS + 1) + b'"\n'
    upload = upload_and_ingest(sources, sources.spatial_csv, "data.csv", content)
    failed_with(
        upload, [f"data.csv: line 2: a field is longer than {settings.NEXUS_MAX_FIELD_CHARS} characters (the limit)"]
    )


def test_a_header_with_too_many_columns(sources, settings):
    content = (
        b"feature,timestamp," + b",".join(b"c%d" % i for i in range(settings.NEXUS_MAX_COLUMNS)) + b"\nA,2021-01-01,1\n"
    )
    upload = upload_and_ingest(sources, sources.wide, "data.csv", content)
    failed_with(
        upload,
        [
            f"data.csv: line 1: the header has {settings.NEXUS_MAX_COLUMNS + 2} columns; "
            f"the limit is {settings.NEXUS_MAX_COLUMNS}"
        ],
    )


def test_a_knmi_file_with_a_long_line(sources, settings):
    content = b"# STN,YYYYMMDD,TG\n" + b"#" * (settings.NEXUS_MAX_LINE_CHARS + 1) + b"\n"
    upload = upload_and_ingest(sources, sources.knmi, "etmgeg_260.txt", content)
    failed_with(upload, ["etmgeg_260.txt: line 2: the line is longer than 1048576 characters (the limit)"])


def test_the_100000_deep_geojson_is_refused_before_it_is_built(sources, settings):
    upload = upload_and_ingest(sources, sources.geojson, "deep.geojson", deep_geojson(100_000))
    failed_with(
        upload,
        [f"deep.geojson: feature 1: the JSON nests deeper than {settings.NEXUS_MAX_JSON_DEPTH} levels (the limit)"],
    )
    assert Feature.objects.count() == 0


def test_nesting_outside_the_features_is_refused_as_well(sources, settings):
    content = b'{"type":"FeatureCollection","meta":' + b"[" * 1000 + b"]" * 1000 + b',"features":[]}'
    upload = upload_and_ingest(sources, sources.geojson, "deep.json", content)
    failed_with(upload, [f"deep.json: the JSON nests deeper than {settings.NEXUS_MAX_JSON_DEPTH} levels (the limit)"])


def test_geojson_at_the_depth_limit_is_read(sources):
    # collection (1), features (2), feature (3), geometry (4), the point (5) in 59 more arrays: 64.
    coordinates = b"[" * 59 + b"[1.0,2.0]" + b"]" * 59
    content = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"f","properties":{"a":{"b":[1]}},'
        b'"geometry":{"type":"Point","coordinates":' + coordinates + b"}}]}"
    )
    upload = upload_and_ingest(sources, sources.geojson, "ok.geojson", content)
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    feature = Feature.objects.get()
    assert (feature.key, feature.properties) == ("f", {"a": {"b": [1]}})


def test_a_feature_with_too_many_values_and_a_string_too_long(sources, settings):
    many = b",".join([b"1"] * (settings.NEXUS_MAX_FEATURE_VALUES + 1))
    content = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"f","properties":{},'
        b'"geometry":{"type":"MultiPoint","coordinates":[' + many + b"]}}]}"
    )
    upload = upload_and_ingest(sources, sources.geojson, "many.geojson", content)
    failed_with(
        upload, [f"many.geojson: feature 1: more than {settings.NEXUS_MAX_FEATURE_VALUES} values in it (the limit)"]
    )
    long = b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"' + b"k" * (
        settings.NEXUS_MAX_JSON_STRING_CHARS + 1
    )
    upload = upload_and_ingest(sources, sources.geojson, "long.geojson", long + b'"}]}')
    failed_with(
        upload,
        [
            f"long.geojson: feature 1: a string is longer than {settings.NEXUS_MAX_JSON_STRING_CHARS} "
            "characters (the limit)"
        ],
    )


def test_the_bounds_are_read_from_the_settings_when_a_file_is_read(sources, settings):
    settings.NEXUS_MAX_LINE_CHARS = 100
    upload = upload_and_ingest(
        sources, sources.timeseries, "data.csv", HEADER + b"A,p,2021-01-01T00:00:00Z," + b"1" * 100
    )
    failed_with(upload, ["data.csv: line 2: the line is longer than 100 characters (the limit)"])
    settings.NEXUS_MAX_LINE_CHARS, settings.NEXUS_MAX_FIELD_CHARS, settings.NEXUS_MAX_COLUMNS = 10_000, 50, 3
    upload = upload_and_ingest(sources, sources.spatial_csv, "s.csv", b'id,name\n1,"' + b"n" * 51 + b'"\n')
    failed_with(upload, ["s.csv: line 2: a field is longer than 50 characters (the limit)"])
    upload = upload_and_ingest(sources, sources.wide, "w.csv", b"feature,timestamp,a,b\nA,2021-01-01,1,2\n")
    failed_with(upload, ["w.csv: line 1: the header has 4 columns; the limit is 3"])
    settings.NEXUS_MAX_JSON_DEPTH = 4
    upload = upload_and_ingest(sources, sources.geojson, "d.geojson", deep_geojson(2))
    failed_with(upload, ["d.geojson: feature 1: the JSON nests deeper than 4 levels (the limit)"])
    settings.NEXUS_MAX_JSON_DEPTH, settings.NEXUS_MAX_FEATURE_VALUES = 64, 5
    upload = upload_and_ingest(sources, sources.geojson, "v.geojson", deep_geojson(2))
    failed_with(upload, ["v.geojson: feature 1: more than 5 values in it (the limit)"])
    settings.NEXUS_MAX_FEATURE_VALUES = 1_000_000
    settings.NEXUS_MAX_JSON_STRING_CHARS = 8
    upload = upload_and_ingest(sources, sources.geojson, "l.geojson", deep_geojson(1).replace(b'"1"', b'"123456789"'))
    failed_with(upload, ["l.geojson: feature 1: a string is longer than 8 characters (the limit)"])
    settings.NEXUS_MAX_KNMI_STATIONS = 2
    stations = b"".join(b"# %d: 5.0 52.0 1.0 S%d\n" % (n, n) for n in range(3))
    upload = upload_and_ingest(sources, sources.knmi, "k.txt", b"# STN LON LAT ALT NAME\n" + stations)
    failed_with(upload, ["k.txt: line 4: more than 2 stations (the limit)"])
    settings.NEXUS_MAX_COLUMNS, settings.NEXUS_MAX_REPORT_ERRORS = 10_000, 2
    upload = upload_and_ingest(sources, sources.timeseries, "e.csv", HEADER + b"A,p,x,1\n" * 3)
    assert len(upload.report["errors"]) == 3 and upload.report["errors"][2] == "... and 1 more errors."


@pytest.fixture
def served():
    """A local HTTP endpoint answering every GET with `served.body`."""
    state = SimpleNamespace(body=b"")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_port}/export.zip"
    yield state
    server.shutdown()


def _bad_crc_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("a.csv", GOOD)
    data = bytearray(buffer.getvalue())
    data[data.index(b"A,p,")] = ord("B")
    return bytes(data)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (lambda: _bad_crc_zip(), ["Zip member 'a.csv' cannot be read: Bad CRC-32 for file 'a.csv'."]),
        (
            lambda: zipped("x/a.csv", HEADER + b"1" * (django_settings.NEXUS_MAX_LINE_CHARS + 1)),
            ["x/a.csv: line 2: the line is longer than 1048576 characters (the limit)"],
        ),
        (lambda: zipped("../a.csv", GOOD), ["Zip member '../a.csv' has an absolute path or '..' in its path."]),
        (
            lambda: b"PK\x03\x04 truncated",
            ["'harvest.zip' is not a readable zip archive (no end of central directory: truncated?)."],
        ),
    ],
    ids=["bad crc", "long line", "unsafe path", "truncated"],
)
def test_harvested_zips_are_read_within_the_same_bounds(sources, served, body, errors):
    source = sources.timeseries
    source.ext, source.endpoint = "zip", served.url
    source.save()
    served.body = body()
    run = HarvestRun.objects.create(sync_task=SyncTask.objects.get(data_source=source))
    assert harvest_execute(run_id=run.pk) == RunStatus.FAILED
    run.refresh_from_db()
    assert run.report["errors"] == errors
    assert Measurement.objects.count() == 0


def test_geojson_values_postgresql_cannot_store_are_refused(sources):
    def collection(value: bytes) -> bytes:
        return (
            b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"f","properties":{"v":'
            + value
            + b'},"geometry":null}]}'
        )

    upload = upload_and_ingest(sources, sources.geojson, "v.geojson", collection(b'"a\\u0000b"'))
    failed_with(upload, ["v.geojson: feature 1: a string holds a NUL or a lone surrogate, which cannot be stored"])
    upload = upload_and_ingest(sources, sources.geojson, "v.geojson", collection(b"1e400"))
    assert upload.sync_status == SyncStatus.FAILED
    assert upload.report["errors"][0].startswith("the file is not valid JSON (parse error: numeric (floating point)")
    assert Feature.objects.count() == 0


def test_a_spatial_csv_cell_with_nul(sources):
    upload = upload_and_ingest(sources, sources.spatial_csv, "s.csv", b"id,name\n1,a\x00b\n2,ok\n")
    failed_with(upload, ["line 2: a cell contains a NUL character, which cannot be stored"])


def test_a_knmi_station_table_over_the_limit(sources, settings):
    stations = b"".join(b"# %d: 5.0 52.0 1.0 S%d\n" % (n, n) for n in range(settings.NEXUS_MAX_KNMI_STATIONS + 1))
    upload = upload_and_ingest(sources, sources.knmi, "k.txt", b"# STN LON LAT ALT NAME\n" + stations)
    failed_with(
        upload,
        [
            f"k.txt: line {settings.NEXUS_MAX_KNMI_STATIONS + 2}: "
            f"more than {settings.NEXUS_MAX_KNMI_STATIONS} stations (the limit)"
        ],
    )


def test_a_string_many_times_the_limit_is_refused_before_it_is_held_whole(settings):
    # 64 MiB in one string: the parser would hold it whole (and its str) before checking its length.
    import tracemalloc

    from harvest.parsers.common import ErrorLog, InputRefused
    from harvest.parsers.spatial import parse_geojson

    class Hostile(io.RawIOBase):
        def __init__(self):
            self.parts = iter(
                [b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"1","properties":{"a":"']
                + [b"\\\\k" * (1024 * 1024 // 3)] * 64
                + [b'"}}]}']
            )

        def readable(self):
            return True

        def read(self, size=-1):
            return next(self.parts, b"")

    tracemalloc.start()
    try:
        with pytest.raises(InputRefused) as refused:
            list(parse_geojson(Hostile(), key_prop=None, log=ErrorLog()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (
        str(refused.value)
        == f"feature 1: a string is longer than {settings.NEXUS_MAX_JSON_STRING_CHARS} characters (the limit)"
    )
    assert peak < 16 * 1024 * 1024
