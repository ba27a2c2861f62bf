"""Concurrent writers at one rev: exactly one succeeds, the others get 409 IncorrectRev (row lock and
the unique (file, rev) constraint, never check-then-act). Needs PostgreSQL's real concurrency."""

import threading

import pytest
import requests

from blobs.models import Blob
from files.models import File, FileRevision
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
