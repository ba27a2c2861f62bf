"""The timeseries upsert in chunks (PostgreSQL: applied in a helper thread while the next chunk is
parsed): keys repeated across and within chunks, a series whose newest_time is behind its rows, the
series cache starting again, and the series migration carrying rows over; failures are in
test_chunked_upsert_failures.py."""

from datetime import UTC

import pytest
from django.db import connection

from harvest import appliers
from harvest.appliers.postgres import PostgresApplier
from harvest.models import Measurement, Series
from synctasks.models import DataConnection, FeatureKind
from tests.support.harvest import FIRST, applier_threads, csv, stored, t, upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_keys_repeated_across_and_within_chunks_last_point_wins(sources, small_chunks):
    first = upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    assert first.sync_status == SyncStatus.SUCCESSFUL, first.report
    second = upload_and_ingest(
        sources,
        sources.timeseries,
        "m2.csv",
        csv(
            "A,h,2021-01-02,20",  # chunk 1: stored key, new value
            "A,h,2021-01-02,21",  # chunk 1: the same key again: this one wins within the chunk
            "C,h,2021-01-04,7",  # chunk 2: new series
            "B,h,2021-01-01,3",  # chunk 2: stored key, same value
            "C,h,2021-01-04,8",  # chunk 3: the key chunk 2 inserted, a new value
            "A,h,2021-01-05,9",  # chunk 3: newer than the series' newest stored point
        ),
    )
    assert second.sync_status == SyncStatus.SUCCESSFUL, second.report
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert stored(dc) == [
        ("A", "h", t(1), 1.0),
        ("A", "h", t(2), 21.0),
        ("A", "h", t(3), 5.0),
        ("A", "h", t(5), 9.0),
        ("B", "h", t(1), 3.0),
        ("B", "q", t(1), 4.0),
        ("C", "h", t(4), 8.0),
    ]
    # Counted per chunk: C@4 is inserted by chunk 2 and updated by chunk 3.
    report = second.report
    assert (report["rows_inserted"], report["rows_updated"], report["rows_unchanged"]) == (2, 2, 2)
    assert dict(Series.objects.filter(data_connection=dc).values_list("feature_key", "newest_time")) == {
        "A": t(5),
        "B": t(1),
        "C": t(4),
    }
    dc = DataConnection.objects.get(pk=dc.pk)
    assert (dc.n_features, dc.oldest_time, dc.newest_time) == (3, t(1), t(5))
    assert applier_threads() == []


@pytest.fixture
def full_lookups(monkeypatch) -> list[bool]:
    """Records, per chunk application, whether every staged key was looked up (the retry)."""
    calls: list[bool] = []
    real = PostgresApplier._upsert

    def spy(self, cursor, stage, *, newer_are_new):
        calls.append(not newer_are_new)
        return real(self, cursor, stage, newer_are_new=newer_are_new)

    monkeypatch.setattr(PostgresApplier, "_upsert", spy)
    return calls


@pytest.mark.postgres
def test_a_series_whose_newest_time_is_behind_its_rows_is_looked_up_in_full_then_repaired(
    sources, small_chunks, full_lookups
):
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    # Rows written around the ingest (as a restore or a hand fix would): newest_time stays empty.
    series = Series.objects.create(data_connection=dc, feature_key="A", parameter="h")
    Measurement.objects.create(series=series, timestamp=t(2), value=2.0)
    Measurement.objects.create(series=series, timestamp=t(10), value=10.0)
    upload = upload_and_ingest(sources, sources.timeseries, "m.csv", csv("A,h,2021-01-10,100", "A,h,2021-01-04,4"))
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    assert stored(dc) == [("A", "h", t(2), 2.0), ("A", "h", t(4), 4.0), ("A", "h", t(10), 100.0)]
    assert (upload.report["rows_inserted"], upload.report["rows_updated"]) == (1, 1)
    assert full_lookups == [False, True]  # the plain insert met the stored key: the chunk again, in full
    assert Series.objects.get(pk=series.pk).newest_time == t(10)  # repaired from the rows
    again = upload_and_ingest(sources, sources.timeseries, "m2.csv", csv("A,h,2021-01-10,101", "A,h,2021-01-11,11"))
    assert again.sync_status == SyncStatus.SUCCESSFUL, again.report
    assert full_lookups == [False, True, False]
    assert stored(dc)[-2:] == [("A", "h", t(10), 101.0), ("A", "h", t(11), 11.0)]
    assert Series.objects.get(pk=series.pk).newest_time == t(11)


