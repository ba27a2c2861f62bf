"""Real tus clients, unchanged, against the live server: tuspy (Python) and tus-js-client (Node) upload
64 MiB to a data source, are killed at about half, resume from the server's offset and complete; the
upload is ingested once by a real Celery worker. On local storage and on S3 (moto)."""

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from harvest.locks import LockBusy, resumable_lock_held
from tests.support.data import pattern
from tests.support.stack import start_celery_worker, wait_for
from uploads.models import SyncStatus, TusUpload, Upload

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_PYTHON = ROOT / ".venv-clients" / "bin" / "python"
JS_DIR = ROOT / "tests" / "js"
MIB = 1024 * 1024
SIZE = 64 * MIB


@pytest.fixture
def ingesting(request, storage_kind, tmp_path, settings):
    """A real worker of this test's own that sees the same storage as the live server (a worker shared
    with tests on another storage could take this test's ingest and not find its bytes)."""
    if storage_kind == "local":
        media = request.getfixturevalue("worker_storage")
        env = None
    else:
        media = tmp_path / "media"
        env = {
            "STORAGE_BACKEND": "s3",
            "AWS_S3_ENDPOINT_URL": settings.AWS_S3_ENDPOINT_URL,
            "AWS_STORAGE_BUCKET_NAME": settings.AWS_STORAGE_BUCKET_NAME,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
    process = start_celery_worker(log=tmp_path / "worker.log", media=media, extra_env=env)
    yield
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture
def big_file(tmp_path) -> Path:
    path = tmp_path / "readings.bin"
    block = pattern(MIB, seed=9)
    with path.open("wb") as out:
        for number in range(SIZE // MIB):
            out.write(number.to_bytes(4, "big") + block[4:])  # no two MiB alike
    return path


def _killed_at_half(command: list[str], **popen) -> int:
    """Starts the client, kills it (SIGKILL) once the server holds about half the bytes; the server's
    offset once the broken request has ended."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)
    try:
        wait_for(
            lambda: TusUpload.objects.filter(offset__gte=SIZE // 2).exists() or process.poll() is not None,
            timeout=60,
            interval=0.01,
            what="half the bytes to arrive",
        )
    finally:
        process.kill()
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, process.stderr.read().decode()[-2000:]
    tus = TusUpload.objects.get()
    # The server reads what the client had sent, meets the broken connection and records what
    # arrived: the request has ended once the upload's lock is free and its offset stays put.
    wait_for(lambda: _settled(tus), timeout=30, what="the broken request to end")
    tus.refresh_from_db()
    assert SIZE // 4 < tus.offset < SIZE
    assert tus.upload_id is None
    return tus.offset


def _settled(tus) -> bool:
    before = TusUpload.objects.get(pk=tus.pk).offset
    try:
        with resumable_lock_held(key=tus.pk.int % 2**31):
            pass
    except LockBusy:
        return False
    time.sleep(0.3)
    return TusUpload.objects.get(pk=tus.pk).offset == before


def _ingested_once(live_server, catalog, big_file) -> None:
    upload = wait_for(
        lambda: Upload.objects.exclude(sync_status=SyncStatus.HARVESTING).first(), timeout=60, what="the ingest"
    )
    assert Upload.objects.count() == 1
    assert (upload.sync_status, upload.filename, upload.data_source_id) == (
        SyncStatus.SUCCESSFUL,
        "readings.bin",
        catalog.documents.pk,
    ), upload.report
    assert upload.blob.size == SIZE
    assert upload.deliveries == 1
    assert TusUpload.objects.get().upload_id == upload.pk


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def test_tuspy_is_killed_at_half_and_resumes(live_server, catalog, storage_kind, ingesting, big_file, tmp_path):
    assert CLIENTS_PYTHON.exists(), "make test installs tuspy into .venv-clients"
    args = {
        "url": f"{live_server.url}/api/v1/uploads/tus/",
        "token": catalog.token,
        "path": str(big_file),
        "chunk_size": 2 * MIB,
        "metadata": {"filename": big_file.name, "datasource": str(catalog.documents.pk)},
        "store": str(tmp_path / "tus-urls.json"),
    }
    command = [str(CLIENTS_PYTHON), str(Path(__file__).with_name("tus_client.py")), json.dumps(args)]
    offset = _killed_at_half(command)
    result = subprocess.run(command, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    tus = TusUpload.objects.get()
    assert lines[0] == {"url": f"{live_server.url}/api/v1/uploads/tus/{tus.pk}/", "offset": offset}
    assert lines[-1]["done"] is True and lines[-1]["offset"] == SIZE
    _ingested_once(live_server, catalog, big_file)
    assert Upload.objects.get().blob.sha256 == _sha256(big_file)


def test_tus_js_client_is_killed_at_half_and_resumes(live_server, catalog, storage_kind, ingesting, big_file, tmp_path):
    assert (JS_DIR / "node_modules" / "tus-js-client").exists(), "make test installs tests/js (npm ci)"
    args = {
        "url": f"{live_server.url}/api/v1/uploads/tus/",
        "token": catalog.token,
        "path": str(big_file),
        "chunkSize": 2 * MIB,
        "metadata": {"filename": big_file.name, "datasource": str(catalog.documents.pk)},
        "store": str(tmp_path / "tus-urls.json"),
    }
    command = ["node", str(JS_DIR / "tus_upload.js"), json.dumps(args)]
    offset = _killed_at_half(command)
    result = subprocess.run(command, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
    tus = TusUpload.objects.get()
    url = f"{live_server.url}/api/v1/uploads/tus/{tus.pk}/"
    assert lines == [{"url": url, "offset": offset}, {"url": url, "done": True}]
    _ingested_once(live_server, catalog, big_file)
    assert Upload.objects.get().blob.sha256 == _sha256(big_file)
