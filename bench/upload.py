"""Upload throughput: a large multipart POST to /api/v1/uploads/ under gunicorn (the production
configuration) over loopback, beside a minimal WSGI app under the same gunicorn that only reads the
body; the client generates the body as it sends it."""

import os
import time
import uuid
from pathlib import Path

import requests

from . import stack

SIZES = {"small": 64 * 1024 * 1024, "full": 500 * 1024 * 1024}
CHUNK = 1024 * 1024


class Body:
    """A multipart body generated as it is sent; len() gives its Content-Length."""

    def __init__(self, size: int, datasource: int):
        self.boundary = uuid.uuid4().hex
        self.head = (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="datasource"\r\n\r\n{datasource}\r\n'
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="upload_file"; filename="big.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()
        self.size = size
        self.block = os.urandom(CHUNK)

    def __len__(self):
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self):
        yield self.head
        remaining = self.size
        while remaining:
            chunk = self.block[: min(CHUNK, remaining)]
            remaining -= len(chunk)
            yield chunk
        yield self.tail


def _post(url: str, size: int, datasource: int, master: int) -> dict:
    body = Body(size, datasource)
    before = {pid: stack.peak_rss_kib(pid) for pid in stack.workers_of(master)}
    started = time.perf_counter()
    response = requests.post(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={body.boundary}"}, timeout=900
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 201, response.text[:300]
    growth = max((stack.peak_rss_kib(pid) - before.get(pid, 0)) for pid in stack.workers_of(master))
    return {"mb_per_s": round(size / seconds / 1e6, 1), "seconds": round(seconds, 2), "rss_growth_mib": growth / 1024}


REPEATS = {"small": 1, "full": 3}


def _median_pair(uploads: list[dict], baselines: list[dict]) -> tuple[dict, dict]:
    """The pair (upload, its baseline run right after it) with the median ratio: this machine is
    noisy, and a ratio taken within one pair compares like with like."""
    pairs = sorted(zip(uploads, baselines, strict=True), key=lambda pair: pair[0]["mb_per_s"] / pair[1]["mb_per_s"])
    return pairs[len(pairs) // 2]


def run(scale: str, var_dir: Path) -> dict:
    size = SIZES[scale]
    environment = stack.env(var_dir, NEXUS_MAX_UPLOAD_BYTES=str(600 * 1024 * 1024))
    from synctasks.models import DataSource

    datasource = DataSource.objects.get(name="Measurements export").pk
    uploads, baselines = [], []
    for _ in range(REPEATS[scale]):
        server, url = stack.serve("nexus_server.wsgi:application", environment)
        try:
            uploads.append(_post(f"{url}/api/v1/uploads/?token={stack.TOKEN}", size, datasource, server.pid))
        finally:
            stack.stop(server)
        baseline_server, baseline_url = stack.serve("bench.baseline_wsgi:app", environment)
        try:
            baselines.append(_post(baseline_url + "/", size, datasource, baseline_server.pid))
        finally:
            stack.stop(baseline_server)
    upload, baseline = _median_pair(uploads, baselines)
    growth = max(r["rss_growth_mib"] for r in uploads)
    return {
        "case": "upload",
        "what": f"{size // (1024 * 1024)} MiB multipart POST /api/v1/uploads/ over loopback, local storage",
        "figure": "MB/s",
        "value": upload["mb_per_s"],
        "baseline": baseline["mb_per_s"],
        "baseline_what": "the same body read and dropped by a minimal WSGI app under the same gunicorn",
        "ratio": round(upload["mb_per_s"] / baseline["mb_per_s"], 3),
        "target": "ratio >= 0.8, worker RSS growth < 50 MiB",
        "met": upload["mb_per_s"] / baseline["mb_per_s"] >= 0.8 and growth < 50,
        "details": {
            "bytes": size,
            "repeats (median ratio taken)": REPEATS[scale],
            "all_upload_mb_per_s": [r["mb_per_s"] for r in uploads],
            "all_baseline_mb_per_s": [r["mb_per_s"] for r in baselines],
            "upload_seconds": upload["seconds"],
            "worker_peak_rss_growth_mib": round(growth, 1),
            "baseline_worker_peak_rss_growth_mib": round(baseline["rss_growth_mib"], 1),
        },
    }
