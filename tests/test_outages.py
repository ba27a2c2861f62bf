"""Outages provoked for real under gunicorn: its own moto server stopped and restarted, PostgreSQL
out of reach (the server's connections go through a TCP relay the test stops), the server's
PostgreSQL connections terminated mid-upload. Every dialect answers 503 in its own shape, naming
the component, /readyz says which (/healthz, liveness, stays 200), the same request succeeds once
it is back, and nothing staged is left in the bucket."""

import http.client
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import psycopg2
import pytest
import requests
from django.db import connection

from blobs.models import Blob
from datasets.models import DatasetFile
from files.models import File
from tests.support.accounts import DEMO_TOKEN
from tests.support.faults import Relay
from tests.support.stack import free_port, start_gunicorn
from tests.support.storage import s3_client
from uploads.models import Upload

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APP_NAME = "nexus-outage-test-web"
PID = "doi:10.5072/FK27U7YBV"
DELTA_CONTEXT = "https://bluebrain.github.io/nexus/contexts/error.json"
MB = 1024 * 1024


class Moto:
    """moto's S3 server on a port of its own, that a test stops and starts again (empty: S3 lost
    its state; the test re-creates the bucket, as an operator restores one)."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.endpoint}/moto-api/", timeout=1)
                return
            except requests.ConnectionError:
                assert self.process.poll() is None and time.monotonic() < deadline, "moto did not start"
                time.sleep(0.1)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    """gunicorn (one worker, two threads) on the test database through a relay, S3 on its own moto."""
    with django_db_blocker.unblock():
        db = connection.settings_dict
    relay = Relay(int(db["PORT"] or 5432))
    relay.start()
    moto = Moto()
    moto.start()
    bucket = "outages"
    s3_client(moto.endpoint).create_bucket(Bucket=bucket)
    var = tmp_path_factory.mktemp("outages-var")
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "STORAGE_"))},
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{relay.port}/{db['NAME']}?application_name={APP_NAME}",
        "STORAGE_BACKEND": "s3",
        "AWS_S3_ENDPOINT_URL": moto.endpoint,
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "NEXUS_VAR_DIR": str(var),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "PYTHONUNBUFFERED": "1",
    }
    log = var / "gunicorn.log"
    server, base = start_gunicorn(env=env, log=log)
    stack = type("Stack", (), {})()
    stack.base, stack.relay, stack.moto, stack.bucket, stack.log, stack.port = base, relay, moto, bucket, log, port
    stack.s3 = lambda: s3_client(moto.endpoint)
    yield stack
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    moto.stop()
    relay.stop()


@pytest.fixture
def stack_clean(stack):
    """The stack with an empty bucket (rows are flushed after each test, objects are removed here)."""
    client = stack.s3()
    for item in client.list_objects_v2(Bucket=stack.bucket).get("Contents", []):
        client.delete_object(Bucket=stack.bucket, Key=item["Key"])
    for part in client.list_multipart_uploads(Bucket=stack.bucket).get("Uploads", []):
        client.abort_multipart_upload(Bucket=stack.bucket, Key=part["Key"], UploadId=part["UploadId"])
    return stack


def bucket_contents(stack) -> list[str]:
    client = stack.s3()
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=stack.bucket).get("Contents", [])]
    uploads = [f"multipart:{u['Key']}" for u in client.list_multipart_uploads(Bucket=stack.bucket).get("Uploads", [])]
    return sorted(keys + uploads)


def rows() -> tuple[int, int, int, int]:
    return Blob.objects.count(), Upload.objects.count(), File.objects.count(), DatasetFile.objects.count()


def uploads(demo) -> dict:
    """Each dialect's upload: (method, path, headers, form fields, file field, 2xx status)."""
    source = demo["data_sources"]["Dataset export"]
    return {
        "nexus": ("POST", f"/api/v1/uploads/?token={DEMO_TOKEN}", {}, {"datasource": str(source)}, "upload_file", 201),
        "delta": ("POST", "/v1/files/myorg/myproj", {"Authorization": f"Bearer {DEMO_TOKEN}"}, {}, "file", 201),
        "cdg": (
            "POST",
            "/api/v1/dataset/ncl.630.0/file.json",
            {"authorization": f"api-token {DEMO_TOKEN}"},
            {},
            "file",
            201,
        ),
        "dataverse": (
            "POST",
            f"/api/datasets/:persistentId/add?persistentId={PID}",
            {"X-Dataverse-key": DEMO_TOKEN},
            {"jsonData": "{}"},
            "file",
            200,
        ),
    }


