"""Many small uploads: 1 KiB timeseries CSVs from 8 concurrent clients to their own data sources,
uploads/s, and the time until every ingest is `successful` (a real Celery worker on Redis), beside
the same POSTs to a minimal WSGI app under the same gunicorn."""

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

from . import stack

CLIENTS = 8
UPLOADS = {"small": 200, "full": 2000}


def _csv(client: int, number: int) -> bytes:
    """About 1 KiB: 24 hourly values of one feature, a new day per upload."""
    day = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(days=number)
    lines = ["feature,parameter,timestamp,value"]
    for hour in range(24):
        stamp = (day + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"C{client},waterlevel,{stamp},{(number * 24 + hour) % 97 / 10}")
    return ("\n".join(lines) + "\n").encode().ljust(1024, b"\n")


def _prepare() -> list[int]:
    from accounts.models import Organization
    from synctasks.models import FeatureKind
    from synctasks.services import data_source_create, feature_type_ensure

    organization = Organization.objects.get(name="Organization Y")
    timeseries = feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)
    return [
        data_source_create(
            name=f"small uploads {n} {uuid.uuid4().hex[:6]}",
            organization=organization,
            ext="csv",
            uploadable=True,
            feature_types=[timeseries],
        ).pk
        for n in range(CLIENTS)
    ]


def _post_all(url: str, sources: list[int], total: int) -> float:
    """Each client posts total / CLIENTS files to its own source, one after another; returns seconds."""
    failures: list[str] = []

    def client(n: int) -> None:
        with requests.Session() as session:
            for number in range(total // CLIENTS):
                files = {"upload_file": (f"part{number}.csv", _csv(n, number), "text/csv")}
                response = session.post(url, data={"datasource": sources[n]}, files=files, timeout=60)
                if response.status_code != 201:
                    failures.append(f"{response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} uploads failed, e.g. {failures[0]}")
    return time.perf_counter() - started


def _all_ingested(sources: list[int], total: int, timeout: float) -> None:
    from uploads.models import SyncStatus, Upload

    deadline = time.monotonic() + timeout
    uploads = Upload.objects.filter(data_source_id__in=sources)
    while uploads.filter(sync_status=SyncStatus.SUCCESSFUL).count() < total:
        failed = uploads.filter(sync_status=SyncStatus.FAILED).first()
        if failed is not None:
            raise RuntimeError(f"an ingest failed: {failed.report}")
        if time.monotonic() > deadline:
            raise RuntimeError("the ingests did not all finish in time")
        time.sleep(0.1)


def run(scale: str, var_dir: Path) -> dict:
    total = UPLOADS[scale]
    sources = _prepare()
    environment = stack.env(var_dir)
    baseline_server, baseline_url = stack.serve("bench.baseline_wsgi:app", environment)
    try:
        baseline_seconds = _post_all(baseline_url + "/", sources, total)
    finally:
        stack.stop(baseline_server)
    worker = stack.start_worker(environment, var_dir / "worker.log")
    server, url = stack.serve("nexus_server.wsgi:application", environment)
    try:
        started = time.perf_counter()
        post_seconds = _post_all(f"{url}/api/v1/uploads/?token={stack.TOKEN}", sources, total)
        _all_ingested(sources, total, timeout=600)
        all_done = time.perf_counter() - started
    finally:
        stack.stop(server)
        stack.stop(worker)
    per_s, baseline_per_s = total / post_seconds, total / baseline_seconds
    return {
        "case": "small_uploads",
        "what": f"{total:,} uploads of 1 KiB from {CLIENTS} concurrent clients, each to its own data source",
        "figure": "uploads/s",
        "value": round(per_s),
        "baseline": round(baseline_per_s),
        "baseline_what": "the same POSTs to a minimal WSGI app under the same gunicorn",
        "ratio": round(per_s / baseline_per_s, 3),
        "target": "(none set) all ingests successful",
        "met": True,
        "details": {
            "post_seconds": round(post_seconds, 2),
            "seconds_until_all_ingested": round(all_done, 2),
            "ingested_per_s": round(total / all_done, 1),
        },
    }
