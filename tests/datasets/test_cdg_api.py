"""The Climate Data Gateway file API: the seed's curl commands, versions sharing blobs, refusals."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role, User
from accounts.services import membership_ensure, organization_get_or_create, token_create
from blobs.models import Blob
from datasets.models import ChangeAction, Dataset, DatasetFile, DatasetVersion, FileChange, VersionState
from datasets.services import dataset_version_create, dataset_version_publish
from tests.support.accounts import DEMO_TOKEN
from tests.support.stack import curl

TOKEN = DEMO_TOKEN


def stored(local_storage) -> set[str]:
    if not local_storage.exists():
        return set()
    return {p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file()}


@pytest.mark.django_db(transaction=True)
def test_the_seeds_curl_commands(live_server, demo, tmp_path):
    readme = tmp_path / "readme.txt"
    readme.write_bytes(b"Read me.\n")
    base = live_server.url
    # Header form, dataset URL: into the latest published version (1.0).
    code, body = curl(
        "--header",
        f"authorization: api-token {TOKEN}",
        "-X",
        "POST",
        "-F",
        f"file=@{readme}",
        f"{base}/api/v1/dataset/ncl.630.0/file.json",
    )
    assert code == 201, body
    created = json.loads(body)
    assert {k: created[k] for k in ("dataset", "version", "state", "name", "size", "sha256", "md5", "replaced")} == {
        "dataset": "ncl.630.0",
        "version": "1.0",
        "state": "published",
        "name": "readme.txt",
        "size": 9,
        "sha256": hashlib.sha256(b"Read me.\n").hexdigest(),
        "md5": hashlib.md5(b"Read me.\n").hexdigest(),
        "replaced": False,
    }
    # Query-parameter form, without /dataset/ in the path; PUT does the same as POST (it replaces).
    code, body = curl("-X", "PUT", "-F", f"file=@{readme}", f"{base}/api/v1/ncl.630.0/file.json?api-token={TOKEN}")
    assert (code, json.loads(body)["replaced"]) == (201, True)
    # Version URLs: a new pre-published version 2.0.
    dataset_version_create(dataset=Dataset.objects.get(short_name="ncl.630.0"), identifier="2.0")
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"v2 only")
    code, body = curl(
        "--header",
        f"authorization: api-token {TOKEN}",
        "-X",
        "POST",
        "-F",
        f"file=@{notes}",
        f"{base}/api/v1/dataset/ncl.630.0/version/2.0/file.json",
    )
    assert (code, json.loads(body)["version"], json.loads(body)["state"]) == (201, "2.0", "draft")
    # Version 2.0 is not published: its writers read it, with their token.
    code, body = curl(f"{base}/api/v1/dataset/ncl.630.0/version/2.0/files.json")
    assert (code, json.loads(body)) == (
        401,
        {"error": "Version '2.0' is not published: reading it needs an api-token."},
    )
    code, body = curl(f"{base}/api/v1/dataset/ncl.630.0/version/2.0/files.json?api-token={TOKEN}")
    assert [f["name"] for f in json.loads(body)["files"]] == ["notes.txt", "readme.txt"]
    code, content = curl("-L", json.loads(body)["files"][0]["download_url"] + f"?api-token={TOKEN}")
    assert (code, content) == (200, b"v2 only")
    # DELETE, both forms.
    code, _ = curl(
        "--header",
        f"authorization: api-token {TOKEN}",
        "-X",
        "DELETE",
        f"{base}/api/v1/dataset/ncl.630.0/version/2.0/file/notes.txt",
    )
    assert code == 204
    code, _ = curl(
        "--header",
        f"authorization: api-token {TOKEN}",
        "-X",
        "DELETE",
        f"{base}/api/v1/dataset/ncl.630.0/file/readme.txt",
    )
    assert code == 204
    assert list(DatasetFile.objects.filter(version__identifier="1.0").values_list("name", flat=True)) == []
    assert list(DatasetFile.objects.filter(version__identifier="2.0").values_list("name", flat=True)) == ["readme.txt"]


pytestmark = pytest.mark.django_db


def _post(client, url, content=b"data", name="readme.txt", token=TOKEN, method="post"):
    headers = {"HTTP_AUTHORIZATION": f"api-token {token}"} if token else {}
    send = getattr(client, method)
    if method == "put":
        from django.test.client import encode_multipart

        boundary = "BoUnDaRy"
        data = encode_multipart(boundary, {"file": SimpleUploadedFile(name, content)})
        return send(url, data, content_type=f"multipart/form-data; boundary={boundary}", **headers)
    return send(url, {"file": SimpleUploadedFile(name, content)}, **headers)


def test_uploads_go_to_the_pre_published_version_when_none_is_published(client, demo):
    dataset = Dataset.objects.create(
        short_name="draft.only", organization=organization_get_or_create(name="Organization Y")
    )
    DatasetVersion.objects.create(dataset=dataset, identifier="0.1")
    response = _post(client, "/api/v1/dataset/draft.only/file.json")
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["state"]) == ("0.1", "draft")
    published = dataset_version_create(dataset=dataset, identifier="1.0")
    dataset_version_publish(user=User.objects.get(username="supplier"), version=published)
    DatasetVersion.objects.create(dataset=dataset, identifier="2.0")  # a newer draft does not take the upload
    assert _post(client, "/api/v1/dataset/draft.only/file.json", name="b.txt").json()["version"] == "1.0"


def test_a_new_version_shares_blobs_and_deleting_there_keeps_the_old_one_whole(client, demo, local_storage):
    _post(client, "/api/v1/dataset/ncl.630.0/file.json", content=b"one", name="a.txt")
    _post(client, "/api/v1/dataset/ncl.630.0/file.json", content=b"two", name="b.txt")
    before_bytes, before_blobs = stored(local_storage), Blob.objects.count()
    dataset = Dataset.objects.get(short_name="ncl.630.0")
    new = dataset_version_create(dataset=dataset, identifier="2.0")
    assert stored(local_storage) == before_bytes and Blob.objects.count() == before_blobs  # no bytes copied
    old = DatasetVersion.objects.get(dataset=dataset, identifier="1.0")
    assert sorted(new.files.values_list("name", "blob_id")) == sorted(old.files.values_list("name", "blob_id"))
    assert (
        client.delete(
            "/api/v1/dataset/ncl.630.0/version/2.0/file/a.txt", HTTP_AUTHORIZATION=f"api-token {TOKEN}"
        ).status_code
        == 204
    )
    assert sorted(old.files.values_list("name", flat=True)) == ["a.txt", "b.txt"]
    assert list(new.files.values_list("name", flat=True)) == ["b.txt"]
    download = client.get("/api/v1/dataset/ncl.630.0/version/1.0/file/a.txt")
    assert download.status_code == 302
    assert b"".join(client.get(download["Location"]).streaming_content) == b"one"
    changes = list(
        FileChange.objects.order_by("id").values_list("version__identifier", "action", "name", "user__username")
    )
    assert changes == [
        ("1.0", ChangeAction.ADD, "a.txt", "supplier"),
        ("1.0", ChangeAction.ADD, "b.txt", "supplier"),
        ("2.0", ChangeAction.DELETE, "a.txt", "supplier"),
    ]


def test_replacing_a_file_keeps_other_versions_bytes(client, demo):
    _post(client, "/api/v1/dataset/ncl.630.0/file.json", content=b"first", name="a.txt")
    dataset_version_create(dataset=Dataset.objects.get(short_name="ncl.630.0"), identifier="2.0")
    replaced = _post(
        client, "/api/v1/dataset/ncl.630.0/version/2.0/file.json", content=b"second", name="a.txt", method="put"
    )
    assert (replaced.status_code, replaced.json()["replaced"]) == (201, True)
    one = client.get(client.get("/api/v1/dataset/ncl.630.0/version/1.0/file/a.txt")["Location"])
    two = client.get(
        client.get("/api/v1/dataset/ncl.630.0/version/2.0/file/a.txt", HTTP_AUTHORIZATION=f"api-token {TOKEN}")[
            "Location"
        ]
    )
    outsider = token_create(user=User.objects.create(username="reader")).raw
    refused = client.get("/api/v1/dataset/ncl.630.0/version/2.0/files.json", HTTP_AUTHORIZATION=f"api-token {outsider}")
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "Version '2.0' is not published: only the dataset's writers read it."},
    )
    assert (b"".join(one.streaming_content), b"".join(two.streaming_content)) == (b"first", b"second")


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("no token", 401, "An api-token is required (header 'authorization: api-token <token>' or ?api-token=)."),
        ("bad token", 401, "Invalid token."),
        ("no rights", 403, "You may not write to dataset 'ncl.630.0'."),
        ("unknown dataset", 404, "Dataset 'nope' does not exist."),
        ("unknown version", 404, "Dataset 'ncl.630.0' has no version '9.0'."),
        ("no file", 400, "file: No file was submitted."),
        ("too large", 413, "The upload exceeds the maximum size of 1024 bytes."),
    ],
)
def test_refusals_store_nothing(client, demo, local_storage, settings, case, status, error):
    settings.NEXUS_MAX_UPLOAD_BYTES = 1024
    outsider = token_create(user=User.objects.create(username="outsider")).raw
    url = {
        "unknown dataset": "/api/v1/dataset/nope/file.json",
        "unknown version": "/api/v1/dataset/ncl.630.0/version/9.0/file.json",
    }.get(case, "/api/v1/dataset/ncl.630.0/file.json")
    token = {"no token": None, "bad token": "nope", "no rights": outsider}.get(case, TOKEN)
    if case == "no file":
        response = client.post(url, {}, HTTP_AUTHORIZATION=f"api-token {token}")
    else:
        response = _post(client, url, content=b"x" * (2000 if case == "too large" else 10), token=token)
    assert (response.status_code, response.json()) == (status, {"error": error})
    assert DatasetFile.objects.count() == 0 and FileChange.objects.count() == 0
    assert Blob.objects.count() == 0 and stored(local_storage) == set()


def test_delete_refusals(client, demo):
    _post(client, "/api/v1/dataset/ncl.630.0/file.json", name="a.txt")
    outsider = token_create(user=User.objects.create(username="outsider")).raw
    missing = client.delete("/api/v1/dataset/ncl.630.0/file/b.txt", HTTP_AUTHORIZATION=f"api-token {TOKEN}")
    assert (missing.status_code, missing.json()) == (
        404,
        {"error": "Version '1.0' of dataset 'ncl.630.0' has no file 'b.txt'."},
    )
    refused = client.delete("/api/v1/dataset/ncl.630.0/file/a.txt", HTTP_AUTHORIZATION=f"api-token {outsider}")
    assert (refused.status_code, refused.json()) == (403, {"error": "You may not write to dataset 'ncl.630.0'."})
    assert client.delete("/api/v1/dataset/ncl.630.0/file/a.txt").status_code == 401
    assert list(DatasetFile.objects.values_list("name", flat=True)) == ["a.txt"]


def test_write_rights_through_the_owning_organizations_uploaders(client, demo):
    uploader = User.objects.create(username="colleague")
    membership_ensure(user=uploader, organization=organization_get_or_create(name="Organization Y"), role=Role.UPLOADER)
    token = token_create(user=uploader).raw
    assert _post(client, f"/api/v1/dataset/ncl.630.0/file.json?api-token={token}", token=None).status_code == 201


def test_publish_api_and_admin(client, demo, django_user_model):
    dataset_version_create(dataset=Dataset.objects.get(short_name="ncl.630.0"), identifier="2.0")
    response = client.post(
        "/api/v1/dataset/ncl.630.0/version/2.0/publish.json", HTTP_AUTHORIZATION=f"api-token {TOKEN}"
    )
    assert (response.status_code, response.json()["state"]) == (200, "published")
    assert DatasetVersion.objects.get(identifier="2.0").state == VersionState.PUBLISHED
    # The dataset-level URL now means 2.0, the latest published version.
    assert _post(client, "/api/v1/dataset/ncl.630.0/file.json").json()["version"] == "2.0"
    admin = django_user_model.objects.create_superuser(username="admin", password="x", email="a@example.org")
    client.force_login(admin)
    version = DatasetVersion.objects.get(identifier="2.0")
    page = client.post(
        "/admin/datasets/datasetversion/",
        {"action": "create_next_version", "_selected_action": [version.pk]},
        follow=True,
    )
    assert "Created version 3.0 of ncl.630.0." in page.content.decode()
    assert list(DatasetVersion.objects.get(identifier="3.0").files.values_list("name", flat=True)) == ["readme.txt"]
    for path in ("dataset", "datasetversion", "filechange"):
        assert client.get(f"/admin/datasets/{path}/").status_code == 200


def test_the_sweep_keeps_bytes_the_change_history_names(client, demo):
    from datetime import timedelta

    from django.utils import timezone

    from blobs.services import blob_sweep_orphans

    _post(client, "/api/v1/dataset/ncl.630.0/file.json", content=b"first", name="a.txt")
    _post(client, "/api/v1/dataset/ncl.630.0/file.json", content=b"second", name="a.txt")  # replaces
    Blob.objects.update(created=timezone.now() - timedelta(days=2))
    assert blob_sweep_orphans(grace_seconds=3600)["unreferenced_rows"] == 0
    assert Blob.objects.count() == 2  # the replaced bytes stay, named by the 'replace' change
