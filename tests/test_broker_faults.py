"""Faults of the worker's broker, provoked for real: its own Redis killed and restarted mid-ingest,
under a bare worker and under `make run`'s stack, and a harvest queued while Redis is down."""

import os
import signal
import subprocess
import threading
import time

import pytest
from django.db import connection, transaction

from harvest.models import Measurement
from synctasks.models import DataSource, FeatureKind
from tests.support.data import KNMI
from tests.support.faults import RowHolder, blocked_on_the_source_row, rows, status_of
from tests.support.harvest import upload_queued
from tests.support.stack import free_port, start_celery_worker, wait_for
from uploads.models import SyncStatus, Upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_redis_killed_and_restarted_while_an_ingest_runs(sources, worker_storage, private_redis, tmp_path):
    running = upload_queued(sources, "running.csv", rows(1))
    # Hold the data source's row: the ingest writes its rows, then waits to mark the source finished.
    locked, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            DataSource.objects.select_for_update().get(pk=sources.timeseries.pk)
            locked.set()
            release.wait(60)
        connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    log = tmp_path / "worker.log"
    try:
        worker = start_celery_worker(
            log=log, media=worker_storage, concurrency=1, extra_env={"CELERY_BROKER_URL": private_redis.url}
        )
        wait_for(blocked_on_the_source_row, timeout=30, what="the ingest to be in flight")
        private_redis.kill()
        # The worker's consumer finds the broker gone and closes its connection while the task runs.
        wait_for(lambda: b"Connection to broker lost" in log.read_bytes(), timeout=20, what="the worker to miss Redis")
        time.sleep(2)
    finally:
        release.set()
        holder.join(10)
    try:
        wait_for(lambda: status_of(running) != SyncStatus.HARVESTING, timeout=30, what="the running ingest")
        # Accepted while Redis is down: the POST does not hang on the broker.
        started = time.monotonic()
        during = upload_queued(sources, "during.csv", rows(2), source=sources.wide)
        assert time.monotonic() - started < 5
        time.sleep(3)
        private_redis.start()
        back = time.monotonic()
        after = upload_queued(sources, "after.csv", rows(3))
        wait_for(
            lambda: status_of(after) != SyncStatus.HARVESTING, timeout=60, what="the upload sent after the restart"
        )
        wait_for(lambda: status_of(during) != SyncStatus.HARVESTING, timeout=120, what="the upload of the outage")
        print("outage upload ingested", time.monotonic() - back, "s after Redis was back")
        assert worker.poll() is None, log.read_text()
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert [(u.filename, u.sync_status) for u in Upload.objects.order_by("pk")] == [
        ("running.csv", SyncStatus.SUCCESSFUL),
        ("during.csv", SyncStatus.SUCCESSFUL),
        ("after.csv", SyncStatus.SUCCESSFUL),
    ]

    def stored(source):
        dc = sources.dc(source, FeatureKind.TIMESERIES)
        return sorted(Measurement.objects.filter(series__data_connection=dc).values_list("timestamp__day", "value"))

    assert stored(sources.timeseries) == sorted((d, float(f * 100 + d)) for f in range(3) for d in (1, 3))
    assert stored(sources.wide) == [(2, 2.0), (2, 102.0), (2, 202.0)]
    assert "Unrecoverable error" not in log.read_text()


