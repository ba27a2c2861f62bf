"""`make run`'s server: gunicorn, a Celery worker and beat on the embedded default, stopped by one Ctrl-C."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import _free_port, seeded_embedded_env

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"


def _processes_with(marker: str) -> list[int]:
    """Pids whose environment carries the marker (this test's own var dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_runstack_serves_with_worker_and_beat_and_stops_on_ctrl_c(tmp_path):
    var = tmp_path / "var"
    env = seeded_embedded_env(var, token=TOKEN)
    manage = [sys.executable, "manage.py"]
    port = _free_port()
    log = tmp_path / "stack.log"
    with open(log, "wb") as out:
        stack = subprocess.Popen(
            [*manage, "runstack", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = requests.get(f"{base}/healthz", timeout=10)
                break
            # Refused until gunicorn listens; slow while every process of the stack starts at once.
            except (requests.ConnectionError, requests.Timeout):
                assert stack.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.3)
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "ok", "broker": "ok", "storage": "ok"}
        assert requests.get(f"{base}/api/docs/", timeout=5).status_code == 200
        assert requests.get(f"{base}/healthz?token={TOKEN}", timeout=5).status_code == 200
        while b"beat: Starting" not in log.read_bytes() or b"ready." not in log.read_bytes():
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        assert len(_processes_with(str(var))) >= 4  # runstack, gunicorn master and workers, worker, beat
    finally:
        stack.send_signal(signal.SIGINT)
        code = stack.wait(timeout=40)
    text = log.read_text()
    assert code == 0, text
    assert "GET /healthz?token=[redacted] HTTP/1.1" in text
    assert TOKEN not in text
    deadline = time.monotonic() + 10
    while _processes_with(str(var)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(str(var)) == []
