"""Real Delta answers, successes and refusals, checked against the OpenAPI document: each status is
documented for its operation, with its media type, and the body matches the component (JSON-LD read as JSON)."""

import json

import pytest
from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.testing import MockRequest, MockResponse

from accounts.models import User
from accounts.services import token_create
from files.models import IdentityKind, StorageType
from files.services import acl_grant, storage_create
from tests.support.files import NXV, auth, upload
from tests.support.openapi import openapi_document

pytestmark = pytest.mark.django_db
F = "/v1/files/org/proj"


@pytest.fixture(scope="module")
def spec():
    # openapi-core reads only application/json as JSON by default; Delta's bodies are application/ld+json.
    config = Config(extra_media_type_deserializers={"application/ld+json": json_loads})
    return OpenAPI.from_dict(openapi_document(), config=config)


@pytest.fixture
def check(spec):
    def conforms(response, method: str, url: str, status: int, **headers):
        assert response.status_code == status, response.content
        path, _, query = url.partition("?")
        args = dict(pair.split("=", 1) for pair in query.split("&")) if query else {}
        request = MockRequest("http://testserver", method, path, args=args, headers=headers)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        answer = MockResponse(
            raw, status_code=status, headers=dict(response.items()), content_type=response["Content-Type"]
        )
        result = spec.unmarshal_response(request, answer)
        assert list(result.errors) == [], (method, url, status, result.errors)
        return json.loads(raw) if response["Content-Type"] == "application/ld+json" else raw

    return conforms


@pytest.fixture
def admin(project):
    user = User.objects.create(username="admin")
    acl_grant(
        path="/",
        permissions=["files/write", "resources/read", "orgs/read", "projects/read", "acls/read"],
        identity=IdentityKind.USER,
        user=user,
    )
    return token_create(user=user, name="t").raw


def test_the_file_operations_answer_as_documented(client, check, writer, reader):
    h = auth(writer)
    body = check(upload(client, "post", F, writer), "post", F, 201)
    assert body["_rev"] == 1 and body["_origin"] == "Client"
    check(upload(client, "put", f"{F}/nxv:myfile", writer), "put", f"{F}/nxv:myfile", 201)
    check(upload(client, "put", f"{F}/nxv:myfile", writer), "put", f"{F}/nxv:myfile", 409)
    check(upload(client, "put", f"{F}/nxv:myfile?rev=1", writer), "put", f"{F}/nxv:myfile?rev=1", 200)
    check(upload(client, "put", f"{F}/nxv:myfile?rev=1", writer), "put", f"{F}/nxv:myfile?rev=1", 409)
    tag = json.dumps({"tag": "v1", "rev": 1})
    url = f"{F}/nxv:myfile/tags?rev=2"
    check(client.post(url, tag, content_type="application/json", **h), "post", url, 201)
    url = f"{F}/nxv:myfile/tags"
    assert check(client.get(url, **h), "get", url, 200)["tags"] == [{"rev": 1, "tag": "v1"}]
    check(client.get(url + "?rev=1&tag=v1", **h), "get", url + "?rev=1&tag=v1", 400)
    url = f"{F}/nxv:myfile"
    check(client.get(url, HTTP_ACCEPT="application/ld+json", **h), "get", url, 200)
    assert check(client.get(url + "?tag=v1", **h), "get", url + "?tag=v1", 200) == b"file content"
    check(client.get(url + "?rev=9", **h), "get", url + "?rev=9", 404)
    check(client.get(url, HTTP_ACCEPT="video/*", **h), "get", url, 406)
    check(client.delete(url, **h), "delete", url, 400)
    check(client.delete(url + "?rev=3", **auth(reader)), "delete", url + "?rev=3", 403)
    check(client.delete(url + "?rev=3", **h), "delete", url + "?rev=3", 200)
    check(client.delete(f"{F}/nxv:myfile/tags/v1?rev=4", **h), "delete", f"{F}/nxv:myfile/tags/v1?rev=4", 200)
    check(client.delete(f"{F}/nxv:myfile/tags/v1?rev=5", **h), "delete", f"{F}/nxv:myfile/tags/v1?rev=5", 404)
    url = f"{F}/nxv:myfile/undeprecate?rev=5"
    assert check(client.put(url, **h), "put", url, 200)["_deprecated"] is False
    check(client.put(url.replace("=5", "=6"), **h), "put", url.replace("=5", "=6"), 400)
    check(client.get(f"{F}/nxv:nothing", **h), "get", f"{F}/nxv:nothing", 404)


def test_a_listing_with_its_next_page_and_its_refusals(client, check, writer):
    for name in ("a", "b"):
        upload(client, "put", f"{F}/nxv:{name}", writer)
    body = check(client.get(F + "?size=1", **auth(writer)), "get", F + "?size=1", 200)
    assert body["_total"] == 2 and "_next" in body
    check(client.get(F + "?size=1001", **auth(writer)), "get", F + "?size=1001", 400)
    check(client.get(F), "get", F, 403)
    check(client.get("/v1/files/org/nope", **auth(writer)), "get", "/v1/files/org/nope", 403)


