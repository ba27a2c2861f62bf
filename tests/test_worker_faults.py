"""Faults of the worker itself, provoked for real: its pool child killed mid-ingest, an ingest past
its time limit, its database connection terminated or the database out of reach."""

import os
import signal
import time

import pytest
from django.db import connection

from harvest.models import Measurement
from synctasks.models import FeatureKind
from tests.support.faults import Relay, RowHolder, blocked_on_the_source_row, rows, status_of
from tests.support.harvest import upload_queued
from tests.support.stack import start_celery_worker, wait_for
from uploads.models import SyncStatus, Upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _pool_children(worker) -> list[int]:
    children = open(f"/proc/{worker.pid}/task/{worker.pid}/children").read().split()  # noqa: SIM115
    return [int(pid) for pid in children]


def _kill_the_pool_child_mid_ingest(worker, killed: set[int], *, wait_for_its_backend=True) -> None:
    """SIGKILL of the pool process running the ingest (the worker's main process lives on)."""
    wait_for(blocked_on_the_source_row, timeout=30, what="an ingest in flight")
    child = wait_for(lambda: [pid for pid in _pool_children(worker) if pid not in killed], what="a pool child")[0]
    os.kill(child, signal.SIGKILL)
    killed.add(child)
    if not wait_for_its_backend:
        return
    # Its backend sees the client gone (client_connection_check_interval) and drops its locks.
    wait_for(lambda: not blocked_on_the_source_row(), timeout=20, what="the dead child's backend to go")


def test_a_pool_child_killed_mid_ingest_is_ingested_by_the_next_delivery(sources, worker_storage, tmp_path):
    upload = upload_queued(sources, "m.csv", rows(1))
    log = tmp_path / "worker.log"
    with RowHolder(sources.timeseries.pk):
        worker = start_celery_worker(log=log, media=worker_storage, concurrency=1)
        try:
            started = time.monotonic()
            _kill_the_pool_child_mid_ingest(worker, set(), wait_for_its_backend=False)
            # The task comes back at once (the child was lost), while the dead child's backend may
            # still hold the source's lock: that delivery must try again later, not end done.
            wait_for(lambda: log.read_bytes().count(b"received") >= 2, timeout=20, what="the redelivery")
            time.sleep(1)
            assert Upload.objects.get(pk=upload.pk).sync_status == SyncStatus.HARVESTING
        except BaseException:
            os.killpg(worker.pid, signal.SIGKILL)
            raise
    try:
        done = wait_for(
            lambda: (u := Upload.objects.get(pk=upload.pk)).sync_status != SyncStatus.HARVESTING and u,
            timeout=120,
            what="the redelivered ingest",
        )
        print("ingested", round(time.monotonic() - started, 1), "s after the kill")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert (done.sync_status, done.deliveries) == (SyncStatus.SUCCESSFUL, 2), done.report
    assert (done.report["rows_inserted"], done.report["rows_updated"]) == (3, 0)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    stored = sorted(Measurement.objects.filter(series__data_connection=dc).values_list("series__feature_key", "value"))
    assert stored == [("F0", 1.0), ("F1", 101.0), ("F2", 201.0)]


def test_an_ingest_that_kills_its_worker_is_failed_after_n_deliveries(sources, worker_storage, tmp_path):
    poison = upload_queued(sources, "poison.csv", rows(1))
    later = upload_queued(sources, "later.csv", rows(2))
    log = tmp_path / "worker.log"
    killed = set()
    with RowHolder(sources.timeseries.pk):
        worker = start_celery_worker(
            log=log,
            media=worker_storage,
            concurrency=1,
            extra_env={"NEXUS_INGEST_MAX_DELIVERIES": "3", "NEXUS_INGEST_LOCK_RETRY_SECONDS": "1"},
        )
        try:
            for _ in range(3):
                _kill_the_pool_child_mid_ingest(worker, killed)
        except BaseException:
            os.killpg(worker.pid, signal.SIGKILL)
            raise
    try:
        wait_for(lambda: status_of(later) != SyncStatus.HARVESTING, timeout=60, what="the source's later upload")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    poison.refresh_from_db()
    later.refresh_from_db()
    assert (poison.sync_status, poison.deliveries) == (SyncStatus.FAILED, 3)
    assert poison.report["errors"] == ["the ingest stopped its worker 3 times"]
    assert (later.sync_status, later.deliveries, later.report["rows_inserted"]) == (SyncStatus.SUCCESSFUL, 1, 3)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    stored = sorted(Measurement.objects.filter(series__data_connection=dc).values_list("series__feature_key", "value"))
    assert stored == [("F0", 2.0), ("F1", 102.0), ("F2", 202.0)]  # nothing of the poison's


