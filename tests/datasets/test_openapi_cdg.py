"""The Climate Data Gateway in the OpenAPI document: each URL form its own operation, the upload form with
its binary `file` part, the api-token placements, every status with the gateway's error body, and real
answers that match their schemas key for key."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from datasets.models import Dataset
from datasets.services import dataset_version_create
from tests.support.accounts import DEMO_TOKEN
from tests.support.openapi import openapi_document as document
from tests.support.openapi_shapes import answer_problems

D = "/api/v1/dataset/{short_name}"
V = D + "/version/{version_id}"
SHORT = "/api/v1/{short_name}/file.json"
OPERATIONS = {
    (D + "/file.json", "post"): "gateway_upload",
    (D + "/file.json", "put"): "gateway_upload_put",
    (V + "/file.json", "post"): "gateway_upload_version",
    (V + "/file.json", "put"): "gateway_upload_version_put",
    (SHORT, "post"): "gateway_upload_short",
    (SHORT, "put"): "gateway_upload_short_put",
    (D + "/files.json", "get"): "gateway_files",
    (V + "/files.json", "get"): "gateway_version_files",
    (V + "/publish.json", "post"): "gateway_version_publish",
    (D + "/file/{filename}", "get"): "gateway_file_download",
    (D + "/file/{filename}", "delete"): "gateway_file_delete",
    (V + "/file/{filename}", "get"): "gateway_version_file_download",
    (V + "/file/{filename}", "delete"): "gateway_version_file_delete",
}
UPLOADS = [key for key, name in OPERATIONS.items() if name.startswith("gateway_upload")]
WRITES = [
    *UPLOADS,
    (V + "/publish.json", "post"),
    (D + "/file/{filename}", "delete"),
    (V + "/file/{filename}", "delete"),
]
TOKEN = [{"apiTokenAuthorization": []}, {"apiTokenHeader": []}, {"apiTokenQuery": []}]
ERROR = {"$ref": "#/components/schemas/GatewayError"}


@pytest.fixture(scope="module")
def doc():
    return document()


def operation(doc, path, method):
    return doc["paths"][path][method]


def test_every_url_form_is_its_own_operation(doc):
    found = {
        (path, method): op["operationId"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op["tags"] == ["Climate Data Gateway"]
    }
    assert found == OPERATIONS


def test_path_parameters_are_declared_strings(doc):
    for (path, method), _ in OPERATIONS.items():
        params = {p["name"]: p for p in operation(doc, path, method)["parameters"] if p["in"] == "path"}
        expected = {n for n in ("short_name", "version_id", "filename") if "{" + n + "}" in path}
        assert set(params) == expected, (path, method)
        assert all(p["required"] and p["schema"] == {"type": "string"} for p in params.values())


def test_the_upload_is_a_multipart_form_with_a_binary_file_part(doc):
    for path, method in UPLOADS:
        body = operation(doc, path, method)["requestBody"]
        assert body["required"] is True
        assert list(body["content"]) == ["multipart/form-data"]
        assert body["content"]["multipart/form-data"]["schema"] == {
            "$ref": "#/components/schemas/GatewayFileFormRequest"
        }
    form = doc["components"]["schemas"]["GatewayFileFormRequest"]
    assert form["properties"]["file"]["type"] == "string"
    assert form["properties"]["file"]["format"] == "binary"
    assert form["required"] == ["file"]


def test_writes_need_an_api_token_and_reads_are_public(doc):
    for (path, method), _ in OPERATIONS.items():
        expected = TOKEN if (path, method) in WRITES else [*TOKEN, {}]
        assert operation(doc, path, method)["security"] == expected, (path, method)


def test_every_status_with_its_body(doc):
    statuses = {
        "upload": ({"201", "400", "401", "403", "404", "413", "415", "429", "500", "503"}, "201", "GatewayUpload"),
        "files": ({"200", "400", "401", "403", "404", "429", "500", "503"}, "200", "GatewayFileList"),
        "publish": ({"200", "400", "401", "403", "404", "429", "500", "503"}, "200", "GatewayPublish"),
    }
    for (path, method), name in OPERATIONS.items():
        responses = operation(doc, path, method)["responses"]
        kind = "upload" if name.startswith("gateway_upload") else "files" if "files" in name else "publish"
        if "file_d" in name:
            expected = {"302" if method == "get" else "204", "400", "401", "403", "404", "429", "500", "503"}
            assert set(responses) == expected, (path, method)
            assert "content" not in responses["302" if method == "get" else "204"]
        else:
            expected, ok, component = statuses[kind]
            assert set(responses) == expected, (path, method)
            assert responses[ok]["content"] == {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}
            }
        for status, response in responses.items():
            if status[0] in "45":
                assert response["content"] == {"application/json": {"schema": ERROR}}, (path, method, status)


def test_a_download_is_a_redirect_with_its_location(doc):
    for path in (D + "/file/{filename}", V + "/file/{filename}"):
        found = operation(doc, path, "get")["responses"]["302"]
        assert found["headers"]["Location"]["schema"] == {"type": "string"}


@pytest.mark.django_db
def test_real_answers_match_their_schemas_key_for_key(client, demo, doc):
    auth = {"HTTP_AUTHORIZATION": f"api-token {DEMO_TOKEN}"}
    base = "/api/v1/dataset/ncl.630.0"
    checks = []
    upload = {"file": SimpleUploadedFile("readme.txt", b"Read me.\n", content_type="text/plain")}
    checks.append((D + "/file.json", "post", client.post(f"{base}/file.json", upload, **auth)))
    checks.append((D + "/files.json", "get", client.get(f"{base}/files.json")))
    dataset_version_create(dataset=Dataset.objects.get(short_name="ncl.630.0"), identifier="2.0")
    checks.append((V + "/files.json", "get", client.get(f"{base}/version/2.0/files.json")))  # 401: a draft
    checks.append((V + "/publish.json", "post", client.post(f"{base}/version/2.0/publish.json", **auth)))
    checks.append((D + "/file.json", "post", client.post(f"{base}/file.json", {"other": "x"}, **auth)))  # 400
    json_body = client.post(f"{base}/file.json", {}, content_type="application/json", **auth)
    checks.append((D + "/file.json", "post", json_body))
    assert [c[2].status_code for c in checks] == [201, 200, 401, 200, 400, 415]
    for path, method, response in checks:
        assert answer_problems(doc, path, method, response) == [], (path, method, response.content)
