"""Resumable upload throughput and memory: a large file sent over tus in 5 MiB PATCHes to
/api/v1/uploads/tus/ under gunicorn over loopback, beside the plain multipart POST of the same size."""

import base64
import os
import time

import requests

from . import stack, upload

PATCH_BYTES = 5 * 1024 * 1024


def _meta(**pairs) -> str:
    return ",".join(f"{key} {base64.b64encode(str(value).encode()).decode()}" for key, value in pairs.items())


def _tus(base: str, size: int, datasource: int, master: int) -> dict:
    headers = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {stack.TOKEN}"}
    block = os.urandom(PATCH_BYTES)
    before = {pid: stack.peak_rss_kib(pid) for pid in stack.workers_of(master)}
    started = time.perf_counter()
    with requests.Session() as session:
        created = session.post(
            f"{base}/api/v1/uploads/tus/",
            headers={
                **headers,
                "Upload-Length": str(size),
                "Upload-Metadata": _meta(filename="big.csv", datasource=datasource),
            },
            timeout=60,
        )
        assert created.status_code == 201, created.text[:300]
        location = created.headers["Location"]
        offset = 0
        while offset < size:
            chunk = block[: min(PATCH_BYTES, size - offset)]
            answer = session.patch(
                location,
                data=chunk,
                headers={**headers, "Upload-Offset": str(offset), "Content-Type": "application/offset+octet-stream"},
                timeout=300,
            )
            assert answer.status_code == 204, answer.text[:300]
            offset = int(answer.headers["Upload-Offset"])
    seconds = time.perf_counter() - started
    assert "Nexus-Upload-Id" in answer.headers
    growth = max((stack.peak_rss_kib(pid) - before.get(pid, 0)) for pid in stack.workers_of(master))
    return {"mb_per_s": round(size / seconds / 1e6, 1), "seconds": round(seconds, 2), "rss_growth_mib": growth / 1024}


def run(scale: str, var_dir) -> dict:
    size = upload.SIZES[scale]
    environment = stack.env(var_dir, NEXUS_MAX_UPLOAD_BYTES=str(600 * 1024 * 1024))
    from synctasks.models import DataSource

    datasource = DataSource.objects.get(name="Measurements export").pk
    server, url = stack.serve("nexus_server.wsgi:application", environment)
    try:
        tus = _tus(url, size, datasource, server.pid)
        plain = upload._post(f"{url}/api/v1/uploads/?token={stack.TOKEN}", size, datasource, server.pid)
    finally:
        stack.stop(server)
    return {
        "case": "tus_upload",
        "what": f"{size // (1024 * 1024)} MiB over tus in 5 MiB PATCHes to /api/v1/uploads/tus/, local storage",
        "figure": "MB/s",
        "value": tus["mb_per_s"],
        "baseline": plain["mb_per_s"],
        "baseline_what": "the same size as one multipart POST /api/v1/uploads/ to the same gunicorn",
        "ratio": round(tus["mb_per_s"] / plain["mb_per_s"], 3),
        "target": "worker RSS growth < 50 MiB",
        "met": tus["rss_growth_mib"] < 50,
        "details": {
            "bytes": size,
            "patch_bytes": PATCH_BYTES,
            "tus_seconds": tus["seconds"],
            "plain_seconds": plain["seconds"],
            "worker_peak_rss_growth_mib": round(tus["rss_growth_mib"], 1),
            "plain_worker_peak_rss_growth_mib": round(plain["rss_growth_mib"], 1),
        },
    }
