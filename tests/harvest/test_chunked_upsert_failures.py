"""The chunked upsert when something goes wrong while chunks are applied in the helper thread
(PostgreSQL): a parse, database or UTF-8 error, an interrupt; and retention meanwhile. Nothing changes."""

import threading

import pytest
from django.db import connection

from harvest import appliers
from harvest.appliers.postgres import PostgresApplier
from harvest.models import Series
from synctasks.models import DataConnection, FeatureKind
from tests.support.harvest import FIRST, applier_threads, csv, stored, t, upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_a_parse_error_after_applied_chunks_changes_nothing(sources, small_chunks):
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before = stored(dc)
    series_before = sorted(Series.objects.values_list("pk", "feature_key", "parameter", "newest_time"))
    stats = DataConnection.objects.filter(pk=dc.pk).values().get()
    failed = upload_and_ingest(
        sources,
        sources.timeseries,
        "bad.csv",
        csv("A,h,2021-01-01,10", "A,h,2021-01-02,20", "D,h,2021-01-09,1", "E,h,2021-01-09,1", "A,h,2021-01-03,x"),
    )
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"] == ["line 6, column 'value': 'x' is not a number"]
    assert stored(dc) == before
    assert sorted(Series.objects.values_list("pk", "feature_key", "parameter", "newest_time")) == series_before
    assert DataConnection.objects.filter(pk=dc.pk).values().get() == stats
    assert applier_threads() == []


@pytest.mark.postgres
def test_a_database_error_in_the_applier_fails_the_upload_and_changes_nothing(sources, small_chunks, monkeypatch):
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before, stats = stored(dc), DataConnection.objects.filter(pk=dc.pk).values().get()
    real_apply, calls = PostgresApplier._apply, []

    def failing_apply(self, cursor, rows, new_series):
        calls.append(rows)
        if len(calls) == 2:  # the first chunk is applied, the second fails inside PostgreSQL
            cursor.execute("SELECT 1 / 0")
        real_apply(self, cursor, rows, new_series)

    monkeypatch.setattr(PostgresApplier, "_apply", failing_apply)
    failed = upload_and_ingest(
        sources,
        sources.timeseries,
        "m2.csv",
        csv("A,h,2021-01-01,10", "A,h,2021-01-02,20", "D,h,2021-01-09,1", "E,h,2021-01-09,1", "F,h,2021-01-09,1"),
    )
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"] == ["Internal error during ingest (DataError); an admin can re-run it."]
    assert len(calls) == 2  # the third chunk was not applied after the error
    assert stored(dc) == before
    assert DataConnection.objects.filter(pk=dc.pk).values().get() == stats
    assert applier_threads() == []
    # The connection is usable again (the transaction was rolled back, not left aborted).
    again = upload_and_ingest(sources, sources.timeseries, "m3.csv", csv("A,h,2021-01-01,11"))
    assert again.sync_status == SyncStatus.SUCCESSFUL, again.report
    assert stored(dc)[0] == ("A", "h", t(1), 11.0)


class Interrupted(Exception):
    """Stands for a task time limit raised while the ingest waits for the applier."""


@pytest.mark.postgres
def test_an_interrupt_while_waiting_for_the_applier_cancels_it_and_changes_nothing(sources, small_chunks, monkeypatch):
    import time

    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before, stats = stored(dc), DataConnection.objects.filter(pk=dc.pk).values().get()
    real_apply = PostgresApplier._apply
    real_start = PostgresApplier.start

    def slow_apply(self, cursor, rows, new_series):
        real_apply(self, cursor, rows, new_series)
        cursor.execute("SELECT pg_sleep(30)")  # still running when the interrupt comes

    def start(self):
        real_start(self)
        real_join = self.thread.join
        interrupts = [Interrupted()]

        def join(timeout=None):
            if interrupts:
                real_join(0.5)
                raise interrupts.pop()
            return real_join(timeout)

        self.thread.join = join

    monkeypatch.setattr(PostgresApplier, "_apply", slow_apply)
    monkeypatch.setattr(PostgresApplier, "start", start)
    started = time.monotonic()
    failed = upload_and_ingest(sources, sources.timeseries, "m2.csv", csv("A,h,2021-01-01,10", "Z,h,2021-01-09,1"))
    assert time.monotonic() - started < 10  # the sleep was cancelled, not waited for
    assert failed.sync_status == SyncStatus.FAILED  # and the report was saved: the connection works
    assert failed.report["errors"] == ["Internal error during ingest (Interrupted); an admin can re-run it."]
    assert applier_threads() == []
    assert stored(dc) == before
    assert DataConnection.objects.filter(pk=dc.pk).values().get() == stats