READS = {
    "nexus": (f"/api/v1/uploads/?token={DEMO_TOKEN}", {}),
    "delta": ("/v1/files/myorg/myproj", {"Authorization": f"Bearer {DEMO_TOKEN}"}),
    "cdg": ("/api/v1/dataset/ncl.630.0/files.json", {}),
    "dataverse": (f"/api/datasets/:persistentId/?persistentId={PID}", {"X-Dataverse-key": DEMO_TOKEN}),
}


def shaped(dialect: str, message: str, delta_type: str = "ServiceUnavailable") -> dict:
    return {
        "nexus": {"detail": message},
        "delta": {"@context": DELTA_CONTEXT, "@type": delta_type, "reason": message},
        "cdg": {"error": message},
        "dataverse": {"status": "ERROR", "message": message},
    }[dialect]


def upload(stack, spec, data: bytes = b"id,name,wkt\n1,Pump A,POINT (4.9 52.4)\n", name="d.csv"):
    method, path, headers, fields, file_field, _ = spec
    return requests.request(
        method,
        stack.base + path,
        headers=headers,
        data=fields,
        files={file_field: (name, data, "text/csv")},
        timeout=60,
    )


def read(stack, dialect):
    path, headers = READS[dialect]
    return requests.get(stack.base + path, headers=headers, timeout=60)


def test_storage_down_every_dialect_answers_503_naming_it_and_recovers(stack_clean, demo):
    stack = stack_clean
    specs = uploads(demo)
    before = rows()
    stack.moto.stop()
    try:
        message = "The storage is unavailable; try again shortly."
        for dialect, spec in specs.items():
            response = upload(stack, spec, name=f"{dialect}.csv")
            assert (response.status_code, response.json()) == (503, shaped(dialect, message)), dialect
            assert response.headers["Retry-After"] == "5"
            # Reads that need no bytes go on.
            assert read(stack, dialect).status_code == 200, dialect
        health = requests.get(f"{stack.base}/readyz", timeout=60)
        body = health.json()
        # This stack runs no worker and no beat: readiness names them too, after the storage.
        assert (health.status_code, body["unavailable"], body["database"], body["broker"]) == (
            503,
            ["storage", "workers", "beat"],
            "ok",
            "ok",
        )
        assert body["storage"].startswith("error: EndpointConnectionError: ")
        assert requests.get(f"{stack.base}/healthz", timeout=60).json() == {"status": "ok"}
        assert rows() == before
    finally:
        stack.moto.start()
    stack.s3().create_bucket(Bucket=stack.bucket)
    assert requests.get(f"{stack.base}/readyz", timeout=60).json()["unavailable"] == ["workers", "beat"]
    for dialect, spec in specs.items():
        response = upload(stack, spec, name=f"{dialect}.csv")
        assert response.status_code == spec[-1], (dialect, response.text)
    assert bucket_contents(stack) == sorted(Blob.objects.values_list("key", flat=True))


