"""Requests to the Dataverse dialect that are malformed (clear 400s and 404s in its shape), and the
lenient reading of jsonData."""

import pytest

from blobs.models import Blob
from tests.datasets.conftest import (
    PID,
    TOKEN,
    add_files,
    draft_files,
    ticket_and_put,
)


@pytest.mark.django_db
def test_malformed_requests_are_clear_400s_and_404s(client, demo, local_storage):
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    response = client.get("/api/datasets/%C2%B2/", **auth)
    assert (response.status_code, response.json()) == (400, {"status": "ERROR", "message": "Bad dataset ID number: ²."})
    response = client.post("/api/files/%C2%B2/metadata", {"jsonData": "{}"}, **auth)
    assert (response.status_code, response.json()) == (
        404,
        {"status": "ERROR", "message": "Could not find datafile with id ²"},
    )
    response = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size=%C2%B2", **auth)
    assert response.json() == {
        "status": "ERROR",
        "message": "'size' must be the file's size in bytes, a whole number; got '²'.",
    }
    response = client.post(
        f"/api/datasets/:persistentId/addFiles?persistentId={PID}", {"jsonData": "[" * 100_000}, **auth
    )
    assert response.json() == {"status": "ERROR", "message": "Error in parsing provided json: nested too deeply."}
    response = client.get("/api/datasets/:persistentId/nothing-here", **auth)
    assert (response.status_code, response.json()) == (
        404,
        {
            "status": "ERROR",
            "message": "API endpoint does not exist on this server: GET /api/datasets/:persistentId/nothing-here",
        },
    )
    # Too long for what is stored: refused before the upload is touched, which stays registrable.
    sid = ticket_and_put(client, b"y")
    stored = sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file())
    code, body = add_files(
        client, [{"storageIdentifier": sid, "fileName": "y.txt", "mimeType": "x/" + "y" * 300, "md5Hash": "0"}]
    )
    assert (code, body["message"]) == (400, "file 1: 'mimeType' is longer than 255 characters.")
    assert sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file()) == stored
    # A pre-signed URL takes exactly the size its ticket was for.
    ticket = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size=4", **auth).json()["data"]
    response = client.put(ticket["url"].split("testserver", 1)[-1], data=b"12345", content_type="")
    assert (response.status_code, response.content) == (
        400,
        b"The body is 5 bytes; this URL takes the file of 4 bytes.",
    )
    assert draft_files() == [] and Blob.objects.count() == 0


def test_json_data_is_read_leniently():
    from datasets.dataverse.jsondata import json_lenient

    assert json_lenient("{'a': 'it\\'s', \"b\": [\"x\", 'y \"z\"'], 'c': true}") == {
        "a": "it's",
        "b": ["x", 'y "z"'],
        "c": True,
    }
