"""Projects through the API (created with their default storage, updated, deprecated, read at each
revision), the storages read, and a client's workflow from its org to its files."""

import pytest

from files.models import Acl, IdentityKind, Project, Storage
from files.services import acl_grant
from tests.files.registry import ALICE, CTX, DEFAULT_MAPPINGS, OWNER, error, ms, put, registry_counts
from tests.support.files import NXV, upload

pytestmark = pytest.mark.django_db


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
