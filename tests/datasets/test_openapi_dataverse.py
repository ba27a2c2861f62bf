"""Dataverse in the OpenAPI document: every operation under /api/ and /api/v1/, `{ident}` and
`persistentId`, the forms with `jsonData` as a string, the mpupload parameters and ETags body, every
status with its body, and real answers that match their schemas key for key."""

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Dataset
from tests.datasets.conftest import MIB, PID, TOKEN, ticket_and_put
from tests.support.openapi import openapi_document as document
from tests.support.openapi_shapes import answer_problems, problems

OPERATIONS = {
    ("info/version", "get"): "info_version",
    ("info/server", "get"): "info_server",
    ("datasets/{ident}", "get"): "dataset_get",
    ("datasets/{ident}/", "get"): "dataset_get_slash",
    ("datasets/{ident}/locks", "get"): "dataset_locks",
    ("datasets/{ident}/uploadurls", "get"): "upload_urls",
    ("datasets/mpupload", "put"): "mpupload_complete",
    ("datasets/mpupload", "delete"): "mpupload_abort",
    ("datasets/{ident}/add", "post"): "add",
    ("datasets/{ident}/addFiles", "post"): "add_files",
    ("datasets/{ident}/replaceFiles", "post"): "replace_files",
    ("files/{ident}/replace", "post"): "file_replace",
    ("files/{ident}/metadata", "post"): "file_metadata",
    ("datasets/{ident}", "delete"): "dataset_delete",
    ("datasets/{ident}/", "delete"): "dataset_delete_slash",
    ("dataverses/{alias}", "get"): "collection_get",
    ("dataverses/{alias}", "post"): "collection_create",
    ("dataverses/{alias}/contents", "get"): "collection_contents",
    ("dataverses/{alias}/datasets", "post"): "dataset_create",
    ("datasets/{ident}/editMetadata", "put"): "edit_metadata",
    ("datasets/{ident}/actions/:publish", "post"): "publish",
    ("datasets/{ident}/versions", "get"): "versions",
    ("datasets/{ident}/versions/{version}", "get"): "version_get",
    ("datasets/{ident}/versions/{version}", "delete"): "draft_delete",
    ("datasets/{ident}/versions/{version}/files", "get"): "version_files",
    ("access/datafile/{ident}", "get"): "access_datafile",
}
BASE = {"400", "401", "429", "500", "503"}
STATUSES = {
    "info_version": ({"200"}, "200", "DataverseServerVersionAnswer"),
    "info_server": ({"200"}, "200", "DataverseMessageAnswer"),
    "dataset_get": ({"200", "404"}, "200", "DataverseDatasetAnswer"),
    "dataset_get_slash": ({"200", "404"}, "200", "DataverseDatasetAnswer"),
    "dataset_locks": ({"200", "404"}, "200", "DataverseLocksAnswer"),
    "upload_urls": ({"200", "403", "404"}, "200", "DataverseUploadUrlsAnswer"),
    "mpupload_complete": ({"200", "403", "404", "413"}, "200", "DataverseMessageAnswer"),
    "mpupload_abort": ({"204", "403", "404"}, "204", None),
    "add": ({"200", "403", "404", "413", "415"}, "200", "DataverseFilesAnswer"),
    "add_files": ({"200", "403", "404", "413", "415"}, "200", "DataverseRegistrationAnswer"),
    "replace_files": ({"200", "403", "404", "413", "415"}, "200", "DataverseRegistrationAnswer"),
    "file_replace": ({"200", "403", "413", "415"}, "200", "DataverseFilesAnswer"),
    "file_metadata": ({"200", "403", "404", "413", "415"}, "200", "DataverseMessageAnswer"),
    "dataset_delete": ({"200", "403", "404"}, "200", "DataverseMessageAnswer"),
    "dataset_delete_slash": ({"200", "403", "404"}, "200", "DataverseMessageAnswer"),
    "collection_get": ({"200", "404"}, "200", "DataverseCollectionAnswer"),
    "collection_create": ({"201", "403", "404", "409", "413"}, "201", "DataverseCollectionAnswer"),
    "collection_contents": ({"200", "404"}, "200", "DataverseContentsAnswer"),
    "dataset_create": ({"201", "403", "404", "413"}, "201", "DataverseCreatedDatasetAnswer"),
    "edit_metadata": ({"200", "403", "404", "413"}, "200", "DataverseVersionAnswer"),
    "publish": ({"200", "403", "404"}, "200", "DataverseDatasetAnswer"),
    "versions": ({"200", "404"}, "200", "DataverseVersionsAnswer"),
    "version_get": ({"200", "404"}, "200", "DataverseVersionAnswer"),
    "draft_delete": ({"200", "403", "404"}, "200", "DataverseMessageAnswer"),
    "version_files": ({"200", "404"}, "200", "DataverseFileListAnswer"),
    "access_datafile": ({"200", "404"}, "200", None),
}
KEY = [{"dataverseKey": []}, {"keyQuery": []}]
# The info calls read no key at all.
KEYLESS = {"info_version", "info_server"}
PUBLIC = {
    "dataset_get",
    "dataset_get_slash",
    "dataset_locks",
    "collection_get",
    "collection_contents",
    "versions",
    "version_get",
    "version_files",
    "access_datafile",
}
ERROR = {"$ref": "#/components/schemas/DataverseError"}


