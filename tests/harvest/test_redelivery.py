"""A worker killed mid-ingest leaves nothing applied; the redelivered task completes the ingest."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from blobs.services import blob_stage
from harvest.models import Measurement
from synctasks.models import DataSource, FeatureKind
from tests.support.stack import start_celery_worker, wait_for
from uploads.models import SyncStatus, Upload
from uploads.services import upload_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = b"feature,parameter,timestamp,value\n" + b"".join(
    b"F%d,p,2021-01-%02dT00:00:00Z,%d\n" % (f, d, f * 100 + d) for f in range(5) for d in range(1, 29)
)


def _start_worker(tmp_path, worker_media, name):
    # A short visibility timeout, so that the killed worker's message comes back within the test.
    process = start_celery_worker(
        log=tmp_path / f"{name}.log", media=worker_media, concurrency=1, extra_env={"CELERY_VISIBILITY_TIMEOUT": "3"}
    )
    return process, tmp_path / f"{name}.log"


def _blocked_on_the_source_row() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE \"synctasks_datasource\"%%'"
        )
        return cursor.fetchone()[0] > 0


def test_killed_worker_applies_nothing_and_the_redelivered_task_completes(sources, worker_storage, tmp_path):
    assert settings.CELERY_BROKER_URL.startswith("redis"), "redelivery needs the Redis broker (acks_late)"
    source = sources.timeseries
    staged = blob_stage(chunks=[ROWS])
    upload = upload_create(
        user=sources.user, data_source_id=source.pk, client_filename="m.csv", staged=staged, media_type="text/csv"
    )
    dc = sources.dc(source, FeatureKind.TIMESERIES)

    # Hold the data source's row: the ingest writes its rows, then waits to mark the source finished.
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            DataSource.objects.select_for_update().get(pk=source.pk)
            locked.set()
            release.wait(60)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    first, _first_log = _start_worker(tmp_path, worker_storage, "doomed")
    try:
        wait_for(_blocked_on_the_source_row, timeout=30, what="the ingest to be in flight")
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        release.set()
        holder.join(10)
    # Past the visibility timeout before the next worker starts: the broker's restore of unacknowledged
    # messages runs at a worker's start (and then only every so often).
    time.sleep(4)
    assert Upload.objects.get(pk=upload.pk).sync_status == SyncStatus.HARVESTING
    assert Measurement.objects.filter(series__data_connection=dc).count() == 0

    second, _second_log = _start_worker(tmp_path, worker_storage, "rescuer")
    try:
        done = wait_for(
            lambda: (u := Upload.objects.get(pk=upload.pk)).sync_status != SyncStatus.HARVESTING and u,
            timeout=60,
            what="the redelivered ingest",
        )
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(20)
    assert done.sync_status == SyncStatus.SUCCESSFUL, done.report
    assert (done.report["rows_inserted"], done.report["rows_updated"]) == (140, 0)
    stored = sorted(
        Measurement.objects.filter(series__data_connection=dc).values_list(
            "series__feature_key", "timestamp__day", "value"
        )
    )
    assert stored == sorted((f"F{f}", d, float(f * 100 + d)) for f in range(5) for d in range(1, 29))


def test_a_harvest_run_that_kills_its_worker_is_failed_after_n_deliveries(knmi, endpoint, worker_storage, tmp_path):
    from harvest.models import HarvestRun, RunStatus
    from harvest.runs import harvest_queue

    # The endpoint never answers: each delivery's pool process is killed while it waits for it.
    hang = threading.Event()
    endpoint.answers = []
    handler = endpoint.server.RequestHandlerClass
    original = handler.do_POST

    def do_post(self):
        endpoint.requests.append({"path": self.path})
        hang.wait(60)
        original(self)

    handler.do_POST = do_post
    try:
        with transaction.atomic():
            run = harvest_queue(task=knmi["task"])
        process, _log = _start_worker(tmp_path, worker_storage, "harvester")
        try:
            killed = set()
            for delivery in range(1, 4):
                wait_for(lambda n=delivery: len(endpoint.requests) >= n, timeout=30, what=f"delivery {delivery}")
                children = open(f"/proc/{process.pid}/task/{process.pid}/children").read().split()  # noqa: SIM115
                (child,) = [int(pid) for pid in children if int(pid) not in killed]
                os.kill(child, signal.SIGKILL)
                killed.add(child)
            done = wait_for(
                lambda: (r := HarvestRun.objects.get(pk=run.pk)).status == RunStatus.FAILED and r,
                timeout=30,
                what="the run to be failed",
            )
            time.sleep(1)
            fetches = len(endpoint.requests)
        finally:
            hang.set()
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(20)
    finally:
        handler.do_POST = original
    assert (done.deliveries_lost, done.report["errors"]) == (3, ["the ingest stopped its worker 3 times"])
    assert fetches == 3  # no fourth delivery fetched
    assert Measurement.objects.filter(series__data_connection=knmi["series"]).count() == 0


def test_a_harvest_whose_database_connection_is_lost_mid_ingest_is_retried(knmi, endpoint, worker_storage, tmp_path):
    from harvest.models import HarvestRun, RunStatus
    from harvest.runs import harvest_queue
    from tests.support.data import KNMI

    endpoint.answers = [(200, KNMI), (200, KNMI)]
    source_id = knmi["task"].data_source_id
    locked, release = threading.Event(), threading.Event()

    def hold():  # the ingest writes its rows, then waits on the source's row to mark it finished
        with transaction.atomic():
            DataSource.objects.select_for_update().get(pk=source_id)
            locked.set()
            release.wait(60)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    with transaction.atomic():
        run = harvest_queue(task=knmi["task"])
    process, log = _start_worker(tmp_path, worker_storage, "harvester")
    try:
        try:
            wait_for(_blocked_on_the_source_row, timeout=30, what="the harvest's ingest in flight")
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND query LIKE 'UPDATE \"synctasks_datasource\"%%'"
                )
            time.sleep(1)
            assert HarvestRun.objects.get(pk=run.pk).status != RunStatus.FAILED, log.read_text()[-2000:]
        finally:
            release.set()
            holder.join(10)
        done = wait_for(
            lambda: (r := HarvestRun.objects.get(pk=run.pk)).status in (RunStatus.SUCCESSFUL, RunStatus.FAILED) and r,
            timeout=60,
            what="the retried harvest",
        )
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)
    assert (done.status, done.deliveries_lost, done.attempts) == (RunStatus.SUCCESSFUL, 0, 1), done.report
    assert Measurement.objects.filter(series__data_connection=knmi["series"]).count() == 32
