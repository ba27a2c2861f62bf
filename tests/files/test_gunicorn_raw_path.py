"""Under gunicorn (what `make run` serves with) the id is read from the raw URI: a full IRI sent as one
%2F-encoded segment stays one id, even when it ends in '/tags'."""

import signal
from urllib.parse import quote

import requests

from tests.support.stack import free_port, seeded_embedded_env, start_gunicorn

TOKEN = "5e1c0d3a-7b9f-4c2e-8d6a-0f1e2d3c4b5a"
NXV = "https://bluebrain.github.io/nexus/vocabulary/"
SEGMENT_SAFE = "!$&'()*+,;=:@"


def test_encoded_ids_round_trip_under_gunicorn(tmp_path):
    env = seeded_embedded_env(tmp_path / "var", token=TOKEN)
    port = free_port()
    env.update(PORT=str(port), WEB_CONCURRENCY="1")
    log = tmp_path / "gunicorn.log"
    server, base = start_gunicorn(env=env, log=log)
    try:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        files_url = f"{base}/v1/files/myorg/myproj"
        for iri in ("http://example.org/a/b", NXV + "dir/tags", "urn:x:a+b"):
            url = f"{files_url}/{quote(iri, safe='')}"
            created = requests.put(url, files={"file": ("f.txt", b"one")}, headers=headers, timeout=10)
            assert (created.status_code, created.json()["@id"]) == (201, iri), created.text
            self_url = created.json()["_self"]
            assert self_url == f"{files_url}/{quote(iri, safe=SEGMENT_SAFE)}"
            updated = requests.put(f"{self_url}?rev=1", files={"file": ("g.txt", b"two")}, headers=headers, timeout=10)
            assert (updated.status_code, updated.json()["_rev"]) == (200, 2)
            tagged = requests.post(f"{self_url}/tags?rev=2", json={"tag": "t", "rev": 1}, headers=headers, timeout=10)
            assert tagged.status_code == 201
            assert requests.get(f"{self_url}/tags", headers=headers, timeout=10).json()["tags"] == [
                {"rev": 1, "tag": "t"}
            ]
            first = requests.get(f"{url}?tag=t", headers={**headers, "Accept": "*/*"}, timeout=10)
            assert (first.status_code, first.content) == (200, b"one")
        listed = requests.get(files_url, headers=headers, timeout=10).json()
        assert sorted(r["@id"] for r in listed["_results"]) == sorted(
            ["http://example.org/a/b", NXV + "dir/tags", "urn:x:a+b"]
        )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