@pytest.mark.parametrize("chunk", [2, 100], ids=["across-chunks", "within-a-chunk"])
def test_a_series_seen_again_after_the_series_cache_started_again(sources, monkeypatch, chunk):
    monkeypatch.setattr(appliers.MeasurementStager, "SERIES_CACHE", 2)
    monkeypatch.setattr(appliers.MeasurementStager, "CHUNK_POINTS", chunk)
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    upload = upload_and_ingest(
        sources,
        sources.timeseries,
        "m2.csv",
        csv(
            "A,h,2021-01-04,40",
            "B,h,2021-01-04,41",
            "C,h,2021-01-04,42",  # the cache starts again: A gets a second id
            "A,h,2021-01-04,43",  # the key the first A id inserted: this one wins
            "A,h,2021-01-06,6",
            "A,h,2021-01-03,50",
        ),
    )
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert stored(dc) == [
        ("A", "h", t(1), 1.0),
        ("A", "h", t(2), 2.0),
        ("A", "h", t(3), 50.0),
        ("A", "h", t(4), 43.0),
        ("A", "h", t(6), 6.0),
        ("B", "h", t(1), 3.0),
        ("B", "h", t(4), 41.0),
        ("B", "q", t(1), 4.0),
        ("C", "h", t(4), 42.0),
    ]
    # Within one chunk A@4 counts once, as inserted; across chunks, inserted then updated. SQLite
    # counts every existing key as updated.
    updated = 2 if chunk == 2 or connection.vendor == "sqlite" else 1
    assert (upload.report["rows_inserted"], upload.report["rows_updated"]) == (4, updated)
    assert sorted(Series.objects.values_list("feature_key", "parameter", "newest_time")) == [
        ("A", "h", t(6)),
        ("B", "h", t(4)),
        ("B", "q", t(1)),
        ("C", "h", t(4)),
    ]


def test_feature_and_parameter_with_tabs_backslashes_and_quotes_round_trip(sources, small_chunks):
    content = b'feature,parameter,timestamp,value\n"a\tb\\\\c","p ""q""\nr",2021-01-01,1\n'
    upload = upload_and_ingest(sources, sources.timeseries, "m.csv", content)
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert stored(dc) == [("a\tb\\\\c", 'p "q"\nr', t(1), 1.0)]


def test_the_series_migration_carries_measurements_over_both_ways(transactional_db):
    from django.db.migrations.executor import MigrationExecutor

    from accounts.services import organization_get_or_create
    from synctasks.services import data_source_create, feature_type_ensure

    source = data_source_create(
        name="m",
        organization=organization_get_or_create(name="O"),
        ext="csv",
        uploadable=True,
        feature_types=[feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)],
    )
    dc = source.sync_task.dataconnections.get()
    f1 = Series.objects.create(data_connection=dc, feature_key="F1", parameter="p", newest_time=t(2))
    Measurement.objects.create(series=f1, timestamp=t(1), value=1.5)
    Measurement.objects.create(series=f1, timestamp=t(2), value=2.5)
    executor = MigrationExecutor(connection)
    executor.migrate([("harvest", "0003_harvest_runs")])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                'SELECT data_connection_id, feature_key, parameter, "timestamp", value FROM harvest_measurement '
                'ORDER BY "timestamp"'
            )
            # SQLite's raw cursor gives naive UTC datetimes.
            rows = [(*row[:3], row[3].replace(tzinfo=UTC), row[4]) for row in cursor.fetchall()]
            assert rows == [
                (dc.pk, "F1", "p", t(1), 1.5),
                (dc.pk, "F1", "p", t(2), 2.5),
            ]
            cursor.execute(
                'INSERT INTO harvest_measurement (data_connection_id, feature_key, parameter, "timestamp", value) '
                "VALUES (%s, 'F2', 'q', %s, 3.5)",
                [dc.pk, t(1)],
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert stored(dc) == [("F1", "p", t(1), 1.5), ("F1", "p", t(2), 2.5), ("F2", "q", t(1), 3.5)]
    assert sorted(Series.objects.values_list("feature_key", "parameter", "newest_time")) == [
        ("F1", "p", t(2)),
        ("F2", "q", t(1)),
    ]


def test_a_nul_character_in_a_feature_or_parameter_is_an_error_with_its_line(sources):
    failed = upload_and_ingest(
        sources, sources.timeseries, "m.csv", csv("A\x00B,h,2021-01-01,1", "A,h\x00,2021-01-01,1", "A,h,2021-01-02,2")
    )
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"] == [
        "line 2, column 'feature': the feature contains a NUL character",
        "line 3, column 'parameter': the parameter contains a NUL character",
    ]
    assert Measurement.objects.count() == 0
    assert Series.objects.count() == 0


def test_two_ingests_in_one_transaction_keep_their_points_apart(sources, small_chunks):
    """The drain of a source's pending uploads runs several ingests in one transaction: the
    second must not see the first's staged points or series ids."""
    from django.db import transaction

    from blobs.services import blob_write
    from harvest.services import ingest

    first = blob_write(chunks=[csv("A,h,2021-01-01,1", "B,h,2021-01-01,2", "C,h,2021-01-01,3")])
    second = blob_write(chunks=[b"location,datum,flow\nX,2021-01-02 01:00,5\nY,2021-01-02 01:00,6\n"])
    with transaction.atomic():
        one = ingest(blob=first, data_source=sources.timeseries, filename="a.csv")
        two = ingest(blob=second, data_source=sources.wide, filename="b.csv")
    assert (one["rows_inserted"], two["rows_inserted"]) == (3, 2)
    assert stored(sources.dc(sources.timeseries, FeatureKind.TIMESERIES)) == [
        ("A", "h", t(1), 1.0),
        ("B", "h", t(1), 2.0),
        ("C", "h", t(1), 3.0),
    ]
    assert stored(sources.dc(sources.wide, FeatureKind.TIMESERIES)) == [
        ("X", "flow", t(2), 5.0),
        ("Y", "flow", t(2), 6.0),
    ]
