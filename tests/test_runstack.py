"""`make run`'s server: gunicorn, a Celery worker and beat on the embedded default, stopped by one Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.support.stack import free_port, seeded_embedded_env, start_runstack, wait_for

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
    port = free_port()
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
        assert (health.status_code, health.json()) == (200, {"status": "ok"})
        # Ready once the worker answers a ping on the filesystem broker and beat has ticked (a
        # Response is truthy when its status is below 400).
        ready = wait_for(lambda: requests.get(f"{base}/readyz", timeout=10), timeout=60, interval=0.5, what="readiness")
        assert ready.json() == {k: "ok" for k in ("status", "database", "broker", "storage", "workers", "beat")}
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


def _children_named(parent: int, word: bytes) -> list[int]:
    """Pids of `parent`'s children whose command line holds `word`."""
    found = []
    for pid in Path(f"/proc/{parent}/task/{parent}/children").read_text().split():
        try:
            if word in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                found.append(int(pid))
        except OSError:
            continue
    return found


def test_runstack_restarts_a_worker_that_dies_while_gunicorn_keeps_serving(tmp_path):
    var = tmp_path / "var"
    env = seeded_embedded_env(var, token=TOKEN)
    demo = json.loads(
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--json"], cwd=ROOT, env=env, check=True, capture_output=True
        ).stdout
    )
    port = free_port()
    log = tmp_path / "stack.log"
    stack = start_runstack(env=env, log=log, port=port)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while log.read_bytes().count(b" ready.") < 1 or b"Listening at" not in log.read_bytes():
            assert stack.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        (first_worker,) = _children_named(stack.pid, b"worker")
        os.kill(first_worker, signal.SIGKILL)
        # Gunicorn serves on while the worker is down, and the upload it accepts waits for the worker.
        assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        source = demo["data_sources"]["Measurements export"]
        content = b"feature,parameter,timestamp,value\nA,waterlevel,2021-01-01T00:00:00Z,1.5\n"
        posted = requests.post(
            f"{base}/api/v1/uploads/?token={TOKEN}",
            data={"datasource": source},
            files={"upload_file": ("m.csv", content)},
            timeout=30,
        )
        assert posted.status_code == 201, posted.text
        while True:
            detail = requests.get(f"{base}/api/v1/uploads/{posted.json()['id']}/?token={TOKEN}", timeout=10).json()
            if detail["sync_status"] != "harvesting":
                break
            assert time.monotonic() < deadline + 60, log.read_text()
            time.sleep(0.5)
        assert detail["sync_status"] == "successful", detail
        assert detail["report"]["rows_inserted"] == 1
        (second_worker,) = _children_named(stack.pid, b"worker")
        assert second_worker != first_worker
        assert len(_children_named(stack.pid, b"beat")) == 1 and stack.poll() is None
    finally:
        stack.send_signal(signal.SIGINT)
        code = stack.wait(timeout=40)
    text = log.read_text()
    assert code == 0, text
    assert "runstack: worker exited with -9; starting it again in 1 s" in text
    assert "stopping the rest" not in text
    deadline = time.monotonic() + 30  # the children finish shutting down after runstack; slower when loaded
    while _processes_with(str(var)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_with(str(var)) == []
