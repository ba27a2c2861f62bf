"""The Dataverse lifecycle around the files: collections, a dataset created from native JSON under a new
persistent id, its metadata edited, its draft published as major and minor versions, versions and
their files, the draft or the dataset deleted, files downloaded, and direct upload by collection."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import token_create
from blobs.models import Blob
from datasets.models import Collection, Dataset, DatasetVersion, FileChange, WriteGrant
from tests.datasets.conftest import KEY, add, counts, create, created_pid, ds, native
from tests.support.accounts import member_create
from tests.support.openapi import openapi_document
from tests.support.openapi_shapes import answer_problems

pytestmark = pytest.mark.django_db


def test_a_dataset_is_created_in_root_under_a_new_persistent_id(client, demo):
    response = create(client, native(), **KEY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "OK" and set(body["data"]) == {"id", "persistentId"}
    pid = body["data"]["persistentId"]
    assert re.fullmatch(r"doi:10\.5072/FK2/[A-Z0-9]{6}", pid)
    dataset = Dataset.objects.get(pk=body["data"]["id"])
    assert (dataset.persistent_id, dataset.title, dataset.collection.alias) == (pid, "Rain 2024", "root")
    assert dataset.organization is None
    assert [(v.identifier, v.state) for v in dataset.versions.all()] == [("1.0", "draft")]
    assert WriteGrant.objects.filter(dataset=dataset, user__username="supplier").exists()
    got = client.get(ds(pid), **KEY).json()["data"]
    assert got["publisher"] == "Root"
    assert got["latestVersion"]["versionState"] == "DRAFT"
    blocks = got["latestVersion"]["metadataBlocks"]
    assert list(blocks) == ["citation"]
    assert blocks["citation"]["name"] == "citation"
    assert blocks["citation"]["fields"] == native()["datasetVersion"]["metadataBlocks"]["citation"]["fields"]
    # A second dataset gets another identifier; `:root` and `Root` name the same collection.
    other = create(client, native(), alias=":root", **KEY).json()["data"]["persistentId"]
    assert other != pid and create(client, native(), alias="Root", **KEY).status_code == 201


def test_persistent_ids_follow_the_settings_and_avoid_taken_ones(client, demo, settings, monkeypatch):
    settings.NEXUS_DATAVERSE_PID_AUTHORITY, settings.NEXUS_DATAVERSE_PID_SHOULDER = "10.1234", "ABC/"
    draws = iter("AAAAAA" + "AAAAAA" + "BBBBBB")
    monkeypatch.setattr("datasets.dataverse.lifecycle.secrets.choice", lambda alphabet: next(draws))
    assert created_pid(client) == "doi:10.1234/ABC/AAAAAA"
    assert created_pid(client) == "doi:10.1234/ABC/BBBBBB"  # AAAAAA was taken: drawn again


def test_creating_needs_a_key_and_the_right(client, demo):
    before = counts()
    response = create(client, native())
    assert (response.status_code, response.json()) == (
        401,
        {"status": "ERROR", "message": "Only authenticated users can perform the requested operation"},
    )
    outsider, _ = member_create("outsider", "Elsewhere")
    raw = token_create(user=outsider, name="t").raw
    response = create(client, native(), HTTP_X_DATAVERSE_KEY=raw)
    assert (response.status_code, response.json()) == (
        403,
        {"status": "ERROR", "message": "User outsider is not permitted to add a dataset in dataverse root."},
    )
    # An admin of a collection below root may create there, not in root.
    child = Collection.objects.create(alias="rain", name="Rain", parent=Collection.objects.get(alias="root"))
    child.admins.add(outsider)
    assert create(client, native(), alias="rain", HTTP_X_DATAVERSE_KEY=raw).status_code == 201
    assert counts()[0] == before[0] + 1
    assert create(client, native(), alias="nowhere", **KEY).status_code == 404


@pytest.mark.parametrize(
    "body, message",
    [
        ("not json", "Error parsing Json: the body is not JSON."),
        ({"datasetVersion": {}}, "Error parsing Json: 'datasetVersion.metadataBlocks.citation' is missing."),
        (
            {"datasetVersion": {"metadataBlocks": {"citation": {"fields": [{"typeName": "title", "value": "x"}]}}}},
            "Validation Failed: required citation fields are missing: author, datasetContact, dsDescription, subject.",
        ),
        (
            {"datasetVersion": {"metadataBlocks": {"citation": {"fields": [{"value": "x"}]}}}},
            "Error parsing Json: each of 'metadataBlocks.citation.fields' needs 'typeName' and 'value'.",
        ),
        ({"a": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}, "Error parsing Json: nested deeper than 12 levels."),
    ],
)
def test_a_bad_native_json_is_refused_and_nothing_is_created(client, demo, body, message):
    before = counts()
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post("/api/dataverses/root/datasets", data, "application/json", **KEY)
    assert (response.status_code, response.json()) == (400, {"status": "ERROR", "message": message})
    assert counts() == before


def test_a_native_json_over_the_limit_is_a_413(client, demo, settings):
    settings.NEXUS_DATAVERSE_MAX_METADATA_BYTES = 200
    before = counts()
    response = create(client, native(), **KEY)
    assert (response.status_code, response.json()["message"]) == (413, "The dataset's JSON is larger than 200 bytes.")
    assert counts() == before


def test_collections_are_read_created_and_list_their_contents(client, demo):
    root = client.get("/api/dataverses/:root").json()["data"]
    assert {k: root[k] for k in ("alias", "name", "permissionRoot")} == {
        "alias": "root",
        "name": "Root",
        "permissionRoot": True,
    }
    assert client.get("/api/v1/dataverses/root").json()["data"]["id"] == root["id"]
    response = client.post(
        "/api/dataverses/root", json.dumps({"alias": "rain", "name": "Rain"}), "application/json", **KEY
    )
    assert response.status_code == 201, response.content
    assert {k: response.json()["data"][k] for k in ("alias", "name", "ownerId")} == {
        "alias": "rain",
        "name": "Rain",
        "ownerId": root["id"],
    }
    again = client.post(
        "/api/dataverses/root", json.dumps({"alias": "rain", "name": "Rain"}), "application/json", **KEY
    )
    assert (again.status_code, again.json()["message"]) == (409, "A dataverse with alias rain already exists.")
    assert Collection.objects.filter(alias="rain").count() == 1
    pid = created_pid(client)
    contents = client.get("/api/dataverses/root/contents", **KEY).json()["data"]
    assert [(c["type"], c.get("title") or c.get("identifier")) for c in contents] == [
        ("dataverse", "Rain"),
        ("dataset", pid.split("/", 1)[1]),
    ]
    # Unpublished, the dataset is its writers' only.
    assert [c["type"] for c in client.get("/api/dataverses/root/contents").json()["data"]] == ["dataverse"]
    missing = client.get("/api/dataverses/nowhere")
    assert (missing.status_code, missing.json()) == (
        404,
        {"status": "ERROR", "message": "Can't find dataverse with identifier='nowhere'"},
    )


def test_publishing_numbers_versions_as_dataverse_does(client, demo):
    pid = created_pid(client)
    minor = client.post(ds(pid, "actions/:publish", "&type=minor"), **KEY)
    assert (minor.status_code, minor.json()["message"]) == (
        400,
        "Cannot release as minor version. Re-try as major release.",
    )
    assert client.post(ds(pid, "actions/:publish", "&type=major")).status_code == 401
    first = client.post(ds(pid, "actions/:publish", "&type=major"), **KEY)
    assert first.status_code == 200, first.content
    latest = first.json()["data"]["latestVersion"]
    assert (latest["versionNumber"], latest["versionMinorNumber"], latest["versionState"]) == (1, 0, "RELEASED")
    nothing = client.post(ds(pid, "actions/:publish", "&type=major"), **KEY)
    assert (nothing.status_code, nothing.json()["message"]) == (
        400,
        "Cannot publish: the dataset has no draft version.",
    )
    add(client, pid, "a.txt", b"one\n")
    client.post(ds(pid, "actions/:publish", "&type=minor"), **KEY)
    add(client, pid, "b.txt", b"two\n")
    client.post(ds(pid, "actions/:publish", "&type=major"), **KEY)
    add(client, pid, "c.txt", b"three\n")
    versions = client.get(ds(pid, "versions"), **KEY).json()["data"]
    assert [(v["versionState"], v.get("versionNumber"), v.get("versionMinorNumber")) for v in versions] == [
        ("DRAFT", None, None),
        ("RELEASED", 2, 0),
        ("RELEASED", 1, 1),
        ("RELEASED", 1, 0),
    ]
    # The anonymous user sees the released ones only.
    assert len(client.get(ds(pid, "versions")).json()["data"]) == 3

    def names(version, **headers):
        response = client.get(ds(pid, f"versions/{version}/files"), **headers)
        assert response.status_code == 200, response.content
        return [f["dataFile"]["filename"] for f in response.json()["data"]]

    assert names(":latest", **KEY) == ["a.txt", "b.txt", "c.txt"]
    assert names(":draft", **KEY) == ["a.txt", "b.txt", "c.txt"]
    assert names(":latest") == ["a.txt", "b.txt"]
    assert names(":latest-published", **KEY) == ["a.txt", "b.txt"]
    assert names("1.1") == ["a.txt"]
    assert names("1") == []
    assert client.get(ds(pid, "versions/:draft/files")).status_code == 404
    assert client.get(ds(pid, "versions/7.0/files")).status_code == 404
    assert client.get(ds(pid, "versions/2.0"), **KEY).json()["data"]["versionNumber"] == 2


def test_edit_metadata_sets_fields_in_the_draft(client, demo):
    pid = created_pid(client)
    body = json.dumps({"fields": [{"typeName": "title", "value": "Rain 2024, corrected"}]})
    refused = client.put(ds(pid, "editMetadata"), body, "application/json", **KEY)
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("You may not add data to a field that already has data")
    assert Dataset.objects.get(persistent_id=pid).title == "Rain 2024"
    client.post(ds(pid, "actions/:publish", "&type=major"), **KEY)
    response = client.put(ds(pid, "editMetadata", "&replace=true"), body, "application/json", **KEY)
    assert response.status_code == 200, response.content
    assert response.json()["data"]["versionState"] == "DRAFT"
    fields = response.json()["data"]["metadataBlocks"]["citation"]["fields"]
    assert [f["value"] for f in fields if f["typeName"] == "title"] == ["Rain 2024, corrected"]
    assert Dataset.objects.get(persistent_id=pid).title == "Rain 2024, corrected"
    # The released version keeps its title.
    released = client.get(ds(pid, "versions/1.0")).json()["data"]["metadataBlocks"]["citation"]["fields"]
    assert [f["value"] for f in released if f["typeName"] == "title"] == ["Rain 2024"]
    anonymous = client.put(ds(pid, "editMetadata", "&replace=true"), body, "application/json")
    assert anonymous.status_code == 401


def test_a_draft_only_dataset_is_deleted_with_its_files_and_bytes(client, demo, settings):
    before = counts()
    pid = created_pid(client)
    add(client, pid, "a.txt", b"one\n")
    assert client.delete(ds(pid)).status_code == 401
    response = client.delete(ds(pid), **KEY)
    assert (response.status_code, response.json()) == (
        200,
        {"status": "OK", "data": {"message": f"Dataset {pid} deleted"}},
    )
    assert counts() == before
    assert client.get(ds(pid), **KEY).status_code == 404


def test_a_published_dataset_keeps_its_releases_and_loses_only_its_draft(client, demo):
    pid = created_pid(client)
    add(client, pid, "a.txt", b"one\n")
    client.post(ds(pid, "actions/:publish", "&type=major"), **KEY)
    released_blobs = Blob.objects.count()
    add(client, pid, "b.txt", b"two\n")
    refused = client.delete(ds(pid), **KEY)
    assert refused.status_code == 403
    assert Dataset.objects.filter(persistent_id=pid).exists()
    response = client.delete(ds(pid, "versions/:draft"), **KEY)
    assert response.status_code == 200, response.content
    assert [v.identifier for v in DatasetVersion.objects.filter(dataset__persistent_id=pid)] == ["1.0"]
    assert Blob.objects.count() == released_blobs
    assert FileChange.objects.filter(version__dataset__persistent_id=pid).count() == 1
    assert client.delete(ds(pid, "versions/:draft"), **KEY).status_code == 404
    assert client.delete(ds(pid, "versions/1.0"), **KEY).status_code == 400


def test_a_draft_deleted_from_a_dataset_with_nothing_else_takes_the_dataset(client, demo):
    before = counts()
    pid = created_pid(client)
    assert client.delete(ds(pid, "versions/:draft"), **KEY).status_code == 200
    assert counts() == before


def test_lifecycle_answers_match_their_schemas_key_for_key(client, demo):
    doc = openapi_document()
    checks = []

    def check(path, method, response, status):
        assert response.status_code == status, (path, response.content)
        checks.append((path, method, response))
        return response.json()

    collection = json.dumps({"alias": "rain", "name": "Rain", "description": "Rain gauges"})
    check(
        "/api/dataverses/{alias}",
        "post",
        client.post("/api/dataverses/root", collection, "application/json", **KEY),
        201,
    )
    check("/api/dataverses/{alias}", "get", client.get("/api/dataverses/rain"), 200)
    check(
        "/api/dataverses/{alias}",
        "post",
        client.post("/api/dataverses/root", collection, "application/json", **KEY),
        409,
    )
    created = check("/api/dataverses/{alias}/datasets", "post", create(client, native(), **KEY), 201)
    check("/api/dataverses/{alias}/datasets", "post", create(client, native()), 401)
    pid = created["data"]["persistentId"]
    body = {"file": SimpleUploadedFile("rain.csv", b"a,b\n1,2\n", "text/csv")}
    check("/api/datasets/{ident}/add", "post", client.post(ds(pid, "add"), body, **KEY), 200)
    check("/api/dataverses/{alias}/contents", "get", client.get("/api/dataverses/root/contents", **KEY), 200)
    edit = json.dumps({"fields": [{"typeName": "title", "value": "Rain, edited"}]})
    path = "/api/datasets/{ident}/editMetadata"
    check(path, "put", client.put(ds(pid, "editMetadata", "&replace=true"), edit, "application/json", **KEY), 200)
    publish = "/api/datasets/{ident}/actions/:publish"
    check(publish, "post", client.post(ds(pid, "actions/:publish", "&type=minor"), **KEY), 400)
    check(publish, "post", client.post(ds(pid, "actions/:publish", "&type=major"), **KEY), 200)
    check("/api/datasets/{ident}/versions", "get", client.get(ds(pid, "versions")), 200)
    check("/api/datasets/{ident}/versions/{version}", "get", client.get(ds(pid, "versions/1.0")), 200)
    check("/api/datasets/{ident}/versions/{version}/files", "get", client.get(ds(pid, "versions/:latest/files")), 200)
    check("/api/datasets/{ident}/", "delete", client.delete(ds(pid), **KEY), 403)
    check("/api/datasets/{ident}/", "get", client.get(ds(pid)), 200)
    add(client, pid, "b.txt", b"b\n")
    check("/api/datasets/{ident}/versions/{version}", "delete", client.delete(ds(pid, "versions/:draft"), **KEY), 200)
    check("/api/access/datafile/{ident}", "get", client.get("/api/access/datafile/999999"), 404)
    other = created_pid(client)
    check("/api/datasets/{ident}/", "delete", client.delete(ds(other), **KEY), 200)
    for path, method, response in checks:
        assert answer_problems(doc, path, method, response) == [], (path, method, response.content)


@pytest.mark.parametrize(
    "text, message",
    [
        ('"Rain\\u0000"', "Error parsing Json: text may not contain NUL characters."),
        ('"Rain\\ud800"', "Error parsing Json: text is not valid Unicode."),
        ("1e400", "Error parsing Json: a number is out of range."),
        ("NaN", "Error parsing Json: a number is out of range."),
    ],
)
def test_text_the_database_cannot_hold_is_refused(client, demo, text, message):
    before = counts()
    body = json.dumps(native()).replace('"Rain 2024"', text)
    response = client.post("/api/dataverses/root/datasets", body, "application/json", **KEY)
    assert (response.status_code, response.json()["message"]) == (400, message)
    key = json.dumps({"alias": "x", "name": "n", "descr\\u0000": 1}).replace("\\\\u0000", "\\u0000")
    assert client.post("/api/dataverses/root", key, "application/json", **KEY).status_code == 400
    assert counts() == before and not Collection.objects.filter(alias="x").exists()
