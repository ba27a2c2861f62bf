"""Orgs through the API: created, updated (`?rev=`), deprecated and read at each revision, with the
reference's bodies and errors, and what a refused write leaves (nothing)."""

import pytest

from files.models import Acl, IdentityKind, Org, OrgRevision
from files.services import acl_grant
from tests.files.registry import ALICE, CTX, OWNER, error, ms, put, registry_counts

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize("description", ["a\\u0000b", "\\ud800"])
def test_a_description_no_database_can_hold_is_refused(client, alice, description):
    before = registry_counts()
    response = put(client, "/v1/orgs/neworg", None, alice, raw='{"description": "' + description + '"}')
    assert (response.status_code, response.json()["@type"]) == (400, "MalformedRequestContentRejection")
    assert registry_counts() == before
