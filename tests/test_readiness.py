"""Readiness and liveness with real processes: /readyz names the workers until a real worker
answers its ping and beat until a real beat ticks, and beat again once its last tick is old;
/healthz answers 200 from a gunicorn whose database is out of reach."""

import os
import signal
import time

import pytest
import requests

from nexus_server.beat import last_tick
from tests.support.stack import free_port, start_celery_beat, start_celery_worker, start_gunicorn, wait_for

pytestmark = pytest.mark.django_db(transaction=True)  # beat's tick, written by another process, is read here

COMPONENTS = ("database", "broker", "storage", "workers", "beat")


def _ready(client):
    response = client.get("/readyz")
    return response.status_code, response.json()


def _stop(process):
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=20)


def test_readyz_names_the_workers_and_beat_until_real_ones_run_and_beat_once_its_tick_is_old(
    client, settings, tmp_path
):
    response = client.get("/readyz")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response.json() == {
        "status": "error",
        "database": "ok",
        "broker": "ok",
        "storage": "ok",
        "workers": "error: no worker answered a ping within 1 s",
        "beat": "error: no tick recorded",
        "unavailable": ["workers", "beat"],
    }
    worker = start_celery_worker(log=tmp_path / "worker.log", media=tmp_path / "media")
    beat = None
    try:
        status, body = _ready(client)
        assert (status, body["workers"], body["unavailable"]) == (503, "ok", ["beat"])
        beat = start_celery_beat(log=tmp_path / "beat.log", schedule=tmp_path / "celerybeat")
        wait_for(last_tick, timeout=30, what="beat's first tick")
        assert _ready(client) == (200, {"status": "ok", **dict.fromkeys(COMPONENTS, "ok")})
        # Beat stopped: once its last tick is older than the limit, readiness names it.
        _stop(beat)
        settings.NEXUS_READYZ_BEAT_MAX_AGE_SECONDS = 1
        time.sleep(1.5)
        status, body = _ready(client)
        assert (status, body["workers"], body["unavailable"]) == (503, "ok", ["beat"])
        assert body["beat"].startswith("error: last tick ") and body["beat"].endswith(" s ago (limit 1 s)"), body
        # And the worker stopped: no answer to the ping within the timeout (a setting).
        _stop(worker)
        settings.NEXUS_READYZ_WORKER_TIMEOUT_SECONDS = 0.5
        started = time.monotonic()
        status, body = _ready(client)
        assert (status, body["workers"], body["unavailable"]) == (
            503,
            "error: no worker answered a ping within 0.5 s",
            ["workers", "beat"],
        )
        assert time.monotonic() - started < 5
    finally:
        for process in (worker, beat):
            if process is not None and process.poll() is None:
                _stop(process)


def test_healthz_answers_while_the_database_is_out_of_reach_and_readyz_names_it(settings, tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_", "DATABASE_URL"))},
        # Nothing listens on this port: every connection to the database is refused.
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/nexus",
        # A server database needs its own key (the embedded default makes one under var/).
        "SECRET_KEY": "readiness-test-key",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "NEXUS_VAR_DIR": str(tmp_path / "var"),
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "1",
        "PYTHONUNBUFFERED": "1",
    }
    server, base = start_gunicorn(env=env, log=tmp_path / "gunicorn.log")
    try:
        live = requests.get(f"{base}/healthz", timeout=30)
        assert (live.status_code, live.json()) == (200, {"status": "ok"})
        assert requests.head(f"{base}/healthz", timeout=30).status_code == 200
        ready = requests.get(f"{base}/readyz", timeout=30)
        body = ready.json()
        # No worker runs for this server either: readiness names it after the database.
        assert (ready.status_code, ready.headers["Retry-After"], body["unavailable"]) == (
            503,
            "5",
            ["database", "workers"],
        )
        assert body["database"].startswith("error: OperationalError: "), body
        assert (body["broker"], body["storage"], body["beat"]) == ("ok", "ok", "not checked (database unavailable)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
