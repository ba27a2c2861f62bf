"""ACLs inherited down `/`, `/{org}`, `/{org}/{project}` for users, groups, authenticated and anonymous;
the /v1/acls, /v1/orgs and /v1/projects reads; seed_demo; the admin pages."""

import json

import pytest
from django.core.management import call_command

from accounts.models import Role, User
from accounts.services import membership_ensure, organization_get_or_create, token_create
from files.models import Acl, IdentityKind, Org, Project, Storage
from files.selectors import acl_permissions
from files.services import acl_grant, org_create, project_create
from tests.support.files import NXV, auth, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(project):
    return User.objects.create(username="alice")


def can_write(client, user, name):
    token = token_create(user=user, name=name).raw
    return upload(client, "put", f"/v1/files/org/proj/{name}", token).status_code


@pytest.mark.parametrize("path", ["/", "/org", "/org/proj"])
def test_a_user_grant_holds_below_its_path(client, alice, path):
    assert can_write(client, alice, "before") == 403
    acl_grant(path=path, permissions=["files/write"], identity=IdentityKind.USER, user=alice)
    assert can_write(client, alice, "after") == 201


def test_a_grant_on_another_project_or_org_does_not_hold(client, alice):
    other = org_create(label="other")
    project_create(org=other, label="proj")
    acl_grant(path="/other", permissions=["files/write"], identity=IdentityKind.USER, user=alice)
    acl_grant(path="/org/elsewhere", permissions=["files/write"], identity=IdentityKind.USER, user=alice)
    assert can_write(client, alice, "x") == 403
    assert acl_permissions(user=alice, org="other", project="proj") == {"files/write"}


def test_group_authenticated_and_anonymous_identities(client, alice):
    team = organization_get_or_create(name="Team")
    acl_grant(path="/org", permissions=["files/write"], identity=IdentityKind.GROUP, group=team)
    assert can_write(client, alice, "a") == 403
    membership_ensure(user=alice, organization=team, role=Role.MEMBER)
    assert can_write(client, alice, "a") == 201

    bob = User.objects.create(username="bob")
    assert can_write(client, bob, "b") == 403
    acl_grant(path="/", permissions=["files/write"], identity=IdentityKind.AUTHENTICATED)
    assert can_write(client, bob, "b") == 201

    # Anonymous: no token at all.
    assert client.get("/v1/files/org/proj").status_code == 403
    acl_grant(path="/org/proj", permissions=["resources/read"], identity=IdentityKind.ANONYMOUS)
    listed = client.get("/v1/files/org/proj")
    assert (listed.status_code, listed.json()["_total"]) == (200, 2)
    # Anonymous holds nothing it was not given: no write.
    response = upload(client, "post", "/v1/files/org/proj", None)
    assert response.json()["details"] == "Permission 'files/write' is missing on '/org/proj'."


def test_acl_grant_merges_permissions(alice):
    acl_grant(path="/org", permissions=["resources/read"], identity=IdentityKind.USER, user=alice)
    acl_grant(path="/org", permissions=["files/write", "resources/read"], identity=IdentityKind.USER, user=alice)
    assert list(Acl.objects.filter(user=alice).values_list("path", "permissions")) == [
        ("/org", ["files/write", "resources/read"])
    ]


def test_acls_read_api(client, alice, writer):
    acl_grant(path="/", permissions=["acls/read"], identity=IdentityKind.USER, user=alice)
    alice_token = token_create(user=alice, name="a").raw
    response = client.get("/v1/acls/org/proj?ancestors=true", **auth(alice_token))
    assert response.status_code == 200
    body = response.json()
    assert body["_total"] == 2
    assert [(r["_path"], r["@id"]) for r in body["_results"]] == [
        ("/", "http://testserver/v1/acls"),
        ("/org/proj", "http://testserver/v1/acls/org/proj"),
    ]
    assert body["_results"][1]["acl"] == [
        {
            "identity": {
                "@id": "http://testserver/v1/realms/local/users/writer",
                "@type": "User",
                "realm": "local",
                "subject": "writer",
            },
            "permissions": ["files/write", "resources/read"],
        }
    ]
    # Without acls/read a caller sees only its own entries.
    own = client.get("/v1/acls/org/proj?ancestors=true", **auth(writer)).json()
    assert [r["_path"] for r in own["_results"]] == ["/org/proj"]
    assert client.get("/v1/acls/org/proj").json()["_total"] == 0