def test_an_ingest_past_the_soft_time_limit_ends_failed_with_nothing_applied(sources, worker_storage, tmp_path):
    slow = upload_queued(sources, "slow.csv", rows(1))
    log = tmp_path / "worker.log"
    with RowHolder(sources.timeseries.pk):
        worker = start_celery_worker(
            log=log,
            media=worker_storage,
            concurrency=1,
            extra_env={"NEXUS_TASK_SOFT_TIME_LIMIT": "2", "NEXUS_TASK_HARD_TIME_LIMIT": "30"},
        )
        try:
            wait_for(blocked_on_the_source_row, timeout=30, what="the ingest in flight")
            # Past the soft limit while the ingest waits on the row: held until the worker has sent it
            # (a fixed sleep raced the worker's timeout thread on a loaded machine).
            wait_for(
                lambda: "Soft time limit (2s) exceeded" in log.read_text(errors="replace"),
                timeout=30,
                what="the soft time limit to be signalled",
            )
        except BaseException:
            os.killpg(worker.pid, signal.SIGKILL)
            raise
    try:
        wait_for(lambda: status_of(slow) != SyncStatus.HARVESTING, timeout=30, what="the slow ingest to end")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    slow.refresh_from_db()
    assert (slow.sync_status, slow.deliveries) == (SyncStatus.FAILED, 1)
    assert slow.report["errors"] == ["the ingest took longer than the time limit of 2 s; nothing was applied"]
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    assert Measurement.objects.filter(series__data_connection=dc).count() == 0


def _terminate_the_blocked_ingest_backend() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE \"synctasks_datasource\"%%'"
        )
        return len(cursor.fetchall())


def test_the_database_connection_lost_mid_ingest_is_retried_not_failed_nor_counted(sources, worker_storage, tmp_path):
    # PostgreSQL drops the ingest's connection (a restart, a failover): the worker lives on, so the
    # delivery is neither a failure of the upload's data nor one that "stopped its worker".
    upload = upload_queued(sources, "m.csv", rows(1))
    log = tmp_path / "worker.log"
    with RowHolder(sources.timeseries.pk):
        worker = start_celery_worker(
            log=log, media=worker_storage, concurrency=1, extra_env={"NEXUS_INGEST_LOCK_RETRY_SECONDS": "1"}
        )
        try:
            wait_for(blocked_on_the_source_row, timeout=30, what="an ingest in flight")
            assert _terminate_the_blocked_ingest_backend() == 1
            time.sleep(1)
            assert status_of(upload) == SyncStatus.HARVESTING, Upload.objects.get(pk=upload.pk).report
        except BaseException:
            os.killpg(worker.pid, signal.SIGKILL)
            raise
    try:
        done = wait_for(
            lambda: (u := Upload.objects.get(pk=upload.pk)).sync_status != SyncStatus.HARVESTING and u,
            timeout=60,
            what="the retried ingest",
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert (done.sync_status, done.deliveries) == (SyncStatus.SUCCESSFUL, 1), done.report
    assert (done.report["rows_inserted"], done.report["rows_updated"]) == (3, 0)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    stored = sorted(Measurement.objects.filter(series__data_connection=dc).values_list("series__feature_key", "value"))
    assert stored == [("F0", 1.0), ("F1", 101.0), ("F2", 201.0)]


def test_a_delivery_that_finds_the_database_out_of_reach_is_retried_once_it_is_back(sources, worker_storage, tmp_path):
    # The worker reaches PostgreSQL through a relay the test stops: its delivery finds the database
    # gone before any ingest starts, and must try again shortly rather than fail the task and leave
    # the upload to the 10-minute stalled requeue.
    db = connection.settings_dict
    relay = Relay(int(db["PORT"] or 5432))
    relay.start()
    worker = start_celery_worker(
        log=tmp_path / "worker.log",
        media=worker_storage,
        concurrency=1,
        extra_env={
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@127.0.0.1:{relay.port}/{db['NAME']}",
            "NEXUS_INGEST_LOCK_RETRY_SECONDS": "1",
        },
    )
    try:
        relay.stop()
        upload = upload_queued(sources, "m.csv", rows(1))
        wait_for(
            lambda: b"retry" in (tmp_path / "worker.log").read_bytes().lower(),
            timeout=30,
            what="a delivery that found the database gone",
        )
        assert status_of(upload) == SyncStatus.HARVESTING
        relay.start()
        done = wait_for(
            lambda: (u := Upload.objects.get(pk=upload.pk)).sync_status != SyncStatus.HARVESTING and u,
            timeout=30,
            what="the retried ingest",
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
        relay.stop()
    assert (done.sync_status, done.deliveries) == (SyncStatus.SUCCESSFUL, 1), done.report
    assert (done.report["rows_inserted"], done.report["rows_updated"]) == (3, 0)
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    stored = sorted(Measurement.objects.filter(series__data_connection=dc).values_list("series__feature_key", "value"))
    assert stored == [("F0", 1.0), ("F1", 101.0), ("F2", 201.0)]
