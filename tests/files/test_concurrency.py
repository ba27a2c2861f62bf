"""Concurrent writers at one rev: exactly one succeeds, the others get 409 IncorrectRev (row lock and
the unique (file, org or project, rev) constraint, never check-then-act). Needs PostgreSQL's real concurrency."""

import threading

import pytest
import requests

from accounts.models import User
from accounts.services import token_create
from blobs.models import Blob
from files.models import File, FileRevision, IdentityKind, Org, OrgRevision, Project, ProjectRevision, Storage
from files.services import acl_grant
from tests.support.files import NXV

WRITERS = 6


def race(calls):
    """Starts every call at once; returns their responses."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_at_one_rev(live_server, writer):
    url = f"{live_server.url}/v1/files/org/proj/nxv:raced"
    headers = {"Authorization": f"Bearer {writer}"}
    assert requests.put(url, files={"file": ("a.txt", b"base")}, headers=headers, timeout=30).status_code == 201

    def update(i):
        return lambda: requests.put(
            f"{url}?rev=1", files={"file": (f"{i}.txt", f"writer {i}".encode())}, headers=headers, timeout=60
        )

    responses = race([update(i) for i in range(WRITERS)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] + [409] * (WRITERS - 1)
    for refused in (r for r in responses if r.status_code == 409):
        body = refused.json()
        assert (body["@type"], body["provided"]) == ("IncorrectRev", 1)
    winner = next(r for r in responses if r.status_code == 200).json()
    file = File.objects.get(iri=NXV + "raced")
    assert (file.rev, file.filename) == (2, winner["_filename"])
    assert list(FileRevision.objects.filter(file=file).values_list("rev", flat=True).order_by("rev")) == [1, 2]
    # The losers' bytes were not kept: two blobs (rev 1 and the winner's).
    assert Blob.objects.count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_tag_and_deprecate_at_one_rev(live_server, writer):
    url = f"{live_server.url}/v1/files/org/proj/nxv:raced"
    headers = {"Authorization": f"Bearer {writer}"}
    assert requests.put(url, files={"file": ("a.txt", b"base")}, headers=headers, timeout=30).status_code == 201
    calls = [
        lambda: requests.delete(f"{url}?rev=1", headers=headers, timeout=60),
        lambda: requests.post(f"{url}/tags?rev=1", json={"tag": "t", "rev": 1}, headers=headers, timeout=60),
        lambda: requests.delete(f"{url}?rev=1", headers=headers, timeout=60),
        lambda: requests.post(f"{url}/tags?rev=1", json={"tag": "u", "rev": 1}, headers=headers, timeout=60),
    ]
    responses = race(calls)
    assert sorted(r.status_code for r in responses) in ([200, 409, 409, 409], [201, 409, 409, 409])
    assert File.objects.get(iri=NXV + "raced").rev == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_id(live_server, writer):
    url = f"{live_server.url}/v1/files/org/proj/nxv:once"
    headers = {"Authorization": f"Bearer {writer}"}
    responses = race(
        [
            lambda i=i: requests.put(url, files={"file": (f"{i}.txt", b"x")}, headers=headers, timeout=60)
            for i in range(4)
        ]
    )
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {r.json()["@type"] for r in responses if r.status_code == 409} == {"ResourceAlreadyExists"}
    assert (File.objects.count(), FileRevision.objects.count(), Blob.objects.count()) == (1, 1, 1)


@pytest.fixture
def owner(db):
    """A user who may create and write every org and project."""
    user = User.objects.create(username="owner")
    permissions = ["orgs/create", "orgs/write", "orgs/read", "projects/create", "projects/write"]
    acl_grant(path="/", permissions=permissions, identity=IdentityKind.USER, user=user)
    return {"Authorization": f"Bearer {token_create(user=user, name='t').raw}"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_org_and_project_updates_at_one_rev(live_server, owner):
    org_url, project_url = f"{live_server.url}/v1/orgs/raced", f"{live_server.url}/v1/projects/raced/proj"
    assert requests.put(org_url, json={}, headers=owner, timeout=30).status_code == 201
    responses = race(
        [
            lambda i=i: requests.put(f"{org_url}?rev=1", json={"description": f"w{i}"}, headers=owner, timeout=60)
            for i in range(WRITERS)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * (WRITERS - 1)
    assert {r.json()["@type"] for r in responses if r.status_code == 409} == {"IncorrectRev"}
    org = Org.objects.get(label="raced")
    assert (org.rev, OrgRevision.objects.filter(org=org).count()) == (2, 2)

    assert requests.put(project_url, json={}, headers=owner, timeout=30).status_code == 201
    responses = race(
        [
            lambda i=i: requests.put(f"{project_url}?rev=1", json={"description": f"w{i}"}, headers=owner, timeout=60)
            for i in range(WRITERS)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200] + [409] * (WRITERS - 1)
    project = Project.objects.get(label="proj")
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.json()["_rev"] == project.rev == 2
    assert ProjectRevision.objects.filter(project=project).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_org_and_one_project(live_server, owner):
    url = f"{live_server.url}/v1/orgs/once"
    responses = race([lambda: requests.put(url, json={}, headers=owner, timeout=60) for _ in range(4)])
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {r.json()["@type"] for r in responses if r.status_code == 409} == {"OrganizationAlreadyExists"}
    url = f"{live_server.url}/v1/projects/once/proj"
    responses = race([lambda: requests.put(url, json={}, headers=owner, timeout=60) for _ in range(4)])
    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]
    assert {r.json()["@type"] for r in responses if r.status_code == 409} == {"ProjectAlreadyExists"}
    assert (Org.objects.count(), OrgRevision.objects.count()) == (1, 1)
    assert (Project.objects.count(), ProjectRevision.objects.count(), Storage.objects.count()) == (1, 1, 1)
