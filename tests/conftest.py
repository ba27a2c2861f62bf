"""Shared fixtures: isolated blob storage (local or S3 through moto's server), users and tokens, a
test-started Celery worker, the ingest catalog and a KNMI stand-in; the helpers live in tests/support."""

import json
import signal
import subprocess
import sys
import uuid

import pytest
from celery import current_app
from django.core.management import call_command

from accounts.services import token_create
from tests.support.accounts import DEMO_TOKEN, supplier_create
from tests.support.answers import MIB
from tests.support.faults import PrivateRedis
from tests.support.harvest import Endpoint, Sources, knmi_create, sources_create
from tests.support.stack import ROOT, free_port, seeded_embedded_env, start_celery_worker, start_gunicorn
from tests.support.storage import s3_client, start_moto, stored_objects


@pytest.fixture
def demo(settings, capsys):
    """The seeds' example world (seed_demo) with the supplier's token DEMO_TOKEN; its --json report."""
    settings.NEXUS_DEMO_TOKEN = DEMO_TOKEN
    call_command("seed_demo", "--json")
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's standalone S3 server on loopback, for the whole session: S3 over real HTTP."""
    process, endpoint = start_moto()
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    """Every test gets its own local blob storage root, unless it asks for S3."""
    root = tmp_path / "media"
    storage = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}}
    settings.STORAGES = {**settings.STORAGES, "default": storage, "blobs": storage}
    return root


@pytest.fixture(autouse=True)
def throttle_counts(settings):
    """Every test counts its requests against the rate limits from zero (its own key prefix: clearing
    a Redis cache would flush the broker's database too); the rates stay the defaults."""
    cache = settings.CACHES["default"]
    settings.CACHES = {**settings.CACHES, "default": {**cache, "KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}"}}


@pytest.fixture
def s3_storage(settings, moto_endpoint):
    """Blob storage on a fresh bucket of moto's S3 server; yields the boto3 client and bucket."""
    bucket = f"test-{uuid.uuid4().hex[:12]}"
    client = s3_client(moto_endpoint)
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


@pytest.fixture
def storage_objects(request, storage_kind, local_storage):
    """A callable listing what the current storage holds."""
    s3 = request.getfixturevalue("s3_storage") if storage_kind == "s3" else None
    return lambda: stored_objects(storage_kind, local_root=local_storage, s3=s3)


@pytest.fixture
def supplier(db):
    """'Data supplier X', an uploader of 'Organization Y'."""
    user, _ = supplier_create()
    return user


@pytest.fixture
def supplier_token(supplier):
    return token_create(user=supplier, name="test").raw


@pytest.fixture
def sources(db) -> Sources:
    """The supplier and one uploadable source per format the ingest reads (tests/support/harvest.py)."""
    return sources_create()


@pytest.fixture
def endpoint():
    """A local stand-in for the KNMI daily-data service, scripted by the test."""
    server = Endpoint()
    yield server
    server.server.shutdown()


@pytest.fixture
def knmi(endpoint, db):
    """A KNMI data source harvesting from `endpoint`: its task, its timeseries connection, a token."""
    return knmi_create(endpoint.url)


@pytest.fixture(scope="session")
def worker_media(tmp_path_factory):
    """The local storage root a test-started Celery worker and the tests share."""
    return tmp_path_factory.mktemp("worker-media")


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


def pytest_sessionfinish(session, exitstatus):
    """No test may be skipped: a skip would hide a configuration the suite claims to cover."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped and session.exitstatus == 0:
        reporter.write_line(f"{len(skipped)} test(s) skipped: the suite allows none", red=True)
        session.exitstatus = 1


@pytest.fixture
def pinned(settings):
    """The settings that show in answers, at their defaults whatever the environment says: the
    golden answers record the code, not the machine's configuration."""
    settings.TIME_ZONE = "UTC"
    settings.NEXUS_MAX_UPLOAD_BYTES = 500 * MIB
    settings.NEXUS_MAX_REQUEST_OVERHEAD_BYTES = 1 * MIB
    settings.NEXUS_MAX_JSON_BYTES = 100 * MIB
    settings.NEXUS_LINK_TTL_SECONDS = 3600
    settings.NEXUS_DEFAULT_LOCALE = "nl-NL"
    settings.NEXUS_LOCALES = ["nl-NL", "en-IE", "en-GB", "en-US", "de-DE", "fr-FR"]
    settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = 5 * MIB  # the smallest part: a multipart ticket for 6 MiB


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """gunicorn on a seeded embedded server of its own, for a module's tests that use the live server
    from other processes (a browser, a generated client); (base URL, the seed's ids)."""
    tmp = tmp_path_factory.mktemp("served")
    env = seeded_embedded_env(tmp / "var", token=DEMO_TOKEN)
    # seed_demo is idempotent: run again, it names the ids the first run gave.
    seeded = subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--json"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    env.update(PORT=str(free_port()), WEB_CONCURRENCY="1")
    server, base = start_gunicorn(env=env, log=tmp / "gunicorn.log")
    try:
        yield base, json.loads(seeded.stdout)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


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