def test_links_and_upload_refusals(client, check, writer, s3_linkable):
    link = json.dumps({"path": "nowhere/x.png"})
    h = auth(writer)
    check(client.put(f"{F}/nxv:l", link, content_type="application/json", **h), "put", f"{F}/nxv:l", 400)
    url = F + "?storage=nxv:mys3storage"
    check(client.post(url, link, content_type="application/json", **h), "post", url, 400)
    check(upload(client, "post", url, writer), "post", url, 201)
    check(upload(client, "post", F + "?storage=nxv:nope", writer), "post", F + "?storage=nxv:nope", 404)
    check(upload(client, "post", F, writer, field="other"), "post", F, 400)
    check(client.post(F, b"x", content_type="text/plain", **h), "post", F, 415)


def test_orgs_projects_and_acls_answer_as_documented(client, check, admin, project):
    storage_create(project=project, iri=NXV + "other", type=StorageType.DISK)
    h = auth(admin)
    assert check(client.get("/v1/orgs", **h), "get", "/v1/orgs", 200)["_total"] == 1
    check(client.get("/v1/orgs/org", **h), "get", "/v1/orgs/org", 200)
    check(client.get("/v1/orgs/nope", **h), "get", "/v1/orgs/nope", 404)
    check(client.get("/v1/orgs/org"), "get", "/v1/orgs/org", 403)
    check(client.get("/v1/projects", **h), "get", "/v1/projects", 200)
    check(client.get("/v1/projects/org", **h), "get", "/v1/projects/org", 200)
    check(client.get("/v1/projects/nope", **h), "get", "/v1/projects/nope", 404)
    check(client.get("/v1/projects/org/proj", **h), "get", "/v1/projects/org/proj", 200)
    check(client.get("/v1/projects/org/nope", **h), "get", "/v1/projects/org/nope", 404)
    body = check(client.get("/v1/acls", **h), "get", "/v1/acls", 200)
    assert body["_results"][0]["_path"] == "/"
    check(client.get("/v1/acls/org?ancestors=true", **h), "get", "/v1/acls/org?ancestors=true", 200)
    check(client.get("/v1/acls/org/proj", **h), "get", "/v1/acls/org/proj", 200)
    check(client.get("/v1/acls/org/proj", HTTP_AUTHORIZATION="Bearer nope"), "get", "/v1/acls/org/proj", 401)


def test_org_project_writes_and_storages_answer_as_documented(client, check, admin):
    acl_grant(path="/", permissions=["orgs/create"], identity=IdentityKind.AUTHENTICATED)
    h = auth(admin)

    def put(url, body):
        return client.put(url, json.dumps(body), content_type="application/json", **h)

    check(put("/v1/orgs/lab", {"description": "A lab"}), "put", "/v1/orgs/lab", 201)
    check(put("/v1/orgs/lab", {}), "put", "/v1/orgs/lab", 409)
    check(put("/v1/orgs/lab?rev=1", {"description": "B"}), "put", "/v1/orgs/lab?rev=1", 200)
    check(put("/v1/orgs/lab?rev=1", {}), "put", "/v1/orgs/lab?rev=1", 409)
    check(put("/v1/orgs/a.b", {}), "put", "/v1/orgs/a.b", 400)
    check(client.get("/v1/orgs/lab?rev=1", **h), "get", "/v1/orgs/lab?rev=1", 200)
    check(client.get("/v1/orgs/lab?rev=5", **h), "get", "/v1/orgs/lab?rev=5", 404)
    mappings = [{"prefix": "ex", "namespace": "https://example.org/"}]
    url = "/v1/projects/lab/data"
    check(put(url, {"description": "D", "apiMappings": mappings}), "put", url, 201)
    check(put(url, {}), "put", url, 409)
    check(put(url + "?rev=1", {"vocab": "https://schema.org/"}), "put", url + "?rev=1", 200)
    check(put(url + "?rev=2", {"base": "nope"}), "put", url + "?rev=2", 400)
    check(client.get(url + "?rev=1", **h), "get", url + "?rev=1", 200)
    check(put("/v1/projects/nope/data", {}), "put", "/v1/projects/nope/data", 403)
    check(client.get("/v1/storages/lab/data", **h), "get", "/v1/storages/lab/data", 200)
    check(client.get("/v1/storages/lab/data/defaultStorage", **h), "get", "/v1/storages/lab/data/defaultStorage", 200)
    check(client.get("/v1/storages/lab/data/nxv:nope", **h), "get", "/v1/storages/lab/data/nxv:nope", 404)
    check(client.delete(url + "?rev=2", **h), "delete", url + "?rev=2", 200)
    check(client.delete(url + "?rev=3", **h), "delete", url + "?rev=3", 400)
    check(client.delete("/v1/orgs/lab?rev=2", **h), "delete", "/v1/orgs/lab?rev=2", 200)
    check(client.delete("/v1/orgs/lab", **h), "delete", "/v1/orgs/lab", 400)