def test_under_runstack_redis_killed_mid_ingest_needs_no_manual_step(sources, worker_storage, private_redis, tmp_path):
    """`make run`'s stack (gunicorn, a production-like worker with gossip and mingle, beat) on
    PostgreSQL and a private Redis that is killed while an ingest runs and started again."""
    import sys
    from pathlib import Path

    import requests

    from accounts.services import token_create

    token = token_create(user=sources.user, name="stack").raw
    db = connection.settings_dict
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": private_redis.url,
        "NEXUS_VAR_DIR": str(tmp_path / "var"),
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(worker_storage),
        "PYTHONUNBUFFERED": "1",
    }
    running = upload_queued(sources, "running.csv", rows(1))  # queued before the stack starts
    log = tmp_path / "stack.log"
    base = f"http://127.0.0.1:{port}"

    def post(name, content, source):
        return requests.post(
            f"{base}/api/v1/uploads/?token={token}",
            data={"datasource": source.pk},
            files={"upload_file": (name, content)},
            timeout=30,
        )

    def status(upload_id):
        return Upload.objects.get(pk=upload_id).sync_status

    with RowHolder(sources.timeseries.pk), open(log, "wb") as out:
        stack = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--port", str(port)],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(blocked_on_the_source_row, timeout=60, what="the ingest to be in flight")
            private_redis.kill()
            wait_for(
                lambda: b"Connection to broker lost" in log.read_bytes(), timeout=20, what="the worker to miss Redis"
            )
            time.sleep(2)
        except BaseException:
            os.killpg(stack.pid, signal.SIGTERM)
            stack.wait(40)
            raise
    try:
        wait_for(lambda: status(running.pk) != SyncStatus.HARVESTING, timeout=30, what="the running ingest")
        started = time.monotonic()
        during = post("during.csv", rows(2), sources.wide)
        assert (during.status_code, time.monotonic() - started < 5) == (201, True), during.text
        time.sleep(3)
        private_redis.start()
        back = time.monotonic()
        after = post("after.csv", rows(3), sources.timeseries)
        assert after.status_code == 201, after.text
        wait_for(lambda: status(after.json()["id"]) != SyncStatus.HARVESTING, timeout=60, what="the upload after")
        print("after-restart upload ingested", round(time.monotonic() - back, 1), "s after Redis was back")
        wait_for(lambda: status(during.json()["id"]) != SyncStatus.HARVESTING, timeout=120, what="the outage upload")
        print("outage upload ingested", round(time.monotonic() - back, 1), "s after Redis was back")
        # Ready again with nothing restarted by hand: the broker, a worker answering, beat ticking.
        # (A Response is truthy when its status is below 400.)
        ready = wait_for(lambda: requests.get(f"{base}/readyz", timeout=10), timeout=30, what="readiness")
        assert ready.json() == {k: "ok" for k in ("status", "database", "broker", "storage", "workers", "beat")}
        assert stack.poll() is None, log.read_text()
    finally:
        stack.send_signal(signal.SIGINT)
        code = stack.wait(timeout=40)
    text = log.read_text()
    assert code == 0, text
    assert [(u.filename, u.sync_status) for u in Upload.objects.order_by("pk")] == [
        ("running.csv", SyncStatus.SUCCESSFUL),
        ("during.csv", SyncStatus.SUCCESSFUL),
        ("after.csv", SyncStatus.SUCCESSFUL),
    ]
    # The worker rode the outage out itself (kombu's crash on the closed channel is fixed), and
    # nothing had to be restarted.
    assert "Unrecoverable error" not in text
    assert "runstack: worker exited" not in text


def test_a_harvest_queued_while_redis_is_down_runs_once_back(knmi, endpoint, worker_storage, private_redis, tmp_path):
    # Its message could not be published: the run must not stay queued for ever (and every later
    # run of the task wait behind it), nor the request fail.
    from harvest.models import HarvestRun, RunStatus
    from harvest.runs import harvest_queue

    endpoint.answers = [(200, KNMI)]
    private_redis.kill()
    with transaction.atomic():
        run = harvest_queue(task=knmi["task"])
    assert HarvestRun.objects.get(pk=run.pk).status == RunStatus.QUEUED
    private_redis.start()
    worker = start_celery_worker(log=tmp_path / "worker.log", media=worker_storage, concurrency=1)
    try:
        done = wait_for(
            lambda: (r := HarvestRun.objects.get(pk=run.pk)).status in (RunStatus.SUCCESSFUL, RunStatus.FAILED) and r,
            timeout=60,
            what="the harvest queued during the outage",
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert (done.status, done.attempts) == (RunStatus.SUCCESSFUL, 1), done.report
    assert Measurement.objects.filter(series__data_connection=knmi["series"]).count() == 32


def test_a_calculation_due_while_redis_is_down_runs_once_back(sources, worker_storage, private_redis, tmp_path):
    # Its message could not be published: the calculation stays due (and so is never queued by a
    # later change), until the requeue of stalled work sends it once the broker is back.
    from harvest.calculations import calculation_requeue_stalled
    from synctasks.models import Calculation
    from tests.harvest.test_calculations import DAY1, calculation_of, output
    from uploads.services import upload_ingest

    total = calculation_of(sources, "daily_sum")
    private_redis.kill()
    upload = upload_queued(sources, "a.csv", DAY1)
    assert Upload.objects.get(pk=upload.pk).dispatch_failed
    upload_ingest(upload_id=upload.pk)  # here, as the worker would: the calculation's publish fails
    assert status_of(upload) == SyncStatus.SUCCESSFUL
    assert Calculation.objects.get(pk=total.pk).pending_since is not None
    private_redis.start()
    assert calculation_requeue_stalled(older_than_seconds=0) == 1
    worker = start_celery_worker(log=tmp_path / "worker.log", media=worker_storage, concurrency=1)
    try:
        wait_for(
            lambda: Calculation.objects.get(pk=total.pk).pending_since is None and len(output(total)) == 3,
            timeout=60,
            what="the calculation due during the outage",
        )
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    assert [row[3] for row in output(total)] == [3.0, 10.0, 4.0]
