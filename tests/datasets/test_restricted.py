"""A file registered with `"restrict": true` is listed and served to the dataset's writers only: the
anonymous user and a supplier without write rights see neither its name nor its bytes, in any
listing or download of the gateway and Dataverse dialects, once its version is published too."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from accounts.services import membership_ensure, organization_get_or_create, token_create
from datasets.models import DatasetFile, FileChange
from tests.support.accounts import DEMO_TOKEN

PID = "doi:10.5072/FK27U7YBV"
SHORT = "FK27U7YBV"  # the same dataset, as the gateway names it
SECRET_BYTES = b"salaries per person\n"
OPEN_BYTES = b"public summary\n"

pytestmark = pytest.mark.django_db


def _add(client, name: str, content: bytes, json_data: dict):
    response = client.post(
        f"/api/datasets/:persistentId/add?persistentId={PID}",
        {"file": SimpleUploadedFile(name, content, "text/plain"), "jsonData": json.dumps(json_data)},
        HTTP_X_DATAVERSE_KEY=DEMO_TOKEN,
    )
    assert response.status_code == 200, response.json()
    return response.json()["data"]["files"][0]


@pytest.fixture
def published(client, demo):
    """The Dataverse dataset with a restricted and an open file, its version 1.0 then published."""
    restricted = _add(client, "secret.txt", SECRET_BYTES, {"restrict": True, "description": "only us"})
    assert restricted["restricted"] is True
    opened = _add(client, "open.txt", OPEN_BYTES, {"restrict": False})
    response = client.post(
        f"/api/v1/dataset/{SHORT}/version/1.0/publish.json", HTTP_AUTHORIZATION=f"api-token {DEMO_TOKEN}"
    )
    assert (response.status_code, response.json()["state"]) == (200, "published")
    return {"restricted": restricted["dataFile"]["id"], "open": opened["dataFile"]["id"]}


@pytest.fixture
def outsider(django_user_model):
    """A supplier with a token and upload rights elsewhere, none on this dataset."""
    user = django_user_model.objects.create(username="outsider", name="Other supplier")
    membership_ensure(user=user, organization=organization_get_or_create(name="Organization W"), role=Role.UPLOADER)
    return token_create(user=user, name="other").raw


def _callers(outsider):
    return {
        "anonymous": {},
        "outsider (gateway header)": {"HTTP_AUTHORIZATION": f"api-token {outsider}"},
        "outsider (Dataverse key)": {"HTTP_X_DATAVERSE_KEY": outsider},
    }


def _download(client, url, **auth) -> tuple[int, bytes]:
    response = client.get(url, **auth)
    if response.status_code != 302:
        return response.status_code, response.content
    served = client.get(response["Location"])
    return served.status_code, b"".join(served.streaming_content)


def test_only_writers_list_and_download_a_restricted_file(client, published, outsider):
    listings = [f"/api/v1/dataset/{SHORT}/files.json", f"/api/v1/dataset/{SHORT}/version/1.0/files.json"]
    downloads = [f"/api/v1/dataset/{SHORT}/file/secret.txt", f"/api/v1/dataset/{SHORT}/version/1.0/file/secret.txt"]
    for who, auth in _callers(outsider).items():
        for url in listings:
            response = client.get(url, **auth)
            assert response.status_code == 200, (who, url)
            assert [f["name"] for f in response.json()["files"]] == ["open.txt"], (who, url)
        for url in downloads:
            response = client.get(url, **auth)
            # The answer for a name the version does not have: the file is not there for them.
            assert (response.status_code, response.json()) == (
                404,
                {"error": f"Version '1.0' of dataset '{SHORT}' has no file 'secret.txt'."},
            ), (who, url)
        assert _download(client, f"/api/v1/dataset/{SHORT}/file/open.txt", **auth) == (200, OPEN_BYTES)
        dataset = client.get(f"/api/datasets/:persistentId/?persistentId={PID}", **auth)
        assert dataset.status_code == 200, who
        files = dataset.json()["data"]["latestVersion"]["files"]
        assert [f["label"] for f in files] == ["open.txt"], who
        assert SECRET_BYTES.decode() not in dataset.content.decode()
        assert "secret.txt" not in dataset.content.decode() and "only us" not in dataset.content.decode()
        metadata = client.post(
            f"/api/files/{published['restricted']}/metadata", {"jsonData": '{"description": "x"}'}, **auth
        )
        assert metadata.status_code == 404, who
        message = f"Could not find datafile with id {published['restricted']}"
        assert metadata.json() == {"status": "ERROR", "message": message}

    writer = {"HTTP_AUTHORIZATION": f"api-token {DEMO_TOKEN}"}
    for url in listings:
        assert [f["name"] for f in client.get(url, **writer).json()["files"]] == ["open.txt", "secret.txt"]
    for url in downloads:
        assert _download(client, url, **writer) == (200, SECRET_BYTES)
    dataset = client.get(f"/api/datasets/:persistentId/?persistentId={PID}", HTTP_X_DATAVERSE_KEY=DEMO_TOKEN)
    listed = {f["label"]: f["restricted"] for f in dataset.json()["data"]["latestVersion"]["files"]}
    assert listed == {"open.txt": False, "secret.txt": True}


def test_others_cannot_delete_or_probe_a_restricted_file(client, published, outsider):
    changes = FileChange.objects.count()
    refused = client.delete(f"/api/v1/dataset/{SHORT}/file/secret.txt", HTTP_AUTHORIZATION=f"api-token {outsider}")
    missing = client.delete(f"/api/v1/dataset/{SHORT}/file/nothing.txt", HTTP_AUTHORIZATION=f"api-token {outsider}")
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["error"] == f"Version '1.0' of dataset '{SHORT}' has no file 'secret.txt'."
    assert DatasetFile.objects.filter(name="secret.txt").count() == 1 and FileChange.objects.count() == changes
    # An open file: a writer's right, refused as such.
    open_refused = client.delete(f"/api/v1/dataset/{SHORT}/file/open.txt", HTTP_AUTHORIZATION=f"api-token {outsider}")
    assert open_refused.status_code == 403


def test_the_restriction_follows_the_file_into_a_new_draft(client, published, outsider):
    """A later registration opens a draft copied from 1.0: the restricted file stays restricted there,
    and 1.0 stays as it was for everyone else."""
    _add(client, "later.txt", b"later\n", {})
    writer = client.get(f"/api/datasets/:persistentId/?persistentId={PID}", HTTP_X_DATAVERSE_KEY=DEMO_TOKEN).json()
    assert writer["data"]["latestVersion"]["versionState"] == "DRAFT"
    assert {f["label"]: f["restricted"] for f in writer["data"]["latestVersion"]["files"]} == {
        "later.txt": False,
        "open.txt": False,
        "secret.txt": True,
    }
    other = client.get(f"/api/datasets/:persistentId/?persistentId={PID}", HTTP_X_DATAVERSE_KEY=outsider).json()
    assert other["data"]["latestVersion"]["versionState"] == "RELEASED"
    assert [f["label"] for f in other["data"]["latestVersion"]["files"]] == ["open.txt"]
    # The restriction lifted by a writer (in the draft): the file is everyone's once that is published.
    restricted_in_draft = DatasetFile.objects.get(name="secret.txt", version__state="draft")
    response = client.post(
        f"/api/files/{restricted_in_draft.pk}/metadata",
        {"jsonData": '{"restrict": false}'},
        HTTP_X_DATAVERSE_KEY=DEMO_TOKEN,
    )
    assert response.status_code == 200, response.json()
    draft = restricted_in_draft.version.identifier
    publish = client.post(
        f"/api/v1/dataset/{SHORT}/version/{draft}/publish.json", HTTP_AUTHORIZATION=f"api-token {DEMO_TOKEN}"
    )
    assert publish.status_code == 200
    assert _download(client, f"/api/v1/dataset/{SHORT}/version/{draft}/file/secret.txt") == (200, SECRET_BYTES)


def test_on_s3_only_writers_get_a_pre_signed_link(client, s3_storage, published, outsider):
    import requests

    url = f"/api/v1/dataset/{SHORT}/version/1.0/file/secret.txt"
    for auth in _callers(outsider).values():
        response = client.get(url, **auth)
        assert response.status_code == 404 and "Location" not in response
    response = client.get(url, HTTP_AUTHORIZATION=f"api-token {DEMO_TOKEN}")
    assert response.status_code == 302 and "X-Amz-Signature=" in response["Location"]
    assert requests.get(response["Location"], timeout=10).content == SECRET_BYTES
