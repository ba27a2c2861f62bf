"""The OpenAPI description of the uploads seed: the multipart create with its binary file, statuses, bodies."""

import pytest

from tests.support.openapi import NEXUS_SECURITY, Conformance, openapi_document
from tests.support.openapi import component as _component
from tests.support.openapi import json_schema as _json_schema
from tests.support.openapi import ref as _ref
from tests.support.uploads import SEED_KEYS


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def _statuses(operation: dict) -> set[str]:
    return set(operation["responses"])


def test_the_create_is_a_multipart_form_with_the_seeds_fields_and_a_binary_file(document):
    operation = document["paths"]["/api/v1/uploads/"]["post"]
    body = operation["requestBody"]
    assert body["required"] is True
    assert list(body["content"]) == ["multipart/form-data"]
    form = _component(document, body["content"]["multipart/form-data"]["schema"])
    assert form["properties"] == {
        "datasource": {"type": "integer"},
        "upload_file": {"type": "string", "format": "binary"},
    }
    assert sorted(form["required"]) == ["datasource", "upload_file"]
    assert "500 MiB" in operation["description"] and "100 MiB" in operation["description"]


def test_the_create_answers_201_with_the_upload_and_each_refusal_in_the_nexus_shape(document):
    operation = document["paths"]["/api/v1/uploads/"]["post"]
    assert operation["operationId"] == "uploads_create"
    assert _statuses(operation) == {"201", "400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "503"}
    assert _json_schema(operation["responses"]["201"]) == _ref("Upload")
    for status in ("400", "401", "403", "404", "409", "413", "415", "422"):
        assert _json_schema(operation["responses"][status]) == _ref("NexusError"), status
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [("Idempotency-Key", "header")]
    assert operation["responses"]["201"]["headers"]["Idempotent-Replayed"]["schema"] == {
        "type": "string",
        "enum": ["true"],
    }
    assert operation["security"] == NEXUS_SECURITY
    example = operation["responses"]["201"]["content"]["application/json"]["examples"]
    assert list(next(iter(example.values()))["value"]) == SEED_KEYS


def test_the_upload_body_has_the_seeds_fields_all_present(document):
    upload = document["components"]["schemas"]["Upload"]
    assert list(upload["properties"]) == SEED_KEYS
    assert sorted(upload["required"]) == sorted(SEED_KEYS)
    assert upload["properties"]["upload_file"]["format"] == "uri"
    assert upload["properties"]["upload_date"]["format"] == "date-time"
    assert upload["properties"]["sync_last_finished"]["nullable"] is True
    status = _component(document, upload["properties"]["sync_status"]["allOf"][0])
    assert status["enum"] == ["harvesting", "successful", "failed"]
    detail = document["components"]["schemas"]["UploadDetail"]
    assert list(detail["properties"]) == [*SEED_KEYS, "report"]
    assert detail["properties"]["report"]["type"] == "object"


def test_the_list_is_a_plain_list_of_uploads(document):
    operation = document["paths"]["/api/v1/uploads/"]["get"]
    assert operation["operationId"] == "uploads_list"
    assert _statuses(operation) == {"200", "400", "401", "429", "500", "503"}
    assert _json_schema(operation["responses"]["200"]) == {"type": "array", "items": _ref("Upload")}
    assert operation["security"] == NEXUS_SECURITY
    assert "parameters" not in operation


def test_the_detail_has_its_id_and_answers_404(document):
    operation = document["paths"]["/api/v1/uploads/{id}/"]["get"]
    assert operation["operationId"] == "uploads_retrieve"
    assert [(p["name"], p["in"], p["schema"]) for p in operation["parameters"]] == [
        ("id", "path", {"type": "integer"}),
        ("wait", "query", {"type": "integer"}),
    ]
    assert operation["responses"]["200"]["headers"]["Retry-After"]["schema"] == {"type": "integer"}
    assert _statuses(operation) == {"200", "400", "401", "404", "429", "500", "503"}
    assert _json_schema(operation["responses"]["200"]) == _ref("UploadDetail")
    assert _json_schema(operation["responses"]["404"]) == _ref("NexusError")


def test_the_sync_tasks_upload_takes_the_file_only(document):
    operation = document["paths"]["/api/v1/sync_tasks_new/{id}/upload/"]["post"]
    assert operation["operationId"] == "sync_tasks_upload"
    assert operation["tags"] == ["Sync tasks"]
    assert sorted((p["name"], p["in"]) for p in operation["parameters"]) == [
        ("Idempotency-Key", "header"),
        ("id", "path"),
    ]
    form = _component(document, operation["requestBody"]["content"]["multipart/form-data"]["schema"])
    assert list(operation["requestBody"]["content"]) == ["multipart/form-data"]
    assert form["properties"] == {"upload_file": {"type": "string", "format": "binary"}}
    assert form["required"] == ["upload_file"]
    assert _statuses(operation) == {"201", "400", "401", "403", "404", "409", "413", "415", "422", "429", "500", "503"}
    assert _json_schema(operation["responses"]["201"]) == _ref("Upload")
    assert operation["security"] == NEXUS_SECURITY


@pytest.mark.django_db
def test_a_body_that_is_not_a_form_is_a_documented_415(document, client, supplier_token):
    conformance = Conformance(document)
    url = f"/api/v1/uploads/?token={supplier_token}"
    response = client.post(url, data=b'{"datasource": 1}', content_type="application/json")
    assert response.status_code == 415
    conformance(name="json", method="POST", path=url, headers={}, meta={}, response=response, raw=response.content)
    assert (conformance.checked, conformance.problems) == (1, [])
