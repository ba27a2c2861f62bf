"""The Delta dialect in the OpenAPI document: its real paths (the sub-resources hidden in `{rest}` too),
parameters with the settings' limits, request bodies and the statuses of each operation."""

import pytest
from django.test import override_settings
from drf_spectacular.drainage import GENERATOR_STATS

from tests.support.openapi import openapi_document

F = "/v1/files/{org}/{project}"
FILE = F + "/{id}"
REF = "#/components/schemas/"
LD = "application/ld+json"


@pytest.fixture(scope="module")
def document():
    return openapi_document()


def params(operation) -> dict:
    return {(p["in"], p["name"]): p for p in operation.get("parameters", [])}


def statuses(operation) -> dict:
    """status -> {media type: schema $ref or type}."""
    found = {}
    for status, response in operation["responses"].items():
        found[int(status)] = {
            media: content["schema"].get("$ref", content["schema"].get("format"))
            for media, content in response.get("content", {}).items()
        }
    return found


def error(*codes: int) -> dict:
    return {code: {LD: REF + "DeltaError"} for code in codes}


def test_the_real_delta_paths_are_documented_and_no_catch_all(document):
    delta = {
        p: sorted(m for m in item if m in ("get", "put", "post", "delete")) for p, item in document["paths"].items()
    }
    delta = {p: m for p, m in delta.items() if p.startswith("/v1/")}
    assert delta == {
        F: ["get", "post"],
        FILE: ["delete", "get", "put"],
        FILE + "/tags": ["delete", "get", "post"],
        FILE + "/tags/{tag}": ["delete"],
        FILE + "/undeprecate": ["put"],
        "/v1/orgs": ["get"],
        "/v1/orgs/{label}": ["delete", "get", "put"],
        "/v1/projects": ["get"],
        "/v1/projects/{org}": ["get"],
        "/v1/projects/{org}/{label}": ["delete", "get", "put"],
        "/v1/storages/{org}/{project}": ["get"],
        "/v1/storages/{org}/{project}/{id}": ["get"],
        "/v1/acls": ["get"],
        "/v1/acls/{org}": ["get"],
        "/v1/acls/{org}/{project}": ["get"],
    }
    operation_ids = [
        op["operationId"] for p, item in document["paths"].items() if p.startswith("/v1/") for op in item.values()
    ]
    assert len(operation_ids) == len(set(operation_ids)) == 24
    for path, item in document["paths"].items():
        if path.startswith("/v1/"):
            for operation in item.values():
                assert operation["tags"] == ["Nexus Delta files"]
                assert operation["security"] == [{"bearer": []}, {"tokenHeader": []}, {}]


def test_the_listing_parameters_and_their_limits(document):
    listing = document["paths"][F]["get"]
    found = params(listing)
    assert set(found) == {
        ("path", "org"),
        ("path", "project"),
        *(
            ("query", name)
            for name in (
                "from",
                "size",
                "after",
                "deprecated",
                "rev",
                "type",
                "createdBy",
                "updatedBy",
                "q",
                "locate",
                "id",
            )
        ),
    }
    assert found["query", "size"]["schema"] == {
        "type": "integer",
        "format": "int32",
        "minimum": 1,
        "maximum": 1000,
        "default": 20,
    }
    assert found["query", "from"]["schema"] == {
        "type": "integer",
        "format": "int32",
        "minimum": 0,
        "maximum": 10000,
        "default": 0,
    }
    assert found["query", "deprecated"]["schema"] == {"type": "boolean"}
    assert found["query", "type"]["schema"] == {"type": "array", "items": {"type": "string"}}
    assert found["query", "type"]["explode"] is True
    assert statuses(listing) == {200: {LD: REF + "DeltaFileListing"}, **error(400, 401, 403, 404, 429, 500, 503)}


@override_settings(NEXUS_DELTA_LIST_SIZE_LIMIT=50, NEXUS_DELTA_LIST_SIZE_DEFAULT=10, NEXUS_DELTA_LIST_FROM_LIMIT=99)
def test_the_limits_are_the_settings_when_the_document_is_generated():
    found = params(openapi_document()["paths"][F]["get"])
    assert (found["query", "size"]["schema"]["maximum"], found["query", "size"]["schema"]["default"]) == (50, 10)
    assert found["query", "from"]["schema"]["maximum"] == 99


