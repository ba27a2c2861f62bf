"""Faults of the worker's services, provoked for real: its own Redis killed and restarted mid-ingest."""

import os
import signal
import subprocess
import threading
import time

import pytest
from celery import current_app
from django.db import connection, transaction

from blobs.services import blob_stage
from harvest.models import Measurement
from synctasks.models import DataSource, FeatureKind
from tests.conftest import _free_port, start_celery_worker, wait_for
from tests.harvest.conftest import sources  # noqa: F401  (the fixture)
from tests.harvest.test_harvest_runs import endpoint, knmi  # noqa: F401  (fixtures)
from uploads.models import SyncStatus, Upload
from uploads.services import upload_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def rows(first_day: int) -> bytes:
    return b"feature,parameter,timestamp,value\n" + b"".join(
        b"F%d,p,2021-01-%02dT00:00:00Z,%d\n" % (f, d, f * 100 + d) for f in range(3) for d in (first_day,)
    )


class PrivateRedis:
    """A redis-server of this test alone, on a free port: killed and started again at will."""

    def __init__(self, log_dir):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_dir = log_dir
        self.process = None
        self.starts = 0

    def start(self):
        self.starts += 1
        log = open(self.log_dir / f"redis-{self.starts}.log", "wb")  # noqa: SIM115 (kept by the process)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--daemonize", "no"]
        self.process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, timeout=10, what="the private redis-server")

    def ping(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def kill(self):
        self.process.kill()
        self.process.wait(10)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.kill()


@pytest.fixture
def private_redis(tmp_path, settings):
    """A private Redis as the broker of this process (the test's uploads publish to it)."""
    server = PrivateRedis(tmp_path)
    server.start()
    keys = ("broker_url", "broker_read_url", "broker_write_url")
    saved = {key: current_app.conf[key] for key in keys}
    settings.CELERY_BROKER_URL = server.url
    current_app.conf.update(dict.fromkeys(keys, server.url))
    # The app keeps its connection and producer pools: new ones for the new broker.
    current_app._pool = None
    current_app.amqp._producer_pool = None
    yield server
    server.stop()
    current_app.conf.update(saved)
    current_app._pool = None
    current_app.amqp._producer_pool = None


def _upload(sources, name: str, content: bytes, source=None) -> Upload:  # noqa: F811
    return upload_create(
        user=sources.user,
        data_source_id=(source or sources.timeseries).pk,
        client_filename=name,
        staged=blob_stage(chunks=[content]),
        media_type="text/csv",
    )


def _status(upload: Upload) -> str:
    return Upload.objects.get(pk=upload.pk).sync_status


def _blocked_on_the_source_row() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE 'UPDATE \"synctasks_datasource\"%%'"
        )
        return cursor.fetchone()[0] > 0


def test_redis_killed_and_restarted_while_an_ingest_runs(sources, worker_storage, private_redis, tmp_path):  # noqa: F811
    running = _upload(sources, "running.csv", rows(1))
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
        wait_for(_blocked_on_the_source_row, timeout=30, what="the ingest to be in flight")
        private_redis.kill()
        # The worker's consumer finds the broker gone and closes its connection while the task runs.
        wait_for(lambda: b"Connection to broker lost" in log.read_bytes(), timeout=20, what="the worker to miss Redis")
        time.sleep(2)
    finally:
        release.set()
        holder.join(10)
    try:
        wait_for(lambda: _status(running) != SyncStatus.HARVESTING, timeout=30, what="the running ingest")
        # Accepted while Redis is down: the POST does not hang on the broker.
        started = time.monotonic()
        during = _upload(sources, "during.csv", rows(2), source=sources.wide)
        assert time.monotonic() - started < 5
        time.sleep(3)
        private_redis.start()
        back = time.monotonic()
        after = _upload(sources, "after.csv", rows(3))
        wait_for(lambda: _status(after) != SyncStatus.HARVESTING, timeout=60, what="the upload sent after the restart")
        wait_for(lambda: _status(during) != SyncStatus.HARVESTING, timeout=120, what="the upload of the outage")
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


def _pool_children(worker) -> list[int]:
    children = open(f"/proc/{worker.pid}/task/{worker.pid}/children").read().split()  # noqa: SIM115
    return [int(pid) for pid in children]


class RowHolder:
    """Holds the data source's row from another connection: an ingest writes its rows, then waits on
    it to mark the source finished, so that it is in flight for as long as the test needs."""

    def __init__(self, source_id):
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(source_id,))

    def _hold(self, source_id):
        with transaction.atomic():
            DataSource.objects.select_for_update().get(pk=source_id)
            self.locked.set()
            self.release.wait(90)
        connection.close()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def _kill_the_pool_child_mid_ingest(worker, killed: set[int], *, wait_for_its_backend=True) -> None:
    """SIGKILL of the pool process running the ingest (the worker's main process lives on)."""
    wait_for(_blocked_on_the_source_row, timeout=30, what="an ingest in flight")
    child = wait_for(lambda: [pid for pid in _pool_children(worker) if pid not in killed], what="a pool child")[0]
    os.kill(child, signal.SIGKILL)
    killed.add(child)
    if not wait_for_its_backend:
        return
    # Its backend sees the client gone (client_connection_check_interval) and drops its locks.
    wait_for(lambda: not _blocked_on_the_source_row(), timeout=20, what="the dead child's backend to go")


