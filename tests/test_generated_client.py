"""A typed client generated from the served OpenAPI document (openapi-python-client, as the README shows)
uploads the seed's file to the live server from a process of its own, and reads its status back."""

import json
import os
import subprocess
import sys
import textwrap

import requests

from tests.support.accounts import DEMO_TOKEN

# The generated client's own program: it is what a supplier would write against the package.
UPLOAD = textwrap.dedent(
    """
    import io, json, sys
    from nexus_client import AuthenticatedClient
    from nexus_client.api.nexus_uploads import uploads_create, uploads_retrieve
    from nexus_client.models import UploadFormRequest
    from nexus_client.types import File

    base, token, datasource = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = AuthenticatedClient(base_url=base, token=token, prefix="Token")
    body = UploadFormRequest(
        datasource=datasource,
        upload_file=File(payload=io.BytesIO(b"timestamp,value\\n2026-12-01T00:00:00Z,1.5\\n"), file_name="client.csv"),
    )
    created = uploads_create.sync_detailed(client=client, body=body)
    upload = created.parsed
    again = uploads_retrieve.sync_detailed(client=client, id=upload.id)
    print(json.dumps({
        "status": created.status_code,
        "id": upload.id,
        "datasource": upload.datasource,
        "filename": upload.filename,
        "detail_status": again.status_code,
        "detail_id": again.parsed.id,
    }))
    """
)


def test_a_generated_client_uploads_with_the_token(served, tmp_path):
    base, ids = served
    document = requests.get(f"{base}/api/schema/?format=json", timeout=30)
    assert document.status_code == 200
    (tmp_path / "schema.json").write_bytes(document.content)
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}  # its formatting step runs ruff
    generated = subprocess.run(
        [
            os.path.join(bin_dir, "openapi-python-client"),
            "generate",
            "--path",
            str(tmp_path / "schema.json"),
            "--meta",
            "none",
            "--output-path",
            str(tmp_path / "nexus_client"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    # The document it read has no construct the generator had to leave out.
    assert "Warning" not in generated.stdout, generated.stdout

    datasource = ids["data_sources"]["Dataset export"]
    run = subprocess.run(
        [sys.executable, "-c", UPLOAD, base, DEMO_TOKEN, str(datasource)],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["status"] == 201
    assert (answer["datasource"], answer["filename"]) == (datasource, "client.csv")
    assert (answer["detail_status"], answer["detail_id"]) == (200, answer["id"])
    # The server kept it: read back without the generated client.
    detail = requests.get(f"{base}/api/v1/uploads/{answer['id']}/", params={"token": DEMO_TOKEN}, timeout=30)
    assert detail.status_code == 200
    assert detail.json()["datasource"] == datasource
