"""The OpenAPI description of the sync tasks seed: the list's filters and pages, the bodies, scenario changes."""

import json

import pytest
from django.http import HttpResponse

from synctasks.models import TaskType
from tests.support.openapi import NEXUS_SECURITY, Conformance, openapi_document
from tests.support.openapi import json_schema as _json_schema
from tests.support.openapi import ref as _ref
from tests.support.synctasks import TASK_KEYS

LIST = "/api/v1/sync_tasks_new/"
DETAIL = "/api/v1/sync_tasks_new/{id}/"


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def _parameters(operation: dict) -> dict:
    return {p["name"]: p for p in operation["parameters"]}


def test_the_list_takes_the_seeds_filters_and_pages(document):
    operation = document["paths"][LIST]["get"]
    parameters = _parameters(operation)
    assert set(parameters) == {
        "dc_id",
        "feature_type",
        "locale",
        "private",
        "search",
        "task_type",
        "uploadable",
        "world",
        "page",
        "page_size",
    }
    assert all(p["in"] == "query" and not p.get("required") for p in parameters.values())
    dc_id = parameters["dc_id"]
    assert dc_id["schema"] == {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}}
    assert (dc_id["style"], dc_id["explode"]) == ("form", False)
    assert parameters["private"]["schema"] == {"type": "boolean"}
    assert parameters["uploadable"]["schema"] == {"type": "boolean"}
    assert parameters["task_type"]["schema"] == {"type": "string", "enum": ["calculation", "data_source", "scenario"]}
    assert parameters["task_type"]["schema"]["enum"] == sorted(TaskType.values)
    for name in ("feature_type", "locale", "search", "world"):
        assert parameters[name]["schema"] == {"type": "string"}, name
    assert parameters["page"]["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    assert parameters["page_size"]["schema"] == {"type": "integer", "default": 10, "maximum": 50}
    assert "Requires `locale`" in parameters["search"]["description"]
    assert "Requires a token" in parameters["private"]["description"]


def test_the_list_answers_a_page_of_sync_tasks_and_its_refusals(document):
    operation = document["paths"][LIST]["get"]
    assert operation["operationId"] == "sync_tasks_list"
    assert operation["tags"] == ["Sync tasks"]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "429", "500", "503"}
    for status in ("400", "401", "404"):
        assert _json_schema(operation["responses"][status]) == _ref("NexusError"), status
    page = document["components"]["schemas"][_json_schema(operation["responses"]["200"])["$ref"].rsplit("/")[-1]]
    assert sorted(page["required"]) == ["count", "next", "previous", "results"]
    assert page["properties"]["results"] == {"type": "array", "items": _ref("SyncTask")}
    assert page["properties"]["next"]["nullable"] is True
    examples = operation["responses"]["200"]["content"]["application/json"]["examples"]
    assert next(iter(examples.values()))["value"]["results"][0]["dataconnections"][0]["dc_id"] == 6
    # Public: without a token too (then public data source tasks only).
    assert operation["security"] == [*NEXUS_SECURITY, {}]


def test_the_sync_task_body_says_which_fields_need_a_token_and_which_may_be_null(document):
    task = document["components"]["schemas"]["SyncTask"]
    assert list(task["properties"]) == TASK_KEYS
    token_only = {"private", "harvest_last_success", "calculation", "scenario"}
    assert set(task["properties"]) - set(task["required"]) == token_only
    # Nullable objects inline (a nullable $ref would refuse the null under OAS 3.0.3).
    for name, keys in (
        ("data_source", ["description", "endpoint", "ext"]),
        ("calculation", ["id", "name", "description", "owner"]),
        ("scenario", ["analysis", "user_name"]),
    ):
        field = task["properties"][name]
        assert (field["type"], field["nullable"], list(field["properties"])) == ("object", True, keys), name
    assert task["properties"]["dataconnections"] == {"type": "array", "items": _ref("DataConnection")}
    connection = document["components"]["schemas"]["DataConnection"]
    enriched = {"retention_time", "n_features", "oldest_time", "newest_time"}
    assert set(connection["properties"]) - set(connection["required"]) == enriched
    assert connection["properties"]["join_to"]["allOf"] == [_ref("JoinTo")]
    assert connection["properties"]["output_params"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Property-choice combinations, e.g. category:motorway",
    }


def test_the_detail_takes_a_locale(document):
    operation = document["paths"][DETAIL]["get"]
    assert operation["operationId"] == "sync_tasks_retrieve"
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [("id", "path"), ("locale", "query")]
    assert set(operation["responses"]) == {"200", "400", "401", "404", "429", "500", "503"}
    assert _json_schema(operation["responses"]["200"]) == _ref("SyncTask")
    assert operation["security"] == [*NEXUS_SECURITY, {}]


def test_the_rename_takes_a_whole_json_body_and_needs_a_token(document):
    operation = document["paths"][DETAIL]["patch"]
    assert operation["operationId"] == "sync_tasks_rename"
    body = operation["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == _ref("ScenarioRenameRequest")
    rename = document["components"]["schemas"]["ScenarioRenameRequest"]
    assert rename["properties"] == {"name": {"type": "string", "minLength": 1, "maxLength": 300}}
    assert rename["required"] == ["name"]
    assert "PatchedScenarioRenameRequest" not in document["components"]["schemas"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "405", "413", "415", "429", "500", "503"}
    assert _json_schema(operation["responses"]["200"]) == _ref("SyncTask")
    assert _json_schema(operation["responses"]["405"]) == _ref("NexusError")
    assert operation["security"] == NEXUS_SECURITY


def test_the_delete_answers_204_without_a_body(document):
    operation = document["paths"][DETAIL]["delete"]
    assert operation["operationId"] == "sync_tasks_delete"
    assert set(operation["responses"]) == {"204", "400", "401", "403", "404", "405", "429", "500", "503"}
    assert "content" not in operation["responses"]["204"]
    assert _json_schema(operation["responses"]["403"]) == _ref("NexusError")
    assert operation["security"] == NEXUS_SECURITY


def test_the_seeds_examples_conform_to_their_schemas():
    # The examples are shown in Swagger UI and ReDoc: checked as if the server had answered them.
    document = openapi_document()
    conformance = Conformance(document)
    for path, method, status in (
        (LIST, "get", "200"),
        ("/api/v1/uploads/", "post", "201"),
    ):
        content = document["paths"][path][method]["responses"][status]["content"]["application/json"]
        for example in content["examples"].values():
            response = HttpResponse(json.dumps(example["value"]), status=int(status), content_type="application/json")
            conformance(
                name=path,
                method=method.upper(),
                path=path,
                headers={},
                meta={},
                response=response,
                raw=response.content,
            )
    assert (conformance.checked, conformance.problems) == (2, [])