@pytest.fixture(scope="module")
def doc():
    return document()


def each(doc):
    for (tail, method), name in OPERATIONS.items():
        for root, prefix in (("/api/", "dataverse_"), ("/api/v1/", "dataverse_v1_")):
            yield root + tail, method, prefix + name, doc["paths"][root + tail][method]


def test_every_operation_is_under_api_and_api_v1_with_distinct_ids(doc):
    found = {
        (path, method): op["operationId"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op["tags"] == ["Dataverse"]
    }
    assert found == {(path, method): op_id for path, method, op_id, _ in each(doc)}
    assert len(set(found.values())) == 2 * len(OPERATIONS)


def test_a_dataset_is_named_by_id_or_persistent_id(doc):
    for path, _method, _, op in each(doc):
        params = {(p["name"], p["in"]): p for p in op.get("parameters", [])}
        if path.startswith(("/api/datasets/{ident}", "/api/v1/datasets/{ident}")):
            ident = params[("ident", "path")]
            assert ident["schema"] == {"type": "string", "pattern": "^([0-9]+|:persistentId)$"}
            assert {e["value"] for e in ident["examples"].values()} == {":persistentId", "2"}
            persistent = params[("persistentId", "query")]
            assert persistent["schema"] == {"type": "string"} and not persistent.get("required")
            assert persistent["examples"][next(iter(persistent["examples"]))]["value"] == PID
        elif "/files/" in path:
            assert params[("ident", "path")]["schema"] == {"type": "integer", "minimum": 0}
            assert ("persistentId", "query") not in params


def test_upload_urls_takes_the_size_within_the_limit(doc, settings):
    for path, _, _, op in each(doc):
        if path.endswith("/uploadurls"):
            size = next(p for p in op["parameters"] if p["name"] == "size")
            assert size["in"] == "query" and size["required"] is True
            assert size["schema"] == {"type": "integer", "minimum": 0, "maximum": settings.NEXUS_MAX_UPLOAD_BYTES}


def test_mpupload_names_the_upload_by_query_and_completes_with_etags(doc):
    for path, method, _, op in each(doc):
        if path.endswith("/mpupload"):
            params = {p["name"]: p for p in op["parameters"]}
            assert set(params) == {"globalid", "uploadid", "storageidentifier"}
            assert all(p["in"] == "query" and p["required"] for p in params.values())
            if method == "put":
                body = op["requestBody"]["content"]["application/json"]["schema"]
                assert body["type"] == "object" and body["additionalProperties"] == {"type": "string"}
            else:
                assert "requestBody" not in op


def test_json_data_is_described_as_the_string_it_is(doc):
    schemas = doc["components"]["schemas"]
    forms = {
        "add": ("DataverseAddFormRequest", ["multipart/form-data"]),
        "file_replace": ("DataverseAddFormRequest", ["multipart/form-data"]),
        "add_files": ("DataverseFilesFormRequest", ["multipart/form-data", "application/x-www-form-urlencoded"]),
        "replace_files": ("DataverseFilesFormRequest", ["multipart/form-data", "application/x-www-form-urlencoded"]),
        "file_metadata": ("DataverseMetadataFormRequest", ["multipart/form-data", "application/x-www-form-urlencoded"]),
    }
    for path, _, op_id, op in each(doc):
        name = op_id.removeprefix("dataverse_v1_").removeprefix("dataverse_")
        if name not in forms:
            continue
        component, media_types = forms[name]
        content = op["requestBody"]["content"]
        assert list(content) == media_types, path
        assert all(c["schema"] == {"$ref": f"#/components/schemas/{component}"} for c in content.values())
    add = schemas["DataverseAddFormRequest"]
    assert add["properties"]["file"] == {**add["properties"]["file"], "type": "string", "format": "binary"}
    assert "required" not in add  # native (`file`) or direct (`jsonData` only)
    for component, example_type in (
        ("DataverseAddFormRequest", dict),
        ("DataverseMetadataFormRequest", dict),
        ("DataverseFilesFormRequest", list),
    ):
        json_data = schemas[component]["properties"]["jsonData"]
        assert json_data["type"] == "string" and "format" not in json_data
        assert isinstance(json.loads(json_data["example"]), example_type)
    assert schemas["DataverseFilesFormRequest"]["required"] == ["jsonData"]


def test_every_status_with_its_body_and_the_key_where_needed(doc):
    for path, _method, op_id, op in each(doc):
        name = op_id.removeprefix("dataverse_v1_").removeprefix("dataverse_")
        statuses, ok, component = STATUSES[name]
        responses = op["responses"]
        assert set(responses) == BASE | statuses, path
        if name == "access_datafile":
            assert responses[ok]["content"] == {"*/*": {"schema": {"type": "string", "format": "binary"}}}
        elif component is None:
            assert "content" not in responses[ok]
        else:
            assert responses[ok]["content"] == {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
            }
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == {"application/json": {"schema": ERROR}}, (path, status)
        assert op["security"] == ([{}] if name in KEYLESS else [*KEY, {}] if name in PUBLIC else KEY), path
    refusal = doc["paths"]["/api/datasets/{ident}/addFiles"]["post"]["responses"]["400"]
    assert "`data` reports each file" in refusal["description"]


@pytest.mark.django_db
def test_real_answers_match_their_schemas_key_for_key(client, demo, doc, small_parts):
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    ds = "/api/datasets/:persistentId/{}?persistentId=" + PID
    checks = []

    def check(path, method, response, status):
        assert response.status_code == status, (path, response.content)
        checks.append((path, method, response))
        return response.json() if response.content else None

    data = b"file one\n"
    sid = ticket_and_put(client, data)
    json_data = {
        "description": "My description.",
        "directoryLabel": "data/subdir1",
        "categories": ["Data"],
        "storageIdentifier": sid,
        "fileName": "file1.txt",
        "mimeType": "text/plain",
        "checksum": {"@type": "SHA-1", "@value": hashlib.sha1(data).hexdigest()},
    }
    added = check(
        "/api/datasets/{ident}/add",
        "post",
        client.post(ds.format("add"), {"jsonData": json.dumps(json_data)}, **auth),
        200,
    )
    file_id = added["data"]["files"][0]["dataFile"]["id"]
    native = {"file": SimpleUploadedFile("a.csv", b"a,b\n1,2\n", content_type="text/csv")}
    check("/api/datasets/{ident}/add", "post", client.post(ds.format("add"), native, **auth), 200)
    check("/api/datasets/{ident}/add", "post", client.post(ds.format("add"), {}, "application/json", **auth), 415)
    ticket = check(
        "/api/datasets/{ident}/uploadurls",
        "get",
        client.get(ds.format("uploadurls") + f"&size={6 * MIB}", **auth),
        200,
    )
    check("/api/datasets/mpupload", "put", client.put(ticket["data"]["complete"], b"{}", "", **auth), 400)
    check("/api/datasets/mpupload", "delete", client.delete(ticket["data"]["abort"], **auth), 204)
    check("/api/datasets/mpupload", "delete", client.delete(ticket["data"]["abort"], **auth), 404)
    check("/api/v1/datasets/{ident}/", "get", client.get(ds.replace("/api/", "/api/v1/").format(""), **auth), 200)
    check("/api/datasets/{ident}", "get", client.get("/api/datasets/999999"), 404)
    pk = Dataset.objects.get(persistent_id=PID).pk
    check("/api/datasets/{ident}/locks", "get", client.get(f"/api/datasets/{pk}/locks", **auth), 200)
    replaced = {"file": SimpleUploadedFile("file1.txt", b"file one, v2\n", content_type="text/plain")}
    check("/api/files/{ident}/replace", "post", client.post(f"/api/files/{file_id}/replace", replaced, **auth), 200)
    metadata = {"jsonData": '{"description": "new", "label": "renamed.txt"}'}
    check("/api/files/{ident}/metadata", "post", client.post(f"/api/files/{file_id}/metadata", metadata, **auth), 200)
    refused = [{"fileToReplaceId": 999999, "storageIdentifier": sid, "fileName": "a.txt", "md5Hash": "0" * 32}]
    response = client.post(ds.format("replaceFiles"), {"jsonData": json.dumps(refused)}, **auth)
    assert response.status_code == 400, response.content
    # DataverseError beside the report its description names (DataverseError leaves other keys open).
    report = response.json()
    assert problems(doc, {"$ref": "#/components/schemas/DataverseRegistration"}, report.pop("data")) == []
    assert problems(doc, ERROR, report) == []
    second = ticket_and_put(client, b"file two\n")
    files = [json_data | {"storageIdentifier": second, "fileName": "two.txt", "checksum": None}]
    files[0].pop("checksum")
    files[0]["md5Hash"] = hashlib.md5(b"file two\n").hexdigest()
    check(
        "/api/datasets/{ident}/addFiles",
        "post",
        client.post(ds.format("addFiles"), {"jsonData": json.dumps(files)}, **auth),
        200,
    )
    for path, method, response in checks:
        if response.content:
            assert answer_problems(doc, path, method, response) == [], (path, method, response.content)
