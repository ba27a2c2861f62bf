"""Read API under concurrent load (wrk): GET /api/v1/uploads/ for a supplier with 1,000 data sources,
and GET /api/v1/sync_tasks_new/?world= a page of 50; requests/s, p50 / p99 latency and the queries
each request makes, beside the same load on a minimal WSGI app under the same gunicorn."""

import re
import shutil
import subprocess
import uuid
from pathlib import Path

from . import stack

SOURCES = 1000
DURATION = {"small": 5, "full": 20}
CONNECTIONS = 16  # the 4 x 4 threads of docker-compose's gunicorn


def _prepare() -> None:
    """1,000 uploadable timeseries sources of the supplier's organization, each with an upload, all
    subscribed in world `sandbox`."""
    from accounts.models import Organization, User
    from blobs.models import Blob
    from synctasks.models import FeatureKind, Subscription, World
    from synctasks.services import data_source_create, feature_type_ensure
    from uploads.models import SyncStatus, Upload

    organization = Organization.objects.get(name="Organization Y")
    supplier = User.objects.get(username="supplier")
    timeseries = feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)
    sources = [
        data_source_create(
            name=f"bench source {n:04d}",
            organization=organization,
            ext="csv",
            uploadable=True,
            feature_types=[timeseries],
            description={"en-IE": f"Bench source {n}", "nl-NL": f"Bench bron {n}"},
        )
        for n in range(SOURCES)
    ]
    blobs = Blob.objects.bulk_create(
        Blob(key=f"blobs/bench/{uuid.uuid4().hex}", size=1024, sha256="0" * 64, md5="", media_type="text/csv")
        for _ in sources
    )
    Upload.objects.bulk_create(
        Upload(data_source=s, uploader=supplier, filename="data.csv", blob=b, sync_status=SyncStatus.SUCCESSFUL)
        for s, b in zip(sources, blobs, strict=True)
    )
    world = World.objects.get(alias="sandbox")
    Subscription.objects.bulk_create(
        Subscription(world=world, data_connection=s.sync_task.dataconnections.get(), retention_time=86400)
        for s in sources
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # what autovacuum would have done after a load like this


def _queries(path: str) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, HTTP_AUTHORIZATION=f"Token {stack.TOKEN}")
    assert response.status_code == 200, response.content[:300]
    return len(captured)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, seconds: int, connections: int = CONNECTIONS) -> dict:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install wrk); `make bench` installs it")
    command = [wrk, f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    command += ["-H", f"Authorization: Token {stack.TOKEN}", url]
    out = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    latency = {
        pct: round(float(value) * _UNITS[unit], 2)
        for pct, value, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))),
        "p50_ms": latency["50"],
        "p99_ms": latency["99"],
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def run(scale: str, var_dir: Path) -> list[dict]:
    seconds = DURATION[scale]
    paths = {
        "reads_uploads": "/api/v1/uploads/",
        "reads_sync_tasks": "/api/v1/sync_tasks_new/?world=sandbox&page_size=50",
    }
    few = {name: _queries(path) for name, path in paths.items()}  # with the demo's few sources
    _prepare()
    many = {name: _queries(path) for name, path in paths.items()}
    environment = stack.env(var_dir)
    baseline_server, baseline_url = stack.serve("bench.baseline_wsgi:app", environment)
    try:
        baseline = _wrk(baseline_url + "/healthz", seconds)
    finally:
        stack.stop(baseline_server)
    server, url = stack.serve("nexus_server.wsgi:application", environment)
    try:
        measured = {name: _wrk(url + path, seconds) for name, path in paths.items()}
        # One client at a time: the request's own latency, without queueing behind the others.
        alone = {name: _wrk(url + path, max(2, seconds // 2), connections=1) for name, path in paths.items()}
    finally:
        stack.stop(server)
    results = []
    for name, path in paths.items():
        m = measured[name]
        results.append(
            {
                "case": name,
                "what": f"GET {path} ({SOURCES:,} data sources), wrk {CONNECTIONS} connections for {seconds} s",
                "figure": "requests/s",
                "value": m["requests_per_s"],
                "baseline": baseline["requests_per_s"],
                "baseline_what": "wrk on a minimal WSGI app under the same gunicorn",
                "ratio": round(m["requests_per_s"] / baseline["requests_per_s"], 3),
                "target": "p99 < 50 ms, query count constant",
                "met": m["p99_ms"] < 50 and m["non_2xx"] == 0 and few[name] == many[name],
                "details": {
                    **m,
                    "one_connection_p50_ms": alone[name]["p50_ms"],
                    "one_connection_p99_ms": alone[name]["p99_ms"],
                    "baseline_p50_ms": baseline["p50_ms"],
                    "baseline_p99_ms": baseline["p99_ms"],
                    "queries_with_demo_sources": few[name],
                    f"queries_with_{SOURCES}_sources": many[name],
                },
            }
        )
    return results
