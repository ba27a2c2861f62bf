"""Real processes for the tests: gunicorn, a Celery worker and beat, a seeded embedded server's environment,
curl, a free port, polling, and a TCP relay to PostgreSQL that a test can stop."""

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, timeout=30.0, interval=0.1, what="the condition"):
    """Polls until predicate() is truthy; returns its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def curl(*args) -> tuple[int, bytes]:
    """Runs curl as a supplier would; returns the status code and the body."""
    result = subprocess.run(
        ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", *args], capture_output=True, check=True, timeout=60
    )
    body, _, code = result.stdout.rpartition(b"\n")
    return int(code), body


def seeded_embedded_env(var_dir, *, token: str) -> dict:
    """The environment of a server process on its own embedded default (SQLite, filesystem broker,
    local storage and metrics under `var_dir`), migrated and seeded with the demo supplier's `token`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_URL", "CELERY_", "STORAGE_", "AWS_", "PROMETHEUS_"))
    }
    env.update(NEXUS_VAR_DIR=str(var_dir), NEXUS_DEMO_TOKEN=token, PYTHONUNBUFFERED="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


def _celery_env(media, extra_env=None) -> dict:
    """A Celery process's environment: the test database, the configured broker, bytes under `media`."""
    from django.conf import settings as django_settings
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "NEXUS_VAR_DIR": str(django_settings.VAR_DIR),
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(media),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }


def start_celery_beat(*, log, schedule) -> subprocess.Popen:
    """Celery beat (the project's scheduler) on the test database and the configured broker, in
    its own session; returns it once it has started."""
    command = [sys.executable, "-m", "celery", "-A", "nexus_server", "beat", "-l", "INFO", "-s", str(schedule)]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_celery_env(schedule.parent),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while b"beat: Starting" not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"Celery beat did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def start_celery_worker(*, log, media, concurrency=2, purge=False, extra_env=None):
    """A real Celery worker process on the test database and the configured broker (Redis in CI,
    the filesystem transport on the embedded default), storing bytes under `media`; returns it once
    it is ready. It runs in its own session, so that a test can kill it and its children at once."""
    env = _celery_env(media, extra_env)
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "nexus_server",
        "worker",
        "-l",
        "INFO",
        "--concurrency",
        str(concurrency),
        "--without-mingle",
        "--without-gossip",
        "-n",
        f"tests-{uuid.uuid4().hex[:8]}@%h",
    ]
    if purge:
        command.append("--purge")
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def start_gunicorn(*, env: dict, log) -> tuple[subprocess.Popen, str]:
    """gunicorn with the project's config on the port `env["PORT"]` names, writing to `log`;
    returns the process and its base URL once it answers /healthz."""
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "nexus_server/gunicorn_conf.py", "nexus_server.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{env['PORT']}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=5)
            return server, base
        except (requests.ConnectionError, requests.Timeout):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)


def start_runstack(*, env: dict, log, port: int) -> subprocess.Popen:
    """`manage.py runstack` (make run's stack: gunicorn, a worker and beat) on `port`, writing to `log`."""
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
