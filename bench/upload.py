"""Upload throughput: a 500 MiB multipart POST to /api/v1/uploads/ under gunicorn (the production
configuration), beside a minimal WSGI app under the same gunicorn that only reads the body."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"small": 64 * 1024 * 1024, "full": 500 * 1024 * 1024}
TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
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


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _workers(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def _serve(app: str, env: dict) -> tuple[subprocess.Popen, str]:
    port = _port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "nexus_server/gunicorn_conf.py", app],
        cwd=ROOT,
        env={**env, "PORT": str(port), "WEB_CONCURRENCY": "2", "GUNICORN_THREADS": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url + "/", timeout=2)
            return process, url
        except requests.ConnectionError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"gunicorn for {app} did not start") from None
            time.sleep(0.3)


def _post(url: str, size: int, datasource: int, master: int) -> dict:
    body = Body(size, datasource)
    before = {pid: _peak_rss_kib(pid) for pid in _workers(master)}
    started = time.perf_counter()
    response = requests.post(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={body.boundary}"}, timeout=900
    )
    seconds = time.perf_counter() - started
    assert response.status_code == 201, response.text[:300]
    growth = max((_peak_rss_kib(pid) - before.get(pid, 0)) for pid in _workers(master))
    return {
        "mb_per_s": round(size / seconds / 1e6, 1),
        "seconds": round(seconds, 2),
        "worker_peak_rss_growth_mib": round(growth / 1024, 1),
    }


def run_case(scale: str) -> dict:
    size = SIZES[scale]
    with tempfile.TemporaryDirectory(prefix="nexus-bench-upload-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "STORAGE_"))}
        env.update(NEXUS_VAR_DIR=tmp, NEXUS_DEMO_TOKEN=TOKEN, NEXUS_MAX_UPLOAD_BYTES=str(600 * 1024 * 1024))
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True)
        subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
        server, url = _serve("nexus_server.wsgi:application", env)
        try:
            upload = _post(f"{url}/api/v1/uploads/?token={TOKEN}", size, 1, server.pid)
        finally:
            server.terminate()
            server.wait(30)
        baseline_server, baseline_url = _serve("bench.baseline_wsgi:app", env)
        try:
            baseline = _post(baseline_url + "/", size, 1, baseline_server.pid)
        finally:
            baseline_server.terminate()
            baseline_server.wait(30)
    return {
        "case": "upload",
        "bytes": size,
        "upload_mb_per_s": upload["mb_per_s"],
        "baseline_mb_per_s": baseline["mb_per_s"],
        "ratio": round(upload["mb_per_s"] / baseline["mb_per_s"], 3),
        "upload_seconds": upload["seconds"],
        "worker_peak_rss_growth_mib": upload["worker_peak_rss_growth_mib"],
        "baseline_worker_peak_rss_growth_mib": baseline["worker_peak_rss_growth_mib"],
    }


def main() -> dict:
    scale = os.environ.get("BENCH_SCALE", "small")
    result = run_case(scale)
    print(
        f"\nUpload (BENCH_SCALE={scale}; {result['bytes'] // (1024 * 1024)} MiB multipart POST over loopback, "
        "gunicorn 2 workers x 4 threads, local storage)"
    )
    print(f"{'upload MB/s':>12} {'baseline MB/s':>14} {'ratio':>6} {'seconds':>8} {'worker RSS growth MiB':>22}")
    print(
        f"{result['upload_mb_per_s']:>12} {result['baseline_mb_per_s']:>14} {result['ratio']:>6} "
        f"{result['upload_seconds']:>8} {result['worker_peak_rss_growth_mib']:>22}"
    )
    return result