def test_create_takes_a_multipart_file_part_or_a_link(document):
    create = document["paths"][F]["post"]
    content = create["requestBody"]["content"]
    assert {media: body["schema"]["$ref"] for media, body in content.items()} == {
        "multipart/form-data": REF + "DeltaFileUploadRequest",
        "application/json": REF + "DeltaFileLinkRequest",
    }
    schemas = document["components"]["schemas"]
    upload = schemas["DeltaFileUploadRequest"]
    assert upload["properties"] == {"file": {"type": "string", "format": "binary"}}
    assert upload["required"] == ["file"]
    link = schemas["DeltaFileLinkRequest"]
    assert set(link["properties"]) == {"path", "filename", "mediaType"} and link["required"] == ["path"]
    assert set(params(create)) == {("path", "org"), ("path", "project"), ("query", "storage"), ("query", "tag")}
    assert statuses(create) == {201: {LD: REF + "DeltaFile"}, **error(400, 401, 403, 404, 413, 415, 429, 500, 503)}


def test_fetch_offers_the_metadata_or_the_bytes_at_a_rev_or_a_tag(document):
    fetch = document["paths"][FILE]["get"]
    found = params(fetch)
    assert set(found) == {("path", "org"), ("path", "project"), ("path", "id"), ("query", "rev"), ("query", "tag")}
    assert found["query", "rev"]["schema"]["minimum"] == 1 and not found["query", "rev"].get("required")
    assert found["query", "tag"]["schema"]["maxLength"] == 64
    assert "Not together with `tag`" in found["query", "rev"]["description"]
    assert statuses(fetch) == {
        200: {LD: REF + "DeltaFile", "*/*": "binary"},
        **error(400, 401, 403, 404, 406, 429, 500, 503),
    }
    assert set(fetch["responses"]["200"]["headers"]) == {"Content-Disposition", "Vary"}
    assert "UnacceptedResponseContentTypeRejection" in fetch["responses"]["406"]["description"]
    assert "FetchRejection" in fetch["responses"]["500"]["description"]