def test_database_down_every_dialect_answers_503_naming_it_and_recovers(stack_clean, demo):
    stack = stack_clean
    specs = uploads(demo)
    before = rows()
    assert read(stack, "nexus").status_code == 200  # the server holds a connection: it will be cut
    stack.relay.stop()
    try:
        message = "The database is unavailable; try again shortly."
        for dialect, spec in specs.items():
            for response in (upload(stack, spec, name=f"{dialect}.csv"), read(stack, dialect)):
                assert (response.status_code, response.json()) == (503, shaped(dialect, message)), dialect
                assert response.headers["Retry-After"] == "5"
        health = requests.get(f"{stack.base}/readyz", timeout=60)
        body = health.json()
        # Beat's tick is read from the database: not checked while it is away. No worker runs here.
        assert (health.status_code, body["unavailable"], body["storage"], body["broker"], body["beat"]) == (
            503,
            ["database", "workers"],
            "ok",
            "ok",
            "not checked (database unavailable)",
        )
        assert body["database"].startswith("error: OperationalError: ")
        # Alive all along: restarting the process would not bring the database back.
        assert requests.get(f"{stack.base}/healthz", timeout=60).json() == {"status": "ok"}
    finally:
        stack.relay.start()
    assert rows() == before
    assert bucket_contents(stack) == []
    # Back: the same requests succeed, on every thread of the server (none kept a dead connection).
    for _ in range(2):
        assert requests.get(f"{stack.base}/readyz", timeout=60).json()["database"] == "ok"
    for dialect, spec in specs.items():
        response = upload(stack, spec, name=f"{dialect}.csv")
        assert response.status_code == spec[-1], (dialect, response.text)
        assert read(stack, dialect).status_code == 200
    assert bucket_contents(stack) == sorted(Blob.objects.values_list("key", flat=True))


def _terminate_app_connections() -> int:
    db = connection.settings_dict
    killer = psycopg2.connect(
        host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres"
    )
    killer.autocommit = True
    with killer.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s", [APP_NAME]
        )
        killed = cursor.fetchone()[0]
    killer.close()
    return killed


@pytest.mark.parametrize(
    ("dialect", "size"), [("nexus", 60 * MB), ("delta", 20 * MB), ("cdg", 20 * MB), ("dataverse", 20 * MB)]
)
def test_connections_killed_mid_upload_leave_no_staged_bytes(stack_clean, demo, dialect, size):
    stack = stack_clean
    method, path, headers, fields, file_field, _ = uploads(demo)[dialect]
    boundary = uuid.uuid4().hex
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="big.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    chunk = (b"id,name,wkt\n" + b"1,Pump A,POINT (4.9 52.4)\n" * 41000)[:MB]
    assert len(chunk) == MB
    before = rows()
    conn = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=120)
    conn.putrequest(method, path)
    for name, value in {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"}.items():
        conn.putheader(name, value)
    conn.putheader("Content-Length", str(len(head) + size + len(tail)))
    conn.endheaders()
    conn.send(head)
    killed = 0
    for sent in range(size // MB):
        conn.send(chunk)
        if sent == size // MB // 2:
            killed = _terminate_app_connections()  # the body is streaming into S3 meanwhile
    conn.send(tail)
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    assert killed >= 1
    message = "The database is unavailable; try again shortly."
    assert (response.status, body) == (503, shaped(dialect, message))
    assert bucket_contents(stack) == []
    assert rows() == before
    # The next request on the same server succeeds.
    assert read(stack, dialect).status_code == 200


def test_bytes_a_row_may_reference_are_kept_while_the_database_cannot_say(local_storage):
    """Inside a transaction whose connection is gone, a recorded key's fate is unknown: its bytes
    stay; once the transaction is over (rolled back) the scope's end finds no row and deletes them."""
    from django.db import Error, transaction

    from blobs.services import blob_discard_staged, blob_record, blob_stage, blob_staging_scope

    def stored():
        return sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file())

    with blob_staging_scope():
        with pytest.raises(Error), transaction.atomic():
            staged = blob_stage(chunks=[b"recorded, not yet committed"])
            blob_record(staged=staged)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                own = cursor.fetchone()[0]
            db = connection.settings_dict
            killer = psycopg2.connect(
                host=db["HOST"] or "127.0.0.1", port=db["PORT"] or 5432, user=db["USER"], dbname="postgres"
            )
            killer.autocommit = True
            with killer.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [own])
            killer.close()
            assert blob_discard_staged(keys=[staged.key]) == []
            assert stored() == [staged.key]
            Blob.objects.count()  # the transaction cannot go on
        assert stored() == [staged.key]
    assert stored() == []
    assert Blob.objects.count() == 0
