"""The lifecycle around the files: orgs and projects created, updated (`?rev=`), deprecated and read at a
revision through the API, with the reference's bodies and errors; the storages read; and what a
refused write leaves (nothing)."""

import json

import pytest

from accounts.models import User
from accounts.services import token_create
from files.models import Acl, IdentityKind, Org, OrgRevision, Project, ProjectRevision, Storage
from files.services import acl_grant
from tests.support.files import NXV, auth, upload

pytestmark = pytest.mark.django_db

CTX = "https://bluebrain.github.io/nexus/contexts/"
ERROR = CTX + "error.json"
ALICE = "http://testserver/v1/realms/local/users/alice"
OWNER = [
    "acls/read",
    "files/write",
    "orgs/read",
    "orgs/write",
    "projects/create",
    "projects/read",
    "projects/write",
    "resources/read",
]
DEFAULT_MAPPINGS = [
    {"_namespace": NXV, "_prefix": "nxv"},
    {"_namespace": NXV + "diskStorageDefault", "_prefix": "storage"},
    {"_namespace": NXV + "diskStorageDefault", "_prefix": "defaultStorage"},
]


@pytest.fixture
def alice(db):
    """A user who may create orgs (on `/`), nothing else yet."""
    user = User.objects.create(username="alice")
    acl_grant(path="/", permissions=["orgs/create"], identity=IdentityKind.USER, user=user)
    return auth(token_create(user=user, name="t").raw)


@pytest.fixture
def nobody(db):
    return auth(token_create(user=User.objects.create(username="nobody"), name="t").raw)


