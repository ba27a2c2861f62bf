"""Timeseries CSV ingest: exact values, overlap overwritten, failures change nothing."""

from datetime import UTC, datetime

import pytest

from synctasks.models import DataConnection, FeatureKind
from tests.support.harvest import stored, upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db


def t(day, hour=0):
    return datetime(2021, 1, day, hour, tzinfo=UTC)


FIRST = (
    b"feature,parameter,timestamp,value\n"
    b"A,waterlevel,2021-01-01T00:00:00Z,1.5\n"
    b"A,waterlevel,2021-01-02T00:00:00Z,1.75\n"
    b"A,flow,2021-01-01T00:00:00Z,\n"  # empty: a missing value, not an error
    b"B,waterlevel,2021-01-01T01:00:00+01:00,-2\n"
)


def test_first_upload_stores_exact_values_and_stats(sources):
    upload = upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert stored(dc) == [
        ("A", "waterlevel", t(1), 1.5),
        ("A", "waterlevel", t(2), 1.75),
        ("B", "waterlevel", t(1), -2.0),
    ]
    assert (upload.report["rows_inserted"], upload.report["rows_updated"], upload.report["errors"]) == (3, 0, [])
    dc = DataConnection.objects.get(pk=dc.pk)
    assert (dc.n_features, dc.oldest_time, dc.newest_time) == (2, t(1), t(2))


def test_overlapping_upload_overwrites_the_overlap_and_keeps_the_rest(sources):
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    second = upload_and_ingest(
        sources,
        sources.timeseries,
        "m2.csv",
        b"id_src;datetime;parameter;value\n"  # aliases, ';' separator, decimal comma
        b"A;2021-01-02T00:00:00Z;waterlevel;9,25\n"
        b"C;2021-01-03T00:00:00Z;waterlevel;3\n"
        b"C;2021-01-03T00:00:00Z;waterlevel;4\n",  # within a file, the last row for a key wins
    )
    assert second.sync_status == SyncStatus.SUCCESSFUL, second.report
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert stored(dc) == [
        ("A", "waterlevel", t(1), 1.5),
        ("A", "waterlevel", t(2), 9.25),
        ("B", "waterlevel", t(1), -2.0),
        ("C", "waterlevel", t(3), 4.0),
    ]
    assert (second.report["rows_inserted"], second.report["rows_updated"]) == ((1, 2) if _sqlite() else (1, 1))
    dc = DataConnection.objects.get(pk=dc.pk)
    assert (dc.n_features, dc.oldest_time, dc.newest_time) == (3, t(1), t(3))


def _sqlite() -> bool:
    from django.db import connection

    return connection.vendor == "sqlite"


def test_the_same_file_twice_changes_nothing(sources):
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before = stored(dc)
    again = upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    assert again.sync_status == SyncStatus.SUCCESSFUL
    assert stored(dc) == before
    assert again.report["rows_inserted"] == 0
    if not _sqlite():
        assert (again.report["rows_updated"], again.report["rows_unchanged"]) == (0, 3)


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        (
            b"feature,parameter,timestamp,value\nA,waterlevel,2021-01-05T00:00:00Z,1\nA,waterlevel,2021-01-06,high\n",
            ["line 3, column 'value': 'high' is not a number"],
        ),
        (
            b"feature,parameter,timestamp,value\nA,waterlevel,yesterday,1\n,waterlevel,2021-01-01,2\n",
            [
                "line 2, column 'timestamp': 'yesterday' is not an ISO 8601 timestamp",
                "line 3, column 'feature': the feature is empty",
            ],
        ),
        (
            b"name,value\nA,1\n",
            [
                "line 1: no feature and no timestamp column in the header (name, value); "
                "expected e.g. feature,parameter,timestamp,value"
            ],
        ),
        (b"", ["The file is empty: a header line is expected."]),
        (b"feature,parameter,timestamp,value\n\xff\xfe,p,2021-01-01,1\n", None),
    ],
    ids=["bad-number", "bad-timestamp-and-empty-feature", "no-columns", "empty", "not-utf8"],
)
def test_a_failed_upload_changes_nothing(sources, content, errors):
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before, stats = stored(dc), DataConnection.objects.filter(pk=dc.pk).values().get()
    failed = upload_and_ingest(sources, sources.timeseries, "bad.csv", content)
    assert failed.sync_status == SyncStatus.FAILED
    if errors is not None:
        assert failed.report["errors"] == errors
    else:
        assert failed.report["errors"] == ["the file is not UTF-8 text (invalid start byte: byte b'\\xff')"]
    assert stored(dc) == before
    assert DataConnection.objects.filter(pk=dc.pk).values().get() == stats


def test_wide_csv_with_bom_and_naive_local_timestamps(sources):
    content = "\ufefflocation;datum;waterlevel;flow\nA;2021-01-01 01:00;1,5;\nA;2021-07-01 02:00;2;0,25\n"
    upload = upload_and_ingest(sources, sources.wide, "w.csv", content.encode())
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    dc = sources.dc(sources.wide, FeatureKind.TIMESERIES)
    # Europe/Amsterdam: +01:00 in winter, +02:00 in summer.
    assert stored(dc) == [
        ("A", "flow", datetime(2021, 7, 1, 0, tzinfo=UTC), 0.25),
        ("A", "waterlevel", datetime(2021, 1, 1, 0, tzinfo=UTC), 1.5),
        ("A", "waterlevel", datetime(2021, 7, 1, 0, tzinfo=UTC), 2.0),
    ]


def test_events_csv_returns_what_landed(sources, client):
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    response = client.get(f"/api/v1/dataconnections/{dc.pk}/events/?feature=A&parameter=waterlevel")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == (
        b"timestamp,value\n2021-01-01T00:00:00Z,1.5\n2021-01-02T00:00:00Z,1.75\n"
    )
    windowed = client.get(
        f"/api/v1/dataconnections/{dc.pk}/events/?feature=A&parameter=waterlevel&start=2021-01-02T00:00:00Z"
    )
    assert b"".join(windowed.streaming_content) == b"timestamp,value\n2021-01-02T00:00:00Z,1.75\n"
    missing = client.get(f"/api/v1/dataconnections/{dc.pk}/events/?feature=A")
    assert (missing.status_code, missing.json()) == (400, {"parameter": ["This field is required."]})
    assert client.get("/api/v1/dataconnections/999999/events/?feature=A&parameter=p").status_code == 404


def test_running_the_same_ingest_twice_applies_it_once(sources):
    from uploads.services import upload_ingest

    upload = upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before, report = stored(dc), upload.report
    # The task delivered again (a retry, a duplicate message): nothing is pending, nothing changes.
    assert upload_ingest(upload_id=upload.pk) == 0
    upload.refresh_from_db()
    assert (stored(dc), upload.report) == (before, report)


def test_a_feature_longer_than_the_column_is_an_error_with_its_line(sources):
    content = b"feature,parameter,timestamp,value\n" + b"F" * 300 + b",p,2021-01-01,1\n"
    failed = upload_and_ingest(sources, sources.timeseries, "long.csv", content)
    assert failed.report["errors"] == ["line 2, column 'feature': the feature is longer than 255 characters"]
