"""The uploads seed's two curl commands, as written, against the live server and seed_demo's data."""

import json
import time

import pytest
from django.core.management import call_command

from tests.support.stack import curl
from tests.support.uploads import SEED_KEYS

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"


def test_the_seeds_curl_commands(live_server, settings, tmp_path, capsys):
    settings.NEXUS_DEMO_TOKEN = TOKEN
    settings.NEXUS_LINK_TTL_SECONDS = 3
    call_command("seed_demo", "--json")
    demo = json.loads(capsys.readouterr().out)
    datasource = demo["data_sources"]["Dataset export"]
    dataset = tmp_path / "dataset.csv"
    dataset.write_bytes(b"id,name,wkt\n1,Pump A,POINT (4.9 52.4)\n")

    code, body = curl(
        "-F",
        f"datasource={datasource}",
        "-F",
        f"upload_file=@{dataset}",
        f"{live_server.url}/api/v1/uploads/?token={TOKEN}",
    )
    assert code == 201
    created = json.loads(body)
    assert list(created) == SEED_KEYS
    types = {key: type(value) for key, value in created.items()}
    assert types == {
        "id": int,
        "filename": str,
        "uploader_name": str,
        "upload_file": str,
        "upload_date": str,
        "uploader": int,
        "datasource": int,
        "datasource_name": str,
        "datasource_owner": str,
        "sync_last_finished": type(None),
        "sync_status": str,
    }
    assert (
        created["filename"],
        created["uploader_name"],
        created["datasource_name"],
        created["datasource_owner"],
        created["sync_status"],
    ) == ("dataset.csv", "Data supplier X", "Dataset export", "Organization Y", "harvesting")

    code, body = curl(f"{live_server.url}/api/v1/uploads/?token={TOKEN}")
    assert code == 200
    listed = json.loads(body)
    assert [list(entry) for entry in listed] == [SEED_KEYS]
    assert listed[0]["id"] == created["id"]

    code, content = curl(listed[0]["upload_file"])
    assert (code, content) == (200, dataset.read_bytes())
    time.sleep(3.5)
    code, content = curl(listed[0]["upload_file"])
    assert (code, content) == (403, b"The link has expired.")