def put(client, url, body, headers, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return client.put(url, data, content_type="application/json", **headers)


def ms(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def org_metadata(org: Org, *, context: str = "organizations-metadata.json") -> dict:
    url = f"http://testserver/v1/orgs/{org.label}"
    return {
        "@context": [CTX + context, CTX + "metadata.json"],
        "@id": url,
        "@type": "Organization",
        "_constrainedBy": "https://bluebrain.github.io/nexus/schemas/organizations.json",
        "_createdAt": ms(org.created_at),
        "_createdBy": ALICE,
        "_deprecated": org.deprecated,
        "_label": org.label,
        "_rev": org.rev,
        "_self": url,
        "_updatedAt": ms(org.updated_at),
        "_updatedBy": ALICE,
        "_uuid": str(org.uuid),
    }


def registry_counts():
    return (
        Org.objects.count(),
        OrgRevision.objects.count(),
        Project.objects.count(),
        ProjectRevision.objects.count(),
        Storage.objects.count(),
        Acl.objects.count(),
    )


def error(response, status: int, type_: str, reason: str, **extra) -> None:
    assert (response.status_code, response.json()) == (
        status,
        {"@context": ERROR, "@type": type_, "reason": reason, **extra},
    )


def test_an_org_is_created_updated_read_at_each_revision_and_deprecated(client, alice):
    created = put(client, "/v1/orgs/neworg", {"description": "first"}, alice)
    org = Org.objects.get(label="neworg")
    assert created.status_code == 201
    assert list(created.json()) == list(org_metadata(org))  # Delta's key order
    assert created.json() == org_metadata(org)
    assert org.created_at == org.updated_at
    # The creator owns it, as Delta's owner permissions.
    assert Acl.objects.get(path="/neworg").permissions == OWNER

    fetched = client.get("/v1/orgs/neworg", **alice)
    assert fetched.json() == {**org_metadata(org, context="organizations.json"), "description": "first"}

    before = registry_counts()
    duplicate = put(client, "/v1/orgs/neworg", {"description": "again"}, alice)
    error(duplicate, 409, "OrganizationAlreadyExists", "Organization 'neworg' already exists.", label="neworg")
    assert registry_counts() == before

    # A fetched body sent back (as nexus-sdk's update does): its `@`/`_` keys are ignored.
    updated = put(client, "/v1/orgs/neworg?rev=1", {**fetched.json(), "description": "second"}, alice)
    org.refresh_from_db()
    assert (updated.status_code, updated.json()) == (200, org_metadata(org))
    assert (org.rev, org.description) == (2, "second")

    stale = put(client, "/v1/orgs/neworg?rev=1", {"description": "lost"}, alice)
    error(
        stale,
        409,
        "IncorrectRev",
        "Incorrect revision '1' provided, expected '2', the organization may have been updated since last seen.",
        provided=1,
        expected=2,
    )
    org.refresh_from_db()
    assert (org.rev, org.description, OrgRevision.objects.filter(org=org).count()) == (2, "second", 2)

    assert client.get("/v1/orgs/neworg?rev=1", **alice).json()["description"] == "first"
    at1 = client.get("/v1/orgs/neworg?rev=1", **alice).json()
    assert (at1["_rev"], at1["_updatedAt"]) == (1, ms(org.created_at))
    assert client.get("/v1/orgs/neworg?rev=2", **alice).json()["description"] == "second"
    error(
        client.get("/v1/orgs/neworg?rev=3", **alice),
        404,
        "RevisionNotFound",
        "Revision requested '3' not found, last known revision is '2'.",
    )

    # An update without a description clears it (Delta's payload replaces it); the body omits it then.
    put(client, "/v1/orgs/neworg?rev=2", {}, alice)
    assert "description" not in client.get("/v1/orgs/neworg", **alice).json()

    deprecated = client.delete("/v1/orgs/neworg?rev=3", **alice)
    org.refresh_from_db()
    assert (deprecated.status_code, deprecated.json()) == (200, org_metadata(org))
    assert (org.rev, org.deprecated) == (4, True)

    before = registry_counts()
    error(
        put(client, "/v1/orgs/neworg?rev=4", {}, alice),
        400,
        "OrganizationIsDeprecated",
        "Organization 'neworg' is deprecated.",
    )
    error(
        client.delete("/v1/orgs/neworg?rev=4", **alice),
        400,
        "OrganizationIsDeprecated",
        "Organization 'neworg' is deprecated.",
    )
    error(
        put(client, "/v1/projects/neworg/proj", {}, alice),
        400,
        "OrganizationIsDeprecated",
        "Organization 'neworg' is deprecated.",
    )
    assert registry_counts() == before
    assert client.get("/v1/orgs/neworg?rev=3", **alice).json()["_deprecated"] is False


def test_org_writes_need_their_permission_and_refused_ones_leave_nothing(client, alice, nobody):
    before = registry_counts()
    refused = put(client, "/v1/orgs/neworg", {"description": "x"}, nobody)
    error(
        refused,
        403,
        "AuthorizationFailed",
        "The supplied authentication is not authorized to access this resource.",
        details="Permission 'orgs/create' is missing on '/neworg'.",
    )
    assert client.put("/v1/orgs/neworg", "{}", content_type="application/json").status_code == 403  # anonymous
    assert registry_counts() == before

    assert put(client, "/v1/orgs/neworg", {}, alice).status_code == 201
    before = registry_counts()
    assert put(client, "/v1/orgs/neworg?rev=1", {"description": "x"}, nobody).json()["details"] == (
        "Permission 'orgs/write' is missing on '/neworg'."
    )
    assert client.delete("/v1/orgs/neworg?rev=1", **nobody).status_code == 403
    assert client.get("/v1/orgs/neworg", **nobody).status_code == 403
    assert registry_counts() == before
    assert Org.objects.get(label="neworg").rev == 1


@pytest.mark.parametrize(
    ("url", "body", "status", "type_"),
    [
        ("/v1/orgs/bad%20label", "{}", 400, "ValidationRejection"),
        ("/v1/orgs/" + "x" * 65, "{}", 400, "ValidationRejection"),
        ("/v1/orgs/neworg", '{"name": "x"}', 400, "MalformedRequestContentRejection"),
        ("/v1/orgs/neworg", '{"description": 5}', 400, "MalformedRequestContentRejection"),
        ("/v1/orgs/neworg", "[1]", 400, "MalformedRequestContentRejection"),
        ("/v1/orgs/neworg", "not json", 400, "MalformedRequestContentRejection"),
        ("/v1/orgs/neworg", "", 400, "RequestEntityExpectedRejection"),
        ("/v1/orgs/neworg?rev=x", "{}", 400, "MalformedQueryParamRejection"),
        ("/v1/orgs/nope?rev=1", "{}", 404, "OrganizationNotFound"),
    ],
)
def test_refused_org_payloads(client, alice, url, body, status, type_):
    acl_grant(path="/", permissions=["orgs/write"], identity=IdentityKind.AUTHENTICATED)
    before = registry_counts()
    response = put(client, url, None, alice, raw=body)
    assert (response.status_code, response.json()["@type"]) == (status, type_)
    assert registry_counts() == before


def test_illegal_label_body(client, alice):
    error(
        put(client, "/v1/orgs/a.b", {}, alice),
        400,
        "ValidationRejection",
        "'a.b' did not match the expected label format '[a-zA-Z0-9_-]{1,64}'.",
    )
    # Without `rev`, before any permission check (as Delta's routes): an org's is InvalidDeleteRequest.
    error(
        client.delete("/v1/orgs/neworg", **alice),
        400,
        "InvalidDeleteRequest",
        "Invalid organization 'neworg' DELETE request. To deprecate, 'rev' must be provided and 'prune' must "
        "be 'false' or omitted.",
    )
    error(
        client.delete("/v1/projects/neworg/proj", **alice),
        400,
        "MissingQueryParam",
        "Request is missing required query parameter 'rev'.",
    )


def project_metadata(project: Project, mappings=()) -> dict:
    url = f"http://testserver/v1/projects/{project.org.label}/{project.label}"
    return {
        "@context": [CTX + "projects-metadata.json", CTX + "metadata.json"],
        "@id": url,
        "@type": "Project",
        "_constrainedBy": "https://bluebrain.github.io/nexus/schemas/projects.json",
        "_createdAt": ms(project.created_at),
        "_createdBy": ALICE,
        "_deprecated": project.deprecated,
        "_effectiveApiMappings": [*DEFAULT_MAPPINGS, *mappings],
        "_label": project.label,
        "_markedForDeletion": False,
        "_organizationLabel": project.org.label,
        "_organizationUuid": str(project.org.uuid),
        "_rev": project.rev,
        "_self": url,
        "_updatedAt": ms(project.updated_at),
        "_updatedBy": ALICE,
        "_uuid": str(project.uuid),
    }


PAYLOAD = {
    "description": "My project",
    "base": "https://example.org/ids/",
    "vocab": "https://schema.org/",
    "apiMappings": [{"prefix": "ex", "namespace": "https://example.org/ns/"}],
}


@pytest.fixture
def neworg(client, alice):
    assert put(client, "/v1/orgs/neworg", {"description": "mine"}, alice).status_code == 201


def test_a_project_is_created_with_its_storage_updated_deprecated_and_read_at_each_revision(client, alice, neworg):
    created = put(client, "/v1/projects/neworg/proj", PAYLOAD, alice)
    project = Project.objects.get(label="proj")
    ex = {"_namespace": "https://example.org/ns/", "_prefix": "ex"}
    assert (created.status_code, created.json()) == (201, project_metadata(project, [ex]))
    assert list(Storage.objects.filter(project=project).values_list("iri", "type", "default")) == [
        (NXV + "diskStorageDefault", "DiskStorage", True)
    ]
    assert Acl.objects.get(path="/neworg/proj").permissions == OWNER

    fetched = client.get("/v1/projects/neworg/proj", **alice).json()
    metadata = project_metadata(project, [ex])
    assert fetched == {
        **metadata,
        "@context": [CTX + "projects.json", CTX + "metadata.json"],
        "apiMappings": [{"prefix": "ex", "namespace": "https://example.org/ns/"}],
        "base": "https://example.org/ids/",
        "description": "My project",
        "vocab": "https://schema.org/",
    }
    # Ids expand with the project's base and mappings.
    assert (
        upload(client, "put", "/v1/files/neworg/proj/ex:thing", alice["HTTP_AUTHORIZATION"][7:]).json()["@id"]
        == "https://example.org/ns/thing"
    )

    before = registry_counts()
    error(
        put(client, "/v1/projects/neworg/proj", PAYLOAD, alice),
        409,
        "ProjectAlreadyExists",
        "Project 'neworg/proj' already exists.",
        label="proj",
        orgLabel="neworg",
    )
    error(
        put(client, "/v1/projects/neworg/proj?rev=2", PAYLOAD, alice),
        409,
        "IncorrectRev",
        "Incorrect revision '2' provided, expected '1', the project may have been updated since last seen.",
        provided=2,
        expected=1,
    )
    assert registry_counts() == before

    # The fetched body sent back with one change (nexus-sdk's update); absent fields get their defaults.
    updated = put(client, "/v1/projects/neworg/proj?rev=1", {**fetched, "description": "Renamed", "base": None}, alice)
    project.refresh_from_db()
    assert (updated.status_code, updated.json()) == (200, project_metadata(project, [ex]))
    again = client.get("/v1/projects/neworg/proj", **alice).json()
    assert (again["_rev"], again["description"], again["base"]) == (
        2,
        "Renamed",
        "http://testserver/v1/resources/neworg/proj/_/",
    )
    at1 = client.get("/v1/projects/neworg/proj?rev=1", **alice).json()
    assert {k: at1[k] for k in ("_rev", "description", "base", "vocab", "apiMappings")} == {
        "_rev": 1,
        **{k: PAYLOAD[k] for k in ("description", "base", "vocab", "apiMappings")},
    }
    assert client.get("/v1/projects/neworg/proj?rev=9", **alice).json()["@type"] == "RevisionNotFound"

    deprecated = client.delete("/v1/projects/neworg/proj?rev=2", **alice)
    project.refresh_from_db()
    assert (deprecated.status_code, deprecated.json()) == (200, project_metadata(project, [ex]))
    assert (project.rev, project.deprecated) == (3, True)

    before = registry_counts()
    token = alice["HTTP_AUTHORIZATION"][7:]
    refused = upload(client, "put", "/v1/files/neworg/proj/ex:other", token)
    error(refused, 400, "ProjectIsDeprecated", "Project 'neworg/proj' is deprecated.")
    error(
        put(client, "/v1/projects/neworg/proj?rev=3", {}, alice),
        400,
        "ProjectIsDeprecated",
        "Project 'neworg/proj' is deprecated.",
    )
    assert registry_counts() == before


def test_project_writes_need_their_permission_and_an_org(client, alice, nobody, neworg):
    before = registry_counts()
    refused = put(client, "/v1/projects/neworg/proj", PAYLOAD, nobody)
    assert (refused.status_code, refused.json()["details"]) == (
        403,
        "Permission 'projects/create' is missing on '/neworg/proj'.",
    )
    assert registry_counts() == before
    # Delta checks the permission before the org: with it, an unknown org is 404.
    acl_grant(path="/", permissions=["projects/create"], identity=IdentityKind.AUTHENTICATED)
    before = registry_counts()
    error(
        put(client, "/v1/projects/nope/proj", {}, nobody), 404, "OrganizationNotFound", "Organization 'nope' not found."
    )
    assert registry_counts() == before

    assert put(client, "/v1/projects/neworg/proj", {}, alice).status_code == 201
    before = registry_counts()
    assert put(client, "/v1/projects/neworg/proj?rev=1", {}, nobody).json()["details"] == (
        "Permission 'projects/write' is missing on '/neworg/proj'."
    )
    assert client.delete("/v1/projects/neworg/proj?rev=1", **nobody).status_code == 403
    error(
        put(client, "/v1/projects/neworg/nope?rev=1", {}, alice),
        404,
        "ProjectNotFound",
        "Project 'neworg/nope' not found.",
    )
    assert registry_counts() == before
    assert Project.objects.get(label="proj").rev == 1


@pytest.mark.parametrize(
    "body",
    [
        {"base": "not an iri/"},
        {"base": "https://example.org/no-slash"},
        {"vocab": 3},
        {"apiMappings": {"ex": "https://example.org/"}},
        {"apiMappings": [{"prefix": "ex"}]},
        {"apiMappings": [{"prefix": "ex", "namespace": "nope"}]},
        {"apiMappings": [{"prefix": "a b", "namespace": "https://example.org/"}]},
        {"apiMappings": [{"prefix": "ex", "namespace": "https://a/"}, {"prefix": "ex", "namespace": "https://b/"}]},
        {"name": "unknown field"},
    ],
)
def test_refused_project_payloads_create_nothing(client, alice, neworg, body):
    before = registry_counts()
    response = put(client, "/v1/projects/neworg/proj", body, alice)
    assert (response.status_code, response.json()["@type"]) == (400, "MalformedRequestContentRejection")
    assert registry_counts() == before


def test_the_storages_are_read_by_their_ids(client, alice, neworg):
    assert put(client, "/v1/projects/neworg/proj", {}, alice).status_code == 201
    storage = Storage.objects.get(project__label="proj")
    url = "http://testserver/v1/storages/neworg/proj/https:%2F%2Fbluebrain.github.io%2Fnexus%2Fvocabulary%2FdiskStorageDefault"
    listed = {
        "@id": NXV + "diskStorageDefault",
        "@type": ["Storage", "DiskStorage"],
        "_algorithm": "SHA-256",
        "_constrainedBy": "https://bluebrain.github.io/nexus/schemas/storages.json",
        "_createdAt": ms(storage.created_at),
        "_createdBy": "http://testserver/v1/realms/internal/users/delta",
        "_deprecated": False,
        "_rev": 1,
        "_self": url,
        "_updatedAt": ms(storage.updated_at),
        "_updatedBy": "http://testserver/v1/realms/internal/users/delta",
        "_incoming": url + "/incoming",
        "_outgoing": url + "/outgoing",
        "_project": "http://testserver/v1/projects/neworg/proj",
    }
    assert client.get("/v1/storages/neworg/proj", **alice).json() == {
        "@context": [CTX + "metadata.json", CTX + "search.json", CTX + "search-metadata.json"],
        "_total": 1,
        "_results": [listed],
    }
    one = {
        "@context": [CTX + "storages.json", CTX + "metadata.json"],
        **listed,
        "default": True,
        "maxFileSize": 10 * 1024**3,
        "readPermission": "resources/read",
        "writePermission": "files/write",
    }
    for segment in ("defaultStorage", "nxv:diskStorageDefault", url.rsplit("/", 1)[1]):
        response = client.get(f"/v1/storages/neworg/proj/{segment}", **alice)
        assert (response.status_code, response.json()) == (200, one), segment
    error(
        client.get("/v1/storages/neworg/proj/nxv:nope", **alice),
        404,
        "ResourceNotFound",
        f"Storage '{NXV}nope' not found in project 'neworg/proj'.",
    )
    error(client.get("/v1/storages/neworg/nope", **alice), 404, "ProjectNotFound", "Project 'neworg/nope' not found.")
    assert client.get("/v1/storages/neworg/proj").status_code == 403
    assert client.get("/v1/storages/neworg/proj/defaultStorage").json()["details"] == (
        "Permission 'resources/read' is missing on '/neworg/proj'."
    )


def test_a_client_workflow_from_org_to_file(client, alice):
    """What a client does first: org, project, then a file into the project's default storage."""
    token = alice["HTTP_AUTHORIZATION"][7:]
    assert put(client, "/v1/orgs/lab", {"description": "A lab"}, alice).status_code == 201
    assert put(client, "/v1/projects/lab/data", {}, alice).status_code == 201
    created = upload(client, "post", "/v1/files/lab/data", token, content=b"hello")
    assert created.status_code == 201
    body = created.json()
    assert body["@id"].startswith("http://testserver/v1/resources/lab/data/_/")
    assert (body["_bytes"], body["_storage"]) == (
        5,
        {"@id": NXV + "diskStorageDefault", "@type": "DiskStorage", "_rev": 1},
    )
    download = client.get(body["_self"].replace("http://testserver", ""), **alice)
    assert b"".join(download.streaming_content) == b"hello"
