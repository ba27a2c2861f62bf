"""Retries and waiting on `make run`'s stack (runstack: SQLite, filesystem broker): the README's curl commands."""

import json
import signal
import subprocess
import time
import uuid

import pytest
import requests

from tests.support.stack import curl, free_port, seeded_embedded_env, start_runstack, wait_for

TOKEN = "5f1a2b3c-0d4e-4f5a-8b6c-7d8e9f0a1b2c"


@pytest.mark.embedded
def test_a_keyed_upload_and_a_wait_on_the_embedded_stack(tmp_path):
    env = seeded_embedded_env(tmp_path / "var", token=TOKEN)
    port = free_port()
    log = tmp_path / "stack.log"
    stack = start_runstack(env=env, log=log, port=port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base), timeout=90, interval=0.5, what="the stack to be ready")
        dataset = tmp_path / "dataset.csv"
        dataset.write_bytes(b"id,name,wkt\n1,Pump A,POINT (4.9 52.4)\n")
        key = str(uuid.uuid4())
        post = ("-H", f'Idempotency-Key: "{key}"', "-F", "datasource=1", "-F", f"upload_file=@{dataset}")
        code, body = curl(*post, f"{base}/api/v1/uploads/?token={TOKEN}")
        assert code == 201, body
        created = json.loads(body)
        code, again = curl("-i", *post, f"{base}/api/v1/uploads/?token={TOKEN}")
        head, _, replay = again.partition(b"\r\n\r\n")
        assert code == 201
        assert b"\r\nidempotent-replayed: true" in head.lower()
        assert json.loads(replay) == created
        started = time.monotonic()
        code, body = curl(f"{base}/api/v1/uploads/{created['id']}/?token={TOKEN}&wait=30")
        assert code == 200
        detail = json.loads(body)
        assert (detail["id"], detail["sync_status"], detail["report"]["errors"]) == (created["id"], "successful", [])
        assert time.monotonic() - started < 30
        listed = requests.get(f"{base}/api/v1/uploads/?token={TOKEN}", timeout=10).json()
        assert [u["id"] for u in listed] == [created["id"]]  # one upload, not two
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=40)
        except subprocess.TimeoutExpired:
            stack.kill()
            stack.wait(timeout=10)


def _ready(base):
    try:
        return requests.get(f"{base}/readyz", timeout=10).status_code == 200
    except (requests.ConnectionError, requests.Timeout):
        return False
