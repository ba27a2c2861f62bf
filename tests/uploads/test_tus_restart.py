"""The offset of a resumable upload survives the server: gunicorn is killed (SIGKILL, workers and all)
while tuspy uploads, a new server starts on the same data, and the client resumes from the offset
the dead server had recorded."""

import hashlib
import json
import signal
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import requests

from tests.support.accounts import DEMO_TOKEN
from tests.support.data import pattern
from tests.support.stack import free_port, seeded_embedded_env, start_gunicorn, wait_for

ROOT = Path(__file__).resolve().parents[2]
CLIENTS_PYTHON = ROOT / ".venv-clients" / "bin" / "python"
MIB = 1024 * 1024
SIZE = 64 * MIB
V = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {DEMO_TOKEN}"}


def _kill_server(server: subprocess.Popen) -> None:
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    for pid in children:
        subprocess.run(["kill", "-9", pid], check=False)
    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)


def _stored_url(store: Path) -> str | None:
    if not store.exists() or not store.read_text().strip():
        return None
    rows = json.loads(store.read_text()).get("_default", {})
    return next((row["url"] for row in rows.values()), None)


def _offset(url: str) -> int:
    return int(requests.head(url, headers=V, timeout=10).headers["Upload-Offset"])


def test_the_offset_survives_a_killed_server(tmp_path):
    env = seeded_embedded_env(tmp_path / "var", token=DEMO_TOKEN)
    with closing(sqlite3.connect(tmp_path / "var" / "db.sqlite3")) as db:  # the server's own database
        (source,) = db.execute("SELECT id FROM synctasks_datasource WHERE name = 'Measurements export'").fetchone()
    env.update(PORT=str(free_port()), WEB_CONCURRENCY="2")
    path = tmp_path / "readings.csv"
    path.write_bytes(pattern(SIZE, seed=21))
    store = tmp_path / "tus-urls.json"
    server, base = start_gunicorn(env=env, log=tmp_path / "gunicorn-1.log")
    args = {
        "url": f"{base}/api/v1/uploads/tus/",
        "token": DEMO_TOKEN,
        "path": str(path),
        "chunk_size": 2 * MIB,
        "metadata": {"filename": path.name, "datasource": str(source)},
        "store": str(store),
    }
    command = [str(CLIENTS_PYTHON), str(Path(__file__).with_name("tus_client.py")), json.dumps(args)]
    client = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = wait_for(lambda: _stored_url(store), timeout=30, interval=0.01, what="the upload URL")
        wait_for(lambda: _offset(url) >= SIZE // 2, timeout=60, interval=0.01, what="half the bytes")
        _kill_server(server)
        assert client.wait(timeout=30) != 0  # the client saw its server go
    finally:
        if server.poll() is None:
            _kill_server(server)
        client.kill()
    server, base = start_gunicorn(env=env, log=tmp_path / "gunicorn-2.log")
    try:
        recorded = _offset(url)
        assert SIZE // 4 <= recorded < SIZE - 2 * MIB
        result = subprocess.run(command, capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-3000:]
        lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert lines[0] == {"url": url, "offset": recorded}
        head = requests.head(url, headers=V, timeout=10)
        assert head.headers["Upload-Offset"] == str(SIZE)
        upload_id = head.headers["Nexus-Upload-Id"]
        detail = requests.get(f"{base}/api/v1/uploads/{upload_id}/?token={DEMO_TOKEN}", timeout=10).json()
        assert detail["filename"] == "readings.csv"
        digest = hashlib.sha256()
        with requests.get(detail["upload_file"], stream=True, timeout=30) as download:
            for chunk in download.iter_content(MIB):
                digest.update(chunk)
        assert digest.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
