"""Timestamps outside years 1 to 9999 in UTC are refused with their lines, in a source's zone too;
stored edge timestamps never break a read nor the next upload."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from accounts.services import token_create
from harvest.models import Measurement
from synctasks.models import FeatureKind, Subscription, SyncTask, World
from tests.support.harvest import GOOD, HEADER, failed_with, stored, upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db


def test_timestamps_outside_years_1_to_9999_in_utc_are_refused_with_their_lines(sources):
    content = HEADER + (
        b"A,p,2021-01-01T00:00:00Z,1\nA,p,0001-01-01T00:00:00+14:00,2\nA,p,9999-12-31T23:59:59-14:00,3\n"
        b"A,p,0001-01-01T14:00:00+14:00,4\nA,p,9999-12-31T23:59:59+00:00,5\n"
    )
    upload = upload_and_ingest(sources, sources.timeseries, "m.csv", content)
    reason = "is outside years 1 to 9999 in UTC (the range stored timestamps must be in)"
    failed_with(
        upload,
        [
            f"line 3, column 'timestamp': '0001-01-01T00:00:00+14:00' {reason}",
            f"line 4, column 'timestamp': '9999-12-31T23:59:59-14:00' {reason}",
        ],
    )
    # The first and last years themselves are fine.
    edges = HEADER + b"A,p,0001-01-01T14:00:00+14:00,4\nA,p,9999-12-31T23:59:59+00:00,5\n"
    upload = upload_and_ingest(sources, sources.timeseries, "m.csv", edges)
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert stored(dc) == [
        ("A", "p", datetime(1, 1, 1, 0, tzinfo=UTC), 4.0),
        ("A", "p", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC), 5.0),
    ]


def test_a_naive_timestamp_is_checked_in_the_sources_zone(sources):
    # Europe/Amsterdam is ahead of UTC: 0001-01-01T00:00 there is year 0 in UTC.
    content = b"feature,timestamp,p\nA,0001-01-01T00:00:00,1\n"
    upload = upload_and_ingest(sources, sources.wide, "w.csv", content)
    failed_with(
        upload,
        [
            "line 2, column 'timestamp': '0001-01-01T00:00:00' is outside years 1 to 9999 in UTC "
            "(the range stored timestamps must be in)"
        ],
    )


def test_a_raster_dated_outside_the_range(sources):
    sources.rasters.time_zone = "Europe/Amsterdam"  # 0001-01-01T00:00 there is year 0 in UTC
    sources.rasters.save()
    upload = upload_and_ingest(sources, sources.rasters, "evaporation0001-1-1.tif", b"II*\0")
    failed_with(
        upload,
        [
            "the date in the name of 'evaporation0001-1-1.tif' is outside years 1 to 9999 in UTC "
            "(the range stored timestamps must be in)"
        ],
    )


@pytest.mark.postgres
def test_stored_edge_timestamps_never_break_the_reads_and_the_next_upload_succeeds(sources, client, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"  # ahead of UTC: the largest stored value has no local time
    source = sources.timeseries
    dc = sources.dc(source, FeatureKind.TIMESERIES)
    bad = HEADER + b"A,p,0001-01-01T00:00:00+14:00,1\nA,p,9999-12-31T23:59:59-14:00,2\n"
    upload = upload_and_ingest(sources, source, "m.csv", bad)
    assert upload.sync_status == SyncStatus.FAILED
    assert [e.split(",")[0] for e in upload.report["errors"]] == ["line 2", "line 3"]
    assert Measurement.objects.count() == 0
    # Rows written before these checks existed (or by hand): year 10000 and 1 BC.
    assert upload_and_ingest(sources, source, "m.csv", GOOD).sync_status == SyncStatus.SUCCESSFUL
    series_id = Measurement.objects.get().series_id
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO harvest_measurement (series_id, timestamp, value) VALUES "
            "(%s, '10000-01-01T00:00:00Z', 7), (%s, '0001-01-01T00:00:00Z BC', 8)",
            [series_id, series_id],
        )
        cursor.execute(
            "UPDATE synctasks_dataconnection SET oldest_time = '0001-01-01T00:00:00Z BC', "
            "newest_time = '10000-01-01T00:00:00Z' WHERE id = %s",
            [dc.pk],
        )
        cursor.execute(
            "UPDATE synctasks_datasource SET sync_last_finished = '10000-01-01T00:00:00Z' WHERE id = %s", [source.pk]
        )
    token = token_create(user=sources.user, name="t").raw
    task = SyncTask.objects.get(data_source=source)
    world = World.objects.create(alias="edge")
    Subscription.objects.create(world=world, data_connection=dc, retention_time=10**12)
    listed = client.get(f"/api/v1/sync_tasks_new/?token={token}")
    assert listed.status_code == 200, listed.content
    in_world = client.get(f"/api/v1/sync_tasks_new/?world=edge&token={token}")
    assert in_world.status_code == 200, in_world.content
    [task_body] = in_world.json()["results"]
    [shown] = task_body["dataconnections"]
    assert (shown["oldest_time"], shown["newest_time"]) == ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
    detail = client.get(f"/api/v1/sync_tasks_new/{task.pk}/?token={token}")
    assert detail.status_code == 200, detail.content
    events = client.get(f"/api/v1/dataconnections/{dc.pk}/events/?feature=A&parameter=p&token={token}")
    assert events.status_code == 200
    assert b"".join(events.streaming_content) == (
        b"timestamp,value\n0001-01-01T00:00:00Z,8.0\n2021-01-01T00:00:00Z,1.5\n9999-12-31T23:59:59.999999Z,7.0\n"
    )
    read = client.get(f"/api/v1/events/?world=edge&timeseries_id={series_id}&sortby=timestamp a&token={token}")
    assert b"".join(read.streaming_content) == (
        b"timestamp,value\n0001-01-01 00:00:00+00,8.0\n2021-01-01 00:00:00+00,1.5\n9999-12-31 23:59:59.999999+00,7.0\n"
    )
    reduced = "&view=reduced&range=0001-01-01T00:00:00Z/9999-12-31T00:00:00Z&bucket_interval=P10000D"
    assert client.get(f"/api/v1/events/?world=edge&timeseries_id={series_id}{reduced}&token={token}").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("UPDATE uploads_upload SET upload_date = '10000-01-01T00:00:00Z' WHERE id = %s", [upload.pk])
    uploads = client.get(f"/api/v1/uploads/?token={token}")
    assert uploads.status_code == 200, uploads.content
    assert uploads.json()[0]["sync_last_finished"] == "9999-12-31T23:59:59Z"
    detail = client.get(f"/api/v1/uploads/{upload.pk}/?token={token}")
    assert detail.status_code == 200, detail.content
    assert detail.json()["upload_date"] == "9999-12-31T23:59:59.999999+00:00"
    # The next upload of that source succeeds, its data landed exactly.
    following = upload_and_ingest(sources, source, "m.csv", HEADER + b"A,p,2021-01-02T00:00:00Z,2.5\n")
    assert following.sync_status == SyncStatus.SUCCESSFUL, following.report
    assert Measurement.objects.filter(series_id=series_id, timestamp__year=2021).count() == 2