def test_put_creates_or_updates_by_rev(document):
    put = document["paths"][FILE]["put"]
    found = params(put)
    assert set(found) == {
        ("path", "org"),
        ("path", "project"),
        ("path", "id"),
        ("query", "rev"),
        ("query", "storage"),
        ("query", "tag"),
    }
    assert not found["query", "rev"].get("required")
    assert set(put["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert statuses(put) == {
        200: {LD: REF + "DeltaFile"},
        201: {LD: REF + "DeltaFile"},
        **error(400, 401, 403, 404, 409, 413, 415, 429, 500, 503),
    }
    conflicts = put["responses"]["409"]["description"]
    assert "ResourceAlreadyExists" in conflicts and "IncorrectRev" in conflicts


@pytest.mark.parametrize(
    ("path", "method", "status", "extra"),
    [
        (FILE, "delete", 200, ()),
        (FILE + "/tags", "delete", 200, ()),
        (FILE + "/tags", "post", 201, (413,)),
        (FILE + "/tags/{tag}", "delete", 200, ()),
        (FILE + "/undeprecate", "put", 200, ()),
    ],
)
def test_the_changes_need_the_current_rev(document, path, method, status, extra):
    operation = document["paths"][path][method]
    found = params(operation)
    assert found["query", "rev"]["required"] is True
    assert found["query", "rev"]["schema"] == {"type": "integer", "format": "int32"}
    assert ("path", "tag") in found if path.endswith("{tag}") else ("path", "tag") not in found
    assert statuses(operation) == {
        status: {LD: REF + "DeltaFile"},
        **error(400, 401, 403, 404, 409, 429, 500, 503, *extra),
    }
    assert "IncorrectRev" in operation["responses"]["409"]["description"]
    assert ("requestBody" in operation) == (method == "post")
    assert "MissingQueryParam" in operation["responses"]["400"]["description"]


def test_tagging_takes_the_tag_and_rev_body(document):
    tag = document["paths"][FILE + "/tags"]["post"]
    assert {m: b["schema"]["$ref"] for m, b in tag["requestBody"]["content"].items()} == {
        "application/json": REF + "DeltaTagRequest"
    }
    assert tag["requestBody"]["required"] is True
    body = document["components"]["schemas"]["DeltaTagRequest"]
    assert body["required"] == ["tag", "rev"]
    assert (body["properties"]["tag"]["maxLength"], body["properties"]["rev"]["type"]) == (64, "integer")
    assert "RevisionNotFound" in tag["responses"]["404"]["description"]
    tags = document["paths"][FILE + "/tags"]["get"]
    assert statuses(tags) == {200: {LD: REF + "DeltaTags"}, **error(400, 401, 403, 404, 429, 500, 503)}


def test_orgs_projects_and_acls(document):
    paths = document["paths"]
    assert statuses(paths["/v1/orgs"]["get"]) == {
        200: {LD: REF + "DeltaOrganizationListing"},
        **error(400, 401, 429, 500, 503),
    }
    assert statuses(paths["/v1/orgs/{label}"]["get"]) == {
        200: {LD: REF + "DeltaOrganization"},
        **error(400, 401, 403, 404, 429, 500, 503),
    }
    assert statuses(paths["/v1/projects/{org}"]["get"]) == {
        200: {LD: REF + "DeltaProjectListing"},
        **error(400, 401, 404, 429, 500, 503),
    }
    assert statuses(paths["/v1/projects/{org}/{label}"]["get"]) == {
        200: {LD: REF + "DeltaProject"},
        **error(400, 401, 403, 404, 429, 500, 503),
    }
    acls = paths["/v1/acls/{org}/{project}"]["get"]
    assert statuses(acls) == {200: {LD: REF + "DeltaAclListing"}, **error(400, 401, 404, 429, 500, 503)}
    assert statuses(paths["/v1/acls"]["get"]) == {200: {LD: REF + "DeltaAclListing"}, **error(400, 401, 429, 500, 503)}
    assert params(acls)["query", "ancestors"]["schema"] == {"type": "boolean", "default": False}
    assert "OrganizationNotFound" in paths["/v1/orgs/{label}"]["get"]["responses"]["404"]["description"]


def test_org_project_writes_and_storages(document):
    paths = document["paths"]
    org_put = paths["/v1/orgs/{label}"]["put"]
    assert statuses(org_put) == {
        200: {LD: REF + "DeltaOrganizationMetadata"},
        201: {LD: REF + "DeltaOrganizationMetadata"},
        **error(400, 401, 403, 404, 409, 429, 500, 503),
    }
    assert org_put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "DeltaOrganizationPayloadRequest"
    }
    assert "`OrganizationAlreadyExists`" in org_put["responses"]["409"]["description"]
    org_delete = paths["/v1/orgs/{label}"]["delete"]
    assert params(org_delete)["query", "rev"]["required"] is True
    assert statuses(org_delete) == {
        200: {LD: REF + "DeltaOrganizationMetadata"},
        **error(400, 401, 403, 404, 409, 429, 500, 503),
    }
    project_put = paths["/v1/projects/{org}/{label}"]["put"]
    assert project_put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": REF + "DeltaProjectPayloadRequest"
    }
    assert "`ProjectAlreadyExists`" in project_put["responses"]["409"]["description"]
    assert "`OrganizationIsDeprecated`" in project_put["responses"]["400"]["description"]
    assert statuses(paths["/v1/projects/{org}/{label}"]["delete"])[200] == {LD: REF + "DeltaProjectMetadata"}
    assert statuses(paths["/v1/storages/{org}/{project}"]["get"]) == {
        200: {LD: REF + "DeltaStorageListing"},
        **error(400, 401, 403, 404, 429, 500, 503),
    }
    assert statuses(paths["/v1/storages/{org}/{project}/{id}"]["get"])[200] == {LD: REF + "DeltaStorage"}


def test_no_component_is_named_after_a_json_ld_keyword(document):
    names = set(document["components"]["schemas"])
    delta = {n for n in names if n.startswith("Delta")}
    assert {"DeltaFile", "DeltaListedFile", "DeltaFileListing", "DeltaTags", "DeltaAclListing"} <= delta
    assert not [n for n in delta if "@" in n]
    assert document["components"]["schemas"]["DeltaFile"]["properties"]["@type"] == {"$ref": REF + "DeltaFileType"}


def test_the_delta_views_generate_without_a_warning_or_error():
    GENERATOR_STATS.reset()
    openapi_document()
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    assert [m for m in messages if "files/api/" in m or "'/v1/" in m] == []


def test_every_400_names_the_guards_types(document):
    for path, item in document["paths"].items():
        if path.startswith("/v1/"):
            for operation in item.values():
                text = operation["responses"]["400"]["description"]
                assert "`MalformedRequest`" in text and "`MalformedQueryParamRejection`" in text, path
