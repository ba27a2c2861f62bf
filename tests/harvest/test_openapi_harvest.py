"""The OpenAPI description of stored data and harvests (events CSV, sync, runs), and real answers against it."""

from datetime import UTC, datetime

import pytest

from harvest.models import HarvestRun, Measurement, RunStatus, Series
from tests.support.openapi import NEXUS_SECURITY, Conformance, openapi_document
from tests.support.openapi import component as _component
from tests.support.openapi import json_schema as _json_schema
from tests.support.openapi import ref as _ref

EVENTS = "/api/v1/dataconnections/{dc_id}/events/"


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def test_the_events_take_feature_parameter_and_a_time_range_and_answer_csv(document):
    operation = document["paths"][EVENTS]["get"]
    assert operation["operationId"] == "dataconnection_events"
    assert operation["tags"] == ["Nexus uploads"]
    parameters = {p["name"]: (p["in"], p["schema"], p.get("required", False)) for p in operation["parameters"]}
    assert parameters == {
        "dc_id": ("path", {"type": "integer"}, True),
        "feature": ("query", {"type": "string"}, True),
        "parameter": ("query", {"type": "string"}, True),
        "start": ("query", {"type": "string", "format": "date-time"}, False),
        "end": ("query", {"type": "string", "format": "date-time"}, False),
    }
    assert set(operation["responses"]) == {"200", "400", "401", "404", "429", "500", "503"}
    assert operation["responses"]["200"]["content"]["text/csv"]["schema"] == {"type": "string", "format": "binary"}
    for status in ("400", "404"):
        assert _json_schema(operation["responses"][status]) == _ref("NexusError")
    assert operation["security"] == [*NEXUS_SECURITY, {}]  # public connections need no token


def test_a_sync_takes_no_body_and_answers_202_with_the_queued_run(document):
    operation = document["paths"]["/api/v1/sync_tasks_new/{id}/sync/"]["post"]
    assert operation["operationId"] == "sync_tasks_sync"
    assert operation["tags"] == ["Sync tasks"]
    assert "requestBody" not in operation
    assert [(p["name"], p["in"]) for p in operation["parameters"]] == [("id", "path")]
    assert set(operation["responses"]) == {"202", "400", "401", "403", "404", "429", "500", "503"}
    queued = _component(document, _json_schema(operation["responses"]["202"]))
    assert sorted(queued["required"]) == ["id", "status"]
    assert _component(document, queued["properties"]["status"])["enum"] == ["queued"]
    assert operation["security"] == NEXUS_SECURITY


def test_the_runs_are_a_page_of_harvest_runs(document):
    operation = document["paths"]["/api/v1/sync_tasks_new/{id}/runs/"]["get"]
    assert operation["operationId"] == "sync_tasks_runs"
    assert [p["name"] for p in operation["parameters"]] == ["id", "page", "page_size"]
    assert operation["parameters"][2]["schema"] == {"type": "integer", "default": 10, "maximum": 50}
    assert set(operation["responses"]) == {"200", "400", "401", "404", "429", "500", "503"}
    page = _component(document, _json_schema(operation["responses"]["200"]))
    assert page["properties"]["results"] == {"type": "array", "items": _ref("HarvestRun")}
    run = document["components"]["schemas"]["HarvestRun"]
    assert sorted(run["required"]) == sorted(
        ["id", "status", "created", "started", "finished", "attempts", "bytes", "report"]
    )
    assert _component(document, run["properties"]["status"])["enum"] == RunStatus.values


def _problems(document, client, method: str, url: str, expected: int) -> list[str]:
    conformance = Conformance(document)
    response = getattr(client, method.lower())(url)
    assert response.status_code == expected, response.content
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    conformance(name=url, method=method, path=url, headers={}, meta={}, response=response, raw=raw)
    assert conformance.checked == 1
    return conformance.problems


@pytest.mark.django_db
def test_real_answers_of_sync_runs_and_events_conform(document, client, knmi):
    task, token = knmi["task"], knmi["token"]
    assert _problems(document, client, "POST", f"/api/v1/sync_tasks_new/{task.pk}/sync/?token={token}", 202) == []
    HarvestRun.objects.create(
        sync_task=task,
        status=RunStatus.SUCCESSFUL,
        started=datetime(2024, 1, 3, 12, tzinfo=UTC),
        finished=datetime(2024, 1, 3, 12, 1, tzinfo=UTC),
        attempts=1,
        bytes=2048,
        report={"rows_inserted": 3},
    )
    runs = f"/api/v1/sync_tasks_new/{task.pk}/runs/?page_size=1&token={token}"
    assert _problems(document, client, "GET", runs, 200) == []
    assert _problems(document, client, "GET", f"{runs}&page=2", 200) == []
    series = Series.objects.create(data_connection=knmi["series"], feature_key="260", parameter="parameter:prec_mm_d")
    Measurement.objects.create(series=series, timestamp=datetime(2024, 1, 1, tzinfo=UTC), value=1.5)
    events = f"/api/v1/dataconnections/{knmi['series'].pk}/events/?feature=260&parameter=parameter:prec_mm_d"
    assert _problems(document, client, "GET", events, 200) == []
    assert _problems(document, client, "GET", f"{events}&start=yesterday", 400) == []
