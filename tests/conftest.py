"""Shared fixtures: isolated blob storage (local or S3 through moto's server), users and tokens."""

import json
import os
import socket
import subprocess
import sys
import time
import uuid

import boto3
import pytest
import requests
from django.core.management import call_command

from accounts.models import Role
from accounts.services import membership_ensure, organization_get_or_create, token_create

DEMO_TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def demo(settings, capsys):
    """The seeds' example world (seed_demo) with the supplier's token DEMO_TOKEN; its --json report."""
    settings.NEXUS_DEMO_TOKEN = DEMO_TOKEN
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


def seeded_embedded_env(var_dir, *, token: str) -> dict:
    """The environment of a server process on its own embedded default (SQLite, filesystem broker,
    local storage under `var_dir`), migrated and seeded with the demo supplier's `token`."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "STORAGE_", "AWS_"))}
    env.update(NEXUS_VAR_DIR=str(var_dir), NEXUS_DEMO_TOKEN=token, PYTHONUNBUFFERED="1")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=root, env=env, check=True, capture_output=True)
    subprocess.run([*manage, "seed_demo"], cwd=root, env=env, check=True, capture_output=True)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's standalone S3 server on loopback, for the whole session: S3 over real HTTP."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto's S3 server did not start") from None
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


def _s3_client(endpoint):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    """Every test gets its own local blob storage root, unless it asks for S3."""
    root = tmp_path / "media"
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}
    settings.STORAGES = {**settings.STORAGES, "default": storage, "blobs": storage}
    return root


@pytest.fixture
def s3_storage(settings, moto_endpoint):
    """Blob storage on a fresh bucket of moto's S3 server; yields the boto3 client and bucket."""
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    client = _s3_client(moto_endpoint)
    client.create_bucket(Bucket=bucket)
    settings.AWS_S3_ENDPOINT_URL = moto_endpoint
    settings.AWS_S3_PUBLIC_ENDPOINT_URL = None
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": moto_endpoint,
            "access_key": "testing",
            "secret_key": "testing",
            "region_name": "us-east-1",
            "addressing_style": "path",
            "signature_version": "s3v4",
        },
    }
    settings.STORAGES = {**settings.STORAGES, "default": storage, "blobs": storage}
    return client, bucket


@pytest.fixture(params=["local", "s3"])
def storage_kind(request):
    """Runs a test once on local storage and once on S3 through moto's server."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


def stored_objects(kind, local_root=None, s3=None) -> list[str]:
    """Every object (and partial object or multipart upload) that storage holds."""
    if kind == "local":
        if not local_root.exists():
            return []
        return sorted(p.relative_to(local_root).as_posix() for p in local_root.rglob("*") if p.is_file())
    client, bucket = s3
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    uploads = [f"multipart:{u['Key']}" for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    return sorted(keys + uploads)


@pytest.fixture
def storage_objects(request, storage_kind, local_storage):
    """A callable listing what the current storage holds."""
    s3 = request.getfixturevalue("s3_storage") if storage_kind == "s3" else None
    return lambda: stored_objects(storage_kind, local_root=local_storage, s3=s3)


@pytest.fixture
def supplier(django_user_model):
    user = django_user_model.objects.create(username="supplier", name="Data supplier X")
    organization = organization_get_or_create(name="Organization Y")
    membership_ensure(user=user, organization=organization, role=Role.UPLOADER)
    return user


@pytest.fixture
def supplier_token(supplier):
    return token_create(user=supplier, name="test").raw


@pytest.fixture(scope="session")
def worker_media(tmp_path_factory):
    """The local storage root a test-started Celery worker and the tests share."""
    return tmp_path_factory.mktemp("worker-media")


def start_celery_worker(*, log, media, concurrency=2, purge=False, extra_env=None):
    """A real Celery worker process on the test database and the configured broker (Redis in CI,
    the filesystem transport on the embedded default), storing bytes under `media`; returns it once
    it is ready. It runs in its own session, so that a test can kill it and its children at once."""
    import os
    from pathlib import Path

    from django.conf import settings as django_settings
    from django.db import connection

    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "NEXUS_VAR_DIR": str(django_settings.VAR_DIR),
        "STORAGE_BACKEND": "local",
        "MEDIA_ROOT": str(media),
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
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
            command,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


@pytest.fixture(scope="module")
def celery_worker(django_db_setup, django_db_blocker, worker_media, tmp_path_factory):
    """A worker for one test module, purged of messages queued before it, so that tests elsewhere
    see uploads stay `harvesting`."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with django_db_blocker.unblock():
        process = start_celery_worker(log=log, media=worker_media, purge=True)
    yield log
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def worker_storage(settings, worker_media):
    """Points this test's blob storage at the worker's, so both see the same bytes."""
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(worker_media)}}
    settings.STORAGES = {**settings.STORAGES, "default": storage, "blobs": storage}
    return worker_media


def start_gunicorn(*, env: dict, log) -> tuple[subprocess.Popen, str]:
    """gunicorn with the project's config on the port `env["PORT"]` names, writing to `log`;
    returns the process and its base URL once it answers /healthz."""
    from pathlib import Path

    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "nexus_server/gunicorn_conf.py", "nexus_server.wsgi"],
            cwd=Path(__file__).resolve().parent.parent,
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


def pytest_sessionfinish(session, exitstatus):
    """No test may be skipped: a skip would hide a configuration the suite claims to cover."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: the suite allows none", red=True)
        session.exitstatus = 1
