"""Measured: a real worker ingests hostile files within bounded memory and ends them `failed` fast."""

import os
import signal
import time
import zipfile

import pytest

from blobs.services import blob_stage
from tests.support.stack import start_celery_worker, wait_for
from uploads.models import SyncStatus, Upload
from uploads.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024
MAX_GROWTH = 200 * MIB


def _status(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) * 1024
    return fields


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as children:
        return [int(p) for p in children.read().split()]


def _upload(sources, source, filename, chunks) -> Upload:
    staged = blob_stage(chunks=chunks)
    return upload_create(
        user=sources.user, data_source_id=source.pk, client_filename=filename, staged=staged, media_type="x/y"
    )


def _file_chunks(path):
    with open(path, "rb") as stream:
        while chunk := stream.read(MIB):
            yield chunk


def _zip_with_one_long_line(path, line_bytes: int) -> None:
    """A zip whose CSV member is a header and one line of line_bytes digits, written in 1 MiB chunks."""
    chunk = b"1" * MIB
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("data.csv", "w", force_zip64=True) as member,
    ):
        member.write(b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,")
        for _ in range(line_bytes // MIB):
            member.write(chunk)


def test_the_deep_geojson_and_the_512_mib_line_fail_fast_in_bounded_memory(sources, worker_storage, tmp_path):
    zip_path = tmp_path / "long-line.zip"
    _zip_with_one_long_line(zip_path, 512 * MIB)
    assert zip_path.stat().st_size < MIB  # about 0.5 MB on disk, 512 MiB inflated
    depth = 100_000
    deep = (
        b'{"type":"FeatureCollection","features":[{"type":"Feature","id":"1","properties":{},'
        b'"geometry":{"type":"Point","coordinates":' + b"[" * depth + b"]" * depth + b"}}]}"
    )
    worker = start_celery_worker(log=tmp_path / "worker.log", media=worker_storage, concurrency=1, purge=True)
    try:
        [child] = _children(worker.pid)
        before = {pid: _status(pid)["VmRSS"] for pid in (worker.pid, child)}
        cases = [
            (
                sources.geojson,
                "deep.geojson",
                [deep],
                "deep.geojson: feature 1: the JSON nests deeper than 64 levels (the limit)",
            ),
            (
                sources.timeseries,
                "long-line.zip",
                _file_chunks(zip_path),
                "data.csv: line 2: the line is longer than 1048576 characters (the limit)",
            ),
        ]
        for source, filename, chunks, reason in cases:
            upload = _upload(sources, source, filename, chunks)
            started = time.monotonic()
            done = wait_for(
                lambda pk=upload.pk: (u := Upload.objects.get(pk=pk)).sync_status != SyncStatus.HARVESTING and u,
                timeout=30,
                what=f"the ingest of {filename}",
            )
            elapsed = time.monotonic() - started
            assert (done.sync_status, done.report["errors"]) == (SyncStatus.FAILED, [reason])
            assert elapsed < 30
            print(f"{filename}: failed in {elapsed:.1f}s")
        assert _children(worker.pid) == [child]  # the same pool child did both: it was never killed
        peaks = {pid: _status(pid)["VmHWM"] for pid in (worker.pid, child)}
        growth = {pid: peaks[pid] - before[pid] for pid in before}
        print(f"RSS growth: pool child {growth[child] / MIB:.1f} MiB, worker {growth[worker.pid] / MIB:.1f} MiB")
        assert growth[child] < MAX_GROWTH, growth
        assert growth[worker.pid] < MAX_GROWTH, growth
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
