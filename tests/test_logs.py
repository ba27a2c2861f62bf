"""Structured logs with real processes: under LOG_FORMAT=json every line of gunicorn and of a Celery
worker is a JSON object, an upload's request line and its ingest's lines share the request id
(X-Request-ID, taken when valid, else generated, and returned), hostile ids are replaced, credentials
stay redacted; LOG_FORMAT=bogus stops the server at start."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import uuid

import requests

from tests.support.stack import ROOT, free_port, seeded_embedded_env, start_gunicorn, wait_for

HEX_ID = re.compile(r"[0-9a-f]{32}")
CSV = b"id,name,wkt\n1,Pump A,POINT (4.9 52.4)\n"


def _start_worker(env, log) -> subprocess.Popen:
    """A real Celery worker on the same embedded database and broker as the server (`env`)."""
    command = [sys.executable, "-m", "celery", "-A", "nexus_server", "worker", "-l", "INFO", "--concurrency", "1",
               "--without-mingle", "--without-gossip", "-n", f"logs-{uuid.uuid4().hex[:8]}@%h"]  # fmt: skip
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    wait_for(lambda: b" ready." in log.read_bytes() or worker.poll() is not None, timeout=60, what="the worker")
    assert worker.poll() is None, log.read_text()
    return worker


def _json_lines(log) -> list[dict]:
    """Every line of the log, each parsed as one JSON object (a line that is not one fails)."""
    lines = log.read_text().splitlines()
    assert lines, "nothing was logged"
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(parsed[-1], dict), line
    return parsed


def _raw_get(port: int, path: str, header: bytes) -> bytes:
    """A GET with one raw header line, as no HTTP library would send it; the answer's head."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + header + b"\r\n\r\n"
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer.partition(b"\r\n\r\n")[0]