@pytest.mark.postgres
def test_retention_leaves_a_connection_alone_while_an_upsert_writes_to_it(transactional_db, sources, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from harvest.retention import retention_apply
    from synctasks.models import Subscription, World

    now = timezone.now().replace(microsecond=0)
    old, new = now - timedelta(days=30), now - timedelta(days=1)
    upload_and_ingest(sources, sources.timeseries, "a.csv", csv(f"A,p,{old.isoformat()},1"))
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    Subscription.objects.create(world=World.objects.create(alias="w"), data_connection=dc, retention_time=10 * 86400)
    applied, go = threading.Event(), threading.Event()
    real_finish = appliers.MeasurementStager.finish

    def finish(self):
        applied.set()  # the new row is written, not committed
        assert go.wait(20)
        return real_finish(self)

    monkeypatch.setattr(appliers.MeasurementStager, "finish", finish)
    result = {}

    def ingest():
        try:
            result["upload"] = upload_and_ingest(sources, sources.timeseries, "b.csv", csv(f"A,p,{new.isoformat()},2"))
        finally:
            connection.close()

    worker = threading.Thread(target=ingest)
    worker.start()
    try:
        assert applied.wait(20)
        # The series has no visible row left after retention: it would be removed from under the upsert.
        assert retention_apply() == {"rows_removed": 0, "connections": 0}
    finally:
        go.set()
        worker.join(30)
    assert result["upload"].sync_status == SyncStatus.SUCCESSFUL, result["upload"].report
    assert stored(dc) == [("A", "p", old, 1.0), ("A", "p", new, 2.0)]
    assert retention_apply() == {"rows_removed": 1, "connections": 1}
    assert stored(dc) == [("A", "p", new, 2.0)]
    assert DataConnection.objects.filter(pk=dc.pk).values_list("n_features", "oldest_time", "newest_time").get() == (
        1,
        new,
        new,
    )


@pytest.mark.postgres
def test_a_zip_member_not_utf8_while_a_chunk_is_applied_fails_with_that_error(sources, monkeypatch):
    import io
    import time
    import zipfile
    from datetime import timedelta

    # The first chunk of b.csv goes to the applier before the bad byte is read; the next one is
    # still with the parser.
    monkeypatch.setattr(appliers.MeasurementStager, "CHUNK_POINTS", 20_000)
    upload_and_ingest(sources, sources.timeseries, "m.csv", FIRST)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    before, stats = stored(dc), DataConnection.objects.filter(pk=dc.pk).values().get()
    real_apply = PostgresApplier._apply

    def slow_apply(self, cursor, rows, new_series):
        real_apply(self, cursor, rows, new_series)
        if any(feature == "B" for _local, feature, _parameter in new_series):
            cursor.execute("SELECT pg_sleep(30)")  # running when the bad byte is read: cancelled

    monkeypatch.setattr(PostgresApplier, "_apply", slow_apply)
    rows = "".join(f"B,h,{(t(1) + timedelta(minutes=n)).isoformat()},1\n" for n in range(30_000)).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.csv", csv("A,h,2021-01-01,10"))
        archive.writestr("b.csv", b"feature,parameter,timestamp,value\n" + rows + b"\xff,h,2021-01-01,1\n")
        archive.writestr("c.csv", csv("C,h,2021-01-01,1"))
    started = time.monotonic()
    failed = upload_and_ingest(sources, sources.timeseries, "batch.zip", buffer.getvalue())
    assert time.monotonic() - started < 20
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"] == ["b.csv: the file is not UTF-8 text (invalid start byte: byte b'\\xff')"]
    assert applier_threads() == []
    assert stored(dc) == before
    assert DataConnection.objects.filter(pk=dc.pk).values().get() == stats