def test_orgs_and_projects_read_api(client, project):
    project.api_mappings = {"ex": "http://example.org/"}
    project.save()
    acl_grant(path="/", permissions=["orgs/read", "projects/read"], identity=IdentityKind.ANONYMOUS)
    orgs = client.get("/v1/orgs").json()
    assert [o["_label"] for o in orgs["_results"]] == ["org"]
    org = client.get("/v1/orgs/org").json()
    assert (org["@id"], org["@type"], org["_deprecated"]) == ("http://testserver/v1/orgs/org", "Organization", False)
    body = client.get("/v1/projects/org/proj").json()
    assert {k: body[k] for k in ("@id", "_label", "_organizationLabel", "base", "vocab")} == {
        "@id": "http://testserver/v1/projects/org/proj",
        "_label": "proj",
        "_organizationLabel": "org",
        "base": "http://testserver/v1/resources/org/proj/_/",
        "vocab": "http://testserver/v1/vocabs/org/proj/",
    }
    # The project's own mappings; the server's come with them in `_effectiveApiMappings`.
    assert body["apiMappings"] == [{"prefix": "ex", "namespace": "http://example.org/"}]
    assert body["_effectiveApiMappings"][0] == {"_namespace": NXV, "_prefix": "nxv"}
    assert body["_effectiveApiMappings"][-1] == {"_namespace": "http://example.org/", "_prefix": "ex"}
    assert [p["_label"] for p in client.get("/v1/projects/org").json()["_results"]] == ["proj"]
    missing = client.get("/v1/projects/org/nope")
    assert (missing.status_code, missing.json()["@type"]) == (404, "ProjectNotFound")
    assert client.get("/v1/orgs/nope").json()["@type"] == "OrganizationNotFound"


def test_project_base_and_mappings_expand_ids(client, writer, project):
    project.base = "https://nexus.example.com/mybase/"
    project.api_mappings = {"ex": "http://example.org/ns/"}
    project.save()
    created = upload(client, "post", "/v1/files/org/proj", writer).json()
    assert created["@id"].startswith("https://nexus.example.com/mybase/")
    assert upload(client, "put", "/v1/files/org/proj/ex:thing", writer).json()["@id"] == "http://example.org/ns/thing"
    assert (
        upload(client, "put", "/v1/files/org/proj/rel", writer).json()["@id"] == "https://nexus.example.com/mybase/rel"
    )


def test_seed_demo_is_idempotent(settings, capsys):
    settings.NEXUS_DEMO_TOKEN = "c0ffee00-0000-4000-8000-000000000001"
    call_command("seed_demo", "--json")
    first = json.loads(capsys.readouterr().out)["files"]
    call_command("seed_demo", "--json")
    assert json.loads(capsys.readouterr().out)["files"] == first
    assert (Org.objects.count(), Project.objects.count(), Storage.objects.count()) == (1, 1, 2)
    supplier = User.objects.get(username="supplier")
    assert acl_permissions(user=supplier, org="myorg", project="myproj") == {
        "files/write",
        "orgs/create",
        "orgs/read",
        "projects/read",
        "resources/read",
    }


def test_admin_pages(admin_client, writer, project):
    upload(admin_client, "put", "/v1/files/org/proj/nxv:myfile", writer)
    for name in ("org", "project", "storage", "acl", "file"):
        assert admin_client.get(f"/admin/files/{name}/").status_code == 200
    from files.models import File

    assert admin_client.get(f"/admin/files/file/{File.objects.get().pk}/change/").status_code == 200
    org = Org.objects.get()
    response = admin_client.post(
        "/admin/files/project/add/",
        {
            "org": org.pk,
            "label": "fromadmin",
            "description": "",
            "base": "",
            "vocab": "",
            "api_mappings": "{}",
            "storages-TOTAL_FORMS": "0",
            "storages-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content
    created = Project.objects.get(label="fromadmin")
    assert list(Storage.objects.filter(project=created).values_list("iri", "default")) == [
        (NXV + "diskStorageDefault", True)
    ]
