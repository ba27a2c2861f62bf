"""No credential reaches any log of the whole stack (gunicorn, a Celery worker, beat) at DEBUG: a run
sends tokens in every placement and encoding, then every log it wrote is grepped."""

import base64
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid

import requests

from tests.support.secrets import assert_no_leak, every_char, name_spellings, value_spellings
from tests.support.stack import ROOT, curl, free_port, seeded_embedded_env


def _wait_healthy(base, stack, log, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        assert stack.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.3)


def _raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except TimeoutError:
            pass
    return b"".join(chunks)


def test_the_stack_writes_no_credential_to_any_log(tmp_path):
    var = tmp_path / "var"
    env = seeded_embedded_env(var, token=str(uuid.uuid4()))
    # Everything a log could say: DEBUG from every logger (gunicorn's, Django's SQL log included).
    env.update(LOG_LEVEL="DEBUG", DEBUG="true", WEB_CONCURRENCY="1")
    manage = [sys.executable, "manage.py"]
    made = subprocess.run([*manage, "create_token", "--user", "supplier", "--name", "logs"], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)  # fmt: skip
    token = made.stdout.strip()
    assert len(token) == 36
    seeded = subprocess.run([*manage, "seed_demo", "--json"], cwd=ROOT, env=env, check=True, capture_output=True)
    demo = json.loads(seeded.stdout)
    bad = str(uuid.uuid4())  # a token this server does not know: a typo of a real one, say
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "stack.log"
    with open(log, "wb") as out:
        stack = subprocess.Popen(
            [*manage, "runstack", "--port", str(port)], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_healthy(base, stack, log)
        statuses = {}

        def get(target, headers=None):
            """The target sent as written (requests would decode `%74oken` to `token` first)."""
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("GET", target, headers=headers or {})
                response = connection.getresponse()
                body = response.read()
            finally:
                connection.close()
            statuses[target + repr(headers or "")] = response.status
            return json.loads(body) if response.getheader("Content-Type", "").startswith("application/json") else body

        for secret in (token, bad):
            for name in ("token", "api-token", "key"):
                for spelled in name_spellings(name):
                    for value in value_spellings(secret)[:3]:
                        get(f"/api/v1/uploads/?{spelled}={value}")
                get(f"/api/v1/uploads/?page=1&{name}={secret}&{name}={secret}")
                get(f"/api/v1/uploads/?x=1;{name}={secret}")
                get(f"/api/v1/uploads/?{name}={secret};x=1")
            for scheme in ("Token", "Bearer", "api-token", "Basic"):
                value = base64.b64encode(f"user:{secret}".encode()).decode() if scheme == "Basic" else secret
                get("/api/v1/uploads/", headers={"Authorization": f"{scheme} {value}"})
            get("/api/v1/uploads/", headers={"Authorization": secret})
            get("/v1/files/myorg/myproj", headers={"Authorization": f"Bearer {secret}"})
            get("/api/v1/dataset/ncl.630.0/files.json", headers={"authorization": f"api-token {secret}"})
            get("/api/datasets/:persistentId/?persistentId=doi:10.5072/FK27U7YBV", headers={"X-Dataverse-key": secret})
            get("/api/datasets/999999/", headers={"X-Dataverse-key": secret})  # a Dataverse 404
            get(f"/api/no/such/path/?token={secret}")  # Django's 404
            get(f"/admin/?token={secret}", headers={"Cookie": f"sessionid={secret}; csrftoken={secret}"})
            get("/healthz", headers={"Referer": f"{base}/api/v1/uploads/?%74oken={secret}"})
            # A request line gunicorn refuses, with the token in it.
            for line in (f"GET /api/v1/uploads/?token={secret} HTTP/1.1 junk", f"GET /x?k%65y={secret}\x01 HTTP/1.1"):
                _raw_request(port, f"{line}\r\nHost: x\r\n\r\n".encode())
            bad_header = f"GET /api/v1/uploads/?token={secret} HTTP/1.1\r\nAuthorization\x01: {secret}\r\n\r\n"
            _raw_request(port, bad_header.encode())
        assert statuses["/api/v1/uploads/?%74oken=" + token + "''"] == 200
        assert statuses["/api/v1/uploads/?%74oken=" + bad + "''"] == 401
        assert statuses["/api/v1/uploads/?tok%65n=" + token + "''"] == 200
        assert statuses["/api/v1/uploads/?api%2Dtoken=" + token + "''"] == 200
        assert statuses["/api/v1/uploads/?k%65y=" + token + "''"] == 200

        # An upload the worker ingests, authenticated by an encoded name.
        datasource = demo["data_sources"]["Dataset export"]
        csv = b"id,name,wkt\n1,Pump A,POINT (4.9 52.4)\n"
        dataset = tmp_path / "dataset.csv"
        dataset.write_bytes(csv)
        # curl sends the target as written (requests would decode `%74oken` to `token` first).
        code, body = curl(
            "-F", f"datasource={datasource}", "-F", f"upload_file=@{dataset}",
            f"{base}/api/v1/uploads/?%74oken={every_char(token)}",
        )  # fmt: skip
        assert code == 201, body
        upload_url = f"{base}/api/v1/uploads/{json.loads(body)['id']}/"
        deadline = time.monotonic() + 180  # a loaded machine (CI beside other work) is slow to ingest
        while (status := get(upload_url[len(base) :], headers={"X-Dataverse-key": token})["sync_status"]) in (
            "harvesting",
        ):
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.5)
        assert status == "successful"

        # A failing request (the storage gone: its directory is a file now), with the token in it.
        media = var / "media"
        shutil.move(media, var / "media.away")
        media.write_bytes(b"")
        try:
            code, _ = curl(
                "-F", f"datasource={datasource}", "-F", f"upload_file=@{dataset}",
                "-H", f"Referer: {base}/?token={token}", f"{base}/api/v1/uploads/?tok%65n={token}",
            )  # fmt: skip
        finally:
            media.unlink()
            shutil.move(var / "media.away", media)
        assert code >= 500
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=60)
    written = {"stack stdout/stderr": log.read_text(errors="replace")}
    for path in var.rglob("*"):
        if path.is_file() and not path.name.startswith("db.sqlite3") and "media" not in path.parts:
            written[str(path.relative_to(var))] = path.read_text(errors="replace")
    text = written["stack stdout/stderr"]
    # The stack did log what it was asked, so the grep below has something to miss.
    assert "GET /api/v1/uploads/?%74oken=[redacted]" in text
    assert "tok%65n=[redacted]" in text and "api%2Dtoken=[redacted]" in text and "k%65y=[redacted]" in text
    assert "Task uploads." in text or "succeeded in" in text
    for where, content in written.items():
        assert_no_leak(content, token, where)
        assert_no_leak(content, bad, where)
    assert os.path.exists(var / "media")