def test_a_pool_child_killed_mid_ingest_is_ingested_by_the_next_delivery(sources, worker_storage, tmp_path):  # noqa: F811
    upload = _upload(sources, "m.csv", rows(1))
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


def test_an_ingest_that_kills_its_worker_is_failed_after_n_deliveries(sources, worker_storage, tmp_path):  # noqa: F811
    poison = _upload(sources, "poison.csv", rows(1))
    later = _upload(sources, "later.csv", rows(2))
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
        wait_for(lambda: _status(later) != SyncStatus.HARVESTING, timeout=60, what="the source's later upload")
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


def test_under_runstack_redis_killed_mid_ingest_needs_no_manual_step(sources, worker_storage, private_redis, tmp_path):  # noqa: F811
    """`make run`'s stack (gunicorn, a production-like worker with gossip and mingle, beat) on
    PostgreSQL and a private Redis that is killed while an ingest runs and started again."""
    import sys
    from pathlib import Path

    import requests

    from accounts.services import token_create

    token = token_create(user=sources.user, name="stack").raw
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": private_redis.url,
        "NEXUS_VAR_DIR": str(tmp_path / "var"),
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(worker_storage),
        "PYTHONUNBUFFERED": "1",
    }
    running = _upload(sources, "running.csv", rows(1))  # queued before the stack starts
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
            wait_for(_blocked_on_the_source_row, timeout=60, what="the ingest to be in flight")
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
        assert requests.get(f"{base}/healthz", timeout=10).json()["broker"] == "ok"
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


def test_an_ingest_past_the_soft_time_limit_ends_failed_with_nothing_applied(sources, worker_storage, tmp_path):  # noqa: F811
    slow = _upload(sources, "slow.csv", rows(1))
    log = tmp_path / "worker.log"
    with RowHolder(sources.timeseries.pk):
        worker = start_celery_worker(
            log=log,
            media=worker_storage,
            concurrency=1,
            extra_env={"NEXUS_TASK_SOFT_TIME_LIMIT": "2", "NEXUS_TASK_HARD_TIME_LIMIT": "30"},
        )
        try:
            wait_for(_blocked_on_the_source_row, timeout=30, what="the ingest in flight")
            time.sleep(3)  # past the soft limit while the ingest waits on the row
        except BaseException:
            os.killpg(worker.pid, signal.SIGKILL)
            raise
    try:
        wait_for(lambda: _status(slow) != SyncStatus.HARVESTING, timeout=30, what="the slow ingest to end")
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


def test_the_database_connection_lost_mid_ingest_is_retried_not_failed_nor_counted(sources, worker_storage, tmp_path):  # noqa: F811
    # PostgreSQL drops the ingest's connection (a restart, a failover): the worker lives on, so the
    # delivery is neither a failure of the upload's data nor one that "stopped its worker".
    upload = _upload(sources, "m.csv", rows(1))
    log = tmp_path / "worker.log"
    with RowHolder(sources.timeseries.pk):
        worker = start_celery_worker(
            log=log, media=worker_storage, concurrency=1, extra_env={"NEXUS_INGEST_LOCK_RETRY_SECONDS": "1"}
        )
        try:
            wait_for(_blocked_on_the_source_row, timeout=30, what="an ingest in flight")
            assert _terminate_the_blocked_ingest_backend() == 1
            time.sleep(1)
            assert _status(upload) == SyncStatus.HARVESTING, Upload.objects.get(pk=upload.pk).report
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


def test_a_harvest_queued_while_redis_is_down_runs_once_back(knmi, endpoint, worker_storage, private_redis, tmp_path):  # noqa: F811
    # Its message could not be published: the run must not stay queued for ever (and every later
    # run of the task wait behind it), nor the request fail.
    from harvest.models import HarvestRun, RunStatus
    from harvest.runs import harvest_queue
    from tests.harvest.test_harvest_runs import KNMI

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


def test_a_delivery_that_finds_the_database_out_of_reach_is_retried_once_it_is_back(
    sources,  # noqa: F811
    worker_storage,
    tmp_path,
):
    # The worker reaches PostgreSQL through a relay the test stops: its delivery finds the database
    # gone before any ingest starts, and must try again shortly rather than fail the task and leave
    # the upload to the 10-minute stalled requeue.
    from tests.test_outages import Relay

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
        upload = _upload(sources, "m.csv", rows(1))
        wait_for(
            lambda: b"retry" in (tmp_path / "worker.log").read_bytes().lower(),
            timeout=30,
            what="a delivery that found the database gone",
        )
        assert _status(upload) == SyncStatus.HARVESTING
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


def test_a_calculation_due_while_redis_is_down_runs_once_back(sources, worker_storage, private_redis, tmp_path):  # noqa: F811
    # Its message could not be published: the calculation stays due (and so is never queued by a
    # later change), until the requeue of stalled work sends it once the broker is back.
    from harvest.calculations import calculation_requeue_stalled
    from synctasks.models import Calculation
    from tests.harvest.test_calculations import DAY1, calculation_of, output
    from uploads.services import upload_ingest

    total = calculation_of(sources, "daily_sum")
    private_redis.kill()
    upload = _upload(sources, "a.csv", DAY1)
    assert Upload.objects.get(pk=upload.pk).dispatch_failed
    upload_ingest(upload_id=upload.pk)  # here, as the worker would: the calculation's publish fails
    assert _status(upload) == SyncStatus.SUCCESSFUL
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