def test_an_uploads_request_and_its_ingest_are_joined_by_the_request_id_in_json_lines(tmp_path):
    token = str(uuid.uuid4())
    env = seeded_embedded_env(tmp_path / "var", token=token)
    seeded = subprocess.run([sys.executable, "manage.py", "seed_demo", "--json"], cwd=ROOT, env=env,
                            check=True, capture_output=True)  # fmt: skip
    datasource = json.loads(seeded.stdout)["data_sources"]["Dataset export"]
    env.update(LOG_FORMAT="json", WEB_CONCURRENCY="1", PORT=str(free_port()))
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    worker = _start_worker(env, worker_log)
    web = None
    try:
        web, base = start_gunicorn(env=env, log=web_log)
        upload = {"upload_file": ("dataset.csv", CSV, "text/csv")}
        # (1) The caller's id: echoed, and on the request's line and its ingest's lines.
        answer = requests.post(f"{base}/api/v1/uploads/?token={token}", data={"datasource": datasource},
                               files=upload, headers={"X-Request-ID": "abc-123"}, timeout=30)  # fmt: skip
        assert (answer.status_code, answer.headers["X-Request-ID"]) == (201, "abc-123"), answer.text
        upload_id = answer.json()["id"]
        # (2) No id sent: a new one, returned and logged.
        listed = requests.get(f"{base}/api/v1/uploads/?token={token}", timeout=30)
        generated = listed.headers["X-Request-ID"]
        assert listed.status_code == 200 and HEX_ID.fullmatch(generated), generated
        # (3) Hostile ids: replaced by a new one, never reflected (raw bytes no client library sends).
        hostile = {
            "non-ascii": b"X-Request-ID: hostile-\xc3\xa9t\xc3\xa9",
            "too long": b"X-Request-ID: hostile" + b"h" * 122,  # 129 characters
            "a forged field": b'X-Request-ID: hostile", "level": "CRITICAL',
            "a newline (obs-fold)": b"X-Request-ID: hostile\r\n forged-line",
            "10 kB": b"X-Request-ID: hostile" + b"h" * 10240,
        }
        answers = {}
        for what, header in hostile.items():
            head = _raw_get(int(env["PORT"]), "/healthz", header)
            answers[what] = (int(head.split()[1]), re.findall(rb"\r\nX-Request-ID: ([^\r\n]*)", head))
        # gunicorn refuses the folded line and the 10 kB field itself (no Django, so no id, and
        # nothing echoed); the others reach Django, which replaces them.
        assert {what: (status, len(ids)) for what, (status, ids) in answers.items()} == {
            "non-ascii": (200, 1), "too long": (200, 1), "a forged field": (200, 1), "a newline (obs-fold)": (400, 0),
            "10 kB": (431, 0),
        }  # fmt: skip
        replaced = {what: ids[0].decode() for what, (_, ids) in answers.items() if ids}
        assert all(HEX_ID.fullmatch(one) for one in replaced.values()), answers
        # The ingest runs in the worker; its "succeeded" line is the last of the task's.
        succeeded = re.compile(rb"Task uploads\.ingest\[[^]]+\] succeeded in")
        wait_for(lambda: succeeded.search(worker_log.read_bytes()), timeout=120, what="the ingest")
        detail = requests.get(f"{base}/api/v1/uploads/{upload_id}/?token={token}", timeout=30).json()
        assert detail["sync_status"] == "successful", detail
    finally:
        for process in (web, worker):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM) if process is web else os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=60)

    web_lines = _json_lines(web_log)
    requests_logged = [line for line in web_lines if line["logger"] == "nexus.request"]
    uploads_logged = [line for line in requests_logged if line["path"].startswith("/api/v1/uploads/")]
    fields = ("level", "method", "path", "status", "user", "request_id")
    assert [{k: line[k] for k in fields} for line in uploads_logged[:2]] == [
        {"level": "INFO", "method": "POST", "path": "/api/v1/uploads/?token=[redacted]", "status": 201,
         "user": "supplier", "request_id": "abc-123"},
        {"level": "INFO", "method": "GET", "path": "/api/v1/uploads/?token=[redacted]", "status": 200,
         "user": "supplier", "request_id": generated},
    ]  # fmt: skip
    assert all(isinstance(line["duration_ms"], float) for line in requests_logged)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", uploads_logged[0]["time"])
    assert uploads_logged[0]["message"].startswith("POST /api/v1/uploads/?token=[redacted] 201 ")
    # Each hostile request is logged under the id that replaced it, and its header is nowhere.
    health = [line["request_id"] for line in requests_logged if line["path"] == "/healthz"]
    assert health[-3:] == list(replaced.values())
    # gunicorn's own lines are JSON too: its start, and the access line with the answer's id.
    assert any(
        line["logger"] == "gunicorn.error" and line["message"].startswith("Starting gunicorn") for line in web_lines
    )
    access = [
        line for line in web_lines if line["logger"] == "gunicorn.access" and "/api/v1/uploads/" in line["message"]
    ]
    assert [line["request_id"] for line in access[:2]] == ["abc-123", generated]
    assert '"POST /api/v1/uploads/?token=[redacted] HTTP/1.1" 201' in access[0]["message"]

    worker_lines = _json_lines(worker_log)
    ingest = [line for line in worker_lines if line.get("task_name") == "uploads.ingest"]
    assert ingest, worker_lines
    task_id = ingest[0]["task_id"]
    assert {(line["request_id"], line["task_id"]) for line in ingest} == {("abc-123", task_id)}
    assert ingest[-1]["message"].startswith(f"Task uploads.ingest[{task_id}] succeeded in ")
    assert ingest[-1]["logger"] == "celery.app.trace"
    # Celery's "received" line (the worker's main process) names the task by its id.
    received = [line for line in worker_lines if line["message"].startswith("Task uploads.ingest[")]
    assert received[0]["message"] == f"Task uploads.ingest[{task_id}] received"

    written = web_log.read_text() + worker_log.read_text()
    assert token not in written
    assert "hostile" not in written and "forged" not in written


def test_log_format_bogus_stops_the_server_at_start(tmp_path):
    env = seeded_embedded_env(tmp_path / "var", token=str(uuid.uuid4()))
    env.update(LOG_FORMAT="bogus", PORT=str(free_port()))
    check = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert check.returncode == 1
    assert check.stderr.splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: LOG_FORMAT must be one of plain, json, not 'bogus'"
    )
    command = [sys.executable, "-m", "gunicorn", "-c", "nexus_server/gunicorn_conf.py", "nexus_server.wsgi"]
    gunicorn = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert gunicorn.returncode == 1
    assert gunicorn.stderr.splitlines()[-1] == "ValueError: LOG_FORMAT must be one of plain, json, not 'bogus'"
