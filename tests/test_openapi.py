"""The OpenAPI document: valid without a warning, its shared parts (tags, token placements, error
shapes, no catch-all), and every real answer of the golden scenario conforming to it."""

import re

import pytest
from django.core.management import call_command

from accounts.schema import SCHEMES
from core.openapi import ERROR_COMPONENT, ERROR_MEDIA_TYPE, TAGS
from tests.support.answers_scenario import run_scenario
from tests.support.openapi import Conformance, openapi_document, operations

# Requests the golden scenario sends to no documented operation, on purpose: catch-all URLs and
# methods a route does not take (their 404 and 405 are each dialect's, checked by the golden answers).
UNROUTED_STATUSES = {404, 405}


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def test_the_document_is_the_same_each_time_it_is_generated(document):
    # Hooks that rewrote shared settings in place once lost components from the second request on.
    assert openapi_document() == openapi_document() == document
    names = document["components"]["schemas"]
    assert all(re.fullmatch(r"[a-zA-Z0-9.\-_]+", name) for name in names), sorted(names)


def test_the_document_validates_with_no_warning(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.0.3\n")


def test_one_security_scheme_per_placement(document):
    assert document["components"]["securitySchemes"] == SCHEMES
    placements = {(s.get("in"), s.get("name"), s.get("scheme")) for s in SCHEMES.values()}
    assert placements == {
        ("query", "token", None),
        ("header", "Authorization", None),
        (None, None, "bearer"),
        ("header", "api-token", None),
        ("query", "api-token", None),
        ("header", "X-Dataverse-key", None),
        ("query", "key", None),
    }


def test_operations_offer_their_dialects_placements_as_alternatives(document):
    expected = {
        ("/api/v1/uploads/", "post"): [{"tokenQuery": []}, {"tokenHeader": []}, {"bearer": []}],
        ("/healthz", "get"): [],
        ("/api/datasets/{ident}/add", "post"): [{"dataverseKey": []}, {"keyQuery": []}],
        ("/api/v1/datasets/{ident}/add", "post"): [{"dataverseKey": []}, {"keyQuery": []}],
        ("/api/v1/dataset/{short_name}/file.json", "post"): [
            {"apiTokenAuthorization": []},
            {"apiTokenHeader": []},
            {"apiTokenQuery": []},
        ],
        # Delta's ACLs may grant anonymous callers: no token is one of the alternatives.
        ("/v1/files/{org}/{project}", "get"): [{"bearer": []}, {"tokenHeader": []}, {}],
    }
    for (path, method), security in expected.items():
        assert document["paths"][path][method]["security"] == security, (path, method)
    for path, method, operation in operations(document):
        for requirement in operation["security"]:
            # One scheme per requirement: OpenAPI reads a list of them as "any one of these".
            assert len(requirement) <= 1, (path, method, requirement)
            assert set(requirement) <= set(SCHEMES)


def test_no_catch_all_route_is_an_operation(document):
    paths = set(document["paths"])
    assert not [p for p in paths if "{var}" in p or p in ("/v1/", "/api/")]
    assert "/api/schema/" not in paths
    for path in ("/healthz", "/readyz", "/blobs/direct/{signed}", "/blobs/download/{signed}/{filename}"):
        assert path in paths
    # Delta's sub-resources, read from the raw id by one view, are paths of their own.
    delta = {p for p in paths if p.startswith("/v1/files/")}
    assert delta == {
        "/v1/files/{org}/{project}",
        "/v1/files/{org}/{project}/{id}",
        "/v1/files/{org}/{project}/{id}/tags",
        "/v1/files/{org}/{project}/{id}/tags/{tag}",
        "/v1/files/{org}/{project}/{id}/undeprecate",
    }
    # Dataverse answers under /api/ and /api/v1/ alike: every path has its alias.
    dataverse = {
        p for p in paths if p.startswith(("/api/datasets/", "/api/files/", "/api/dataverses/", "/api/access/"))
    }
    assert len(dataverse) == 19
    assert {p.replace("/api/", "/api/v1/", 1) for p in dataverse} <= paths


def test_every_operation_is_tagged_by_dialect_and_answers_errors_in_its_shape(document):
    names = [tag["name"] for tag in TAGS]
    assert names == [
        "Nexus uploads",
        "Sync tasks",
        "Nexus Delta files",
        "Climate Data Gateway",
        "Dataverse",
        "Operations",
    ]
    assert [tag["name"] for tag in document["tags"]] == names
    from core.dialects import dialect_for_path

    for path, method, operation in operations(document):
        assert len(operation["tags"]) == 1 and operation["tags"][0] in names, (path, method)
        if path in ("/healthz", "/readyz"):
            continue
        dialect = dialect_for_path(path)
        for status in ("400", "401", "500", "503"):
            content = operation["responses"][status]["content"]
            ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT[dialect]}"}
            assert content[ERROR_MEDIA_TYPE[dialect]]["schema"] == ref, (path, method, status)
        assert "Retry-After" in operation["responses"]["503"]["headers"]


def test_redoc_and_swagger_ui_are_served(client):
    for url, marker in (("/api/docs/", b"swagger-ui"), ("/api/redoc/", b"redoc")):
        page = client.get(url)
        assert page.status_code == 200, url
        assert marker in page.content.lower(), url


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_answer_of_the_golden_scenario_conforms(pinned, demo, document):
    conformance = Conformance(document)
    answers = run_scenario(demo, observe=conformance)
    assert conformance.problems == []
    # The document itself is no operation of the document.
    unexpected = [u for u in conformance.unrouted if u[2] not in UNROUTED_STATUSES and u[0] != "schema"]
    assert unexpected == []
    # Nearly every answer is checked; only the catch-alls' and wrong methods' are not.
    assert conformance.checked + len(conformance.unrouted) == len(answers) == 181
    assert conformance.checked >= 160
