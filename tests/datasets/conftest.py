"""Fixtures and helpers of the Dataverse tests: the seed's dataset and token, its draft's files,
curl and test-client calls, payloads, zips, a dataset's native JSON, and the real clients run as
separate processes."""

import hashlib
import io
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blobs.models import Blob
from datasets.models import Dataset, DatasetFile, DatasetVersion
from tests.support.accounts import DEMO_TOKEN
from tests.support.stack import curl

TOKEN = DEMO_TOKEN
PID = "doi:10.5072/FK27U7YBV"
MIB = 1024 * 1024
CLIENTS_PYTHON = Path(__file__).resolve().parents[2] / ".venv-clients" / "bin" / "python"


@pytest.fixture
def small_parts(settings):
    settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = 5 * MIB


def key_header():
    return ["-H", f"X-Dataverse-key:{TOKEN}"]


def draft_files():
    return list(DatasetFile.objects.filter(version__dataset__persistent_id=PID).order_by("directory_label", "name"))


def payload(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096  # 128 KiB, not repeating at part boundaries
    return (block * (size // len(block) + 1))[:size]


def run_client(args: dict) -> dict:
    assert CLIENTS_PYTHON.exists(), "make test installs the Dataverse clients into .venv-clients"
    result = subprocess.run(
        [str(CLIENTS_PYTHON), str(Path(__file__).with_name("dataverse_client.py")), json.dumps(args)],
        capture_output=True,
        timeout=300,
        env={**os.environ, "LOCK_WAIT_TIME": "0"},
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def post_json_data(base, endpoint, json_data):
    """`curl -X POST ... -F "jsonData=$JSON_DATA"`, as the seed registers uploads."""
    url = f"{base}/api/datasets/:persistentId/{endpoint}?persistentId={PID}"
    code, body = curl("-X", "POST", *key_header(), url, "-F", f"jsonData={json_data}")
    return code, json.loads(body)


def listed_files(base) -> list[tuple]:
    """(directoryLabel, filename, filesize, MD5) of the files the dataset lists, as clients read them."""
    code, body = get_json(base, f"/api/datasets/:persistentId/?persistentId={PID}")
    assert code == 200, body
    files = [f["dataFile"] for f in body["data"]["latestVersion"]["files"]]
    return sorted((f.get("directoryLabel", ""), f["filename"], f["filesize"], f["md5"]) for f in files)


def get_json(base, path):
    code, body = curl(*key_header(), f"{base}{path}")
    return code, json.loads(body)


def ticket_and_put(client, data: bytes) -> str:
    answer = client.get(
        f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}", HTTP_X_DATAVERSE_KEY=TOKEN
    ).json()["data"]
    url = answer["url"].split("testserver", 1)[-1]
    assert client.put(url, data=data, content_type="", HTTP_X_AMZ_TAGGING="dv-state=temp").status_code == 200
    return answer["storageIdentifier"]


def add_files(client, json_data) -> tuple[int, dict]:
    response = client.post(
        f"/api/datasets/:persistentId/addFiles?persistentId={PID}",
        {"jsonData": json.dumps(json_data)},
        HTTP_X_DATAVERSE_KEY=TOKEN,
    )
    return response.status_code, response.json()


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def native(title="Rain 2024", **extra_fields) -> dict:
    """A native JSON with Dataverse's required citation fields (as in the guides' dataset-finch1.json)."""
    fields = [
        {"typeName": "title", "multiple": False, "typeClass": "primitive", "value": title},
        {
            "typeName": "author",
            "multiple": True,
            "typeClass": "compound",
            "value": [
                {
                    "authorName": {
                        "typeName": "authorName",
                        "multiple": False,
                        "typeClass": "primitive",
                        "value": "Finch, Fiona",
                    }
                }
            ],
        },
        {
            "typeName": "datasetContact",
            "multiple": True,
            "typeClass": "compound",
            "value": [
                {
                    "datasetContactEmail": {
                        "typeName": "datasetContactEmail",
                        "multiple": False,
                        "typeClass": "primitive",
                        "value": "finch@mailinator.com",
                    }
                }
            ],
        },
        {
            "typeName": "dsDescription",
            "multiple": True,
            "typeClass": "compound",
            "value": [
                {
                    "dsDescriptionValue": {
                        "typeName": "dsDescriptionValue",
                        "multiple": False,
                        "typeClass": "primitive",
                        "value": "Daily rain.",
                    }
                }
            ],
        },
        {
            "typeName": "subject",
            "multiple": True,
            "typeClass": "controlledVocabulary",
            "value": ["Earth and Environmental Sciences"],
        },
    ]
    fields += [
        {"typeName": k, "multiple": False, "typeClass": "primitive", "value": v} for k, v in extra_fields.items()
    ]
    return {"datasetVersion": {"metadataBlocks": {"citation": {"displayName": "Citation Metadata", "fields": fields}}}}


KEY = {"HTTP_X_DATAVERSE_KEY": TOKEN}


def create(client, body, alias="root", **headers):
    return client.post(f"/api/dataverses/{alias}/datasets", json.dumps(body), "application/json", **headers)


def created_pid(client) -> str:
    response = create(client, native(), **KEY)
    assert response.status_code == 201, response.content
    return response.json()["data"]["persistentId"]


def ds(pid: str, tail: str = "", query: str = "") -> str:
    return f"/api/datasets/:persistentId/{tail}?persistentId={pid}{query}"


def add(client, pid: str, name: str, content: bytes, json_data=None) -> dict:
    body = {"file": SimpleUploadedFile(name, content, "text/plain"), "jsonData": json.dumps(json_data or {})}
    response = client.post(ds(pid, "add"), body, **KEY)
    assert response.status_code == 200, response.content
    return response.json()["data"]["files"][0]["dataFile"]


def counts():
    return (Dataset.objects.count(), DatasetVersion.objects.count(), DatasetFile.objects.count(), Blob.objects.count())
