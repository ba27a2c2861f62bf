"""Direct upload in the Dataverse dialect: ticket refusals and part sizes, completing a multipart
upload with its parts checked, and the sweep of expired uploads and unregistered objects."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from blobs.models import MultipartUpload
from blobs.services import blob_sweep_orphans
from datasets.models import Dataset
from tests.datasets.conftest import (
    MIB,
    PID,
    TOKEN,
    payload,
)


@pytest.mark.django_db
def test_ticket_refusals_and_part_sizes(client, demo, settings, django_user_model):
    url = f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size="
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    over = settings.NEXUS_MAX_UPLOAD_BYTES + 1
    response = client.get(f"{url}{over}", **auth)
    assert (response.status_code, response.json()) == (
        400,
        {
            "status": "ERROR",
            "message": "The file you are trying to upload is too large to be uploaded to this dataset. "
            f"The maximum allowed file size is {settings.NEXUS_MAX_UPLOAD_BYTES} bytes.",
        },
    )
    response = client.get(f"{url}1024", HTTP_X_DATAVERSE_KEY="not-a-token")
    assert (response.status_code, response.json()) == (401, {"status": "ERROR", "message": "Bad API key"})
    stranger = django_user_model.objects.create(username="stranger")
    from accounts.services import token_create

    response = client.get(f"{url}1024", HTTP_X_DATAVERSE_KEY=token_create(user=stranger, name="t").raw)
    assert (response.status_code, response.json()["message"]) == (
        403,
        "You are not permitted to upload files to this dataset.",
    )
    dataset = Dataset.objects.get(persistent_id=PID)
    response = client.get("/api/datasets/:persistentId/uploadurls?persistentId=doi:10.5072/NOPE&size=1", **auth)
    assert response.status_code == 404
    Dataset.objects.filter(pk=dataset.pk).update(direct_upload=False)
    response = client.get(f"{url}1024", **auth)
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"Direct upload not supported for files in this dataset: {dataset.pk}",
    )
    Dataset.objects.filter(pk=dataset.pk).update(direct_upload=True)
    assert MultipartUpload.objects.count() == 0
    # partSize: whole MiB, at least 5 MiB; up to one part a single URL, above it ceil(size / partSize) parts.
    for configured, expected in ((5 * MIB + 1000, 5 * MIB), (MIB, 5 * MIB), (64 * MIB + 5, 64 * MIB)):
        settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = configured
        single = client.get(f"{url}{expected}", **auth).json()["data"]
        assert (single["partSize"], "url" in single, "urls" in single) == (expected, True, False)
        multi = client.get(f"{url}{2 * expected + 1}", **auth).json()["data"]
        assert (multi["partSize"], list(multi["urls"])) == (expected, ["1", "2", "3"])
    # The api/v1 form answers the same.
    response = client.get(f"/api/v1/datasets/{dataset.pk}/uploadurls?size=10", **auth)
    assert response.status_code == 200 and "url" in response.json()["data"]


@pytest.mark.django_db
def test_complete_checks_the_parts(client, demo, small_parts, local_storage):
    data = payload(5 * MIB + 10)
    ticket = client.get(
        f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}", HTTP_X_DATAVERSE_KEY=TOKEN
    ).json()["data"]
    etags = {}
    for number, url in ticket["urls"].items():
        start = (int(number) - 1) * 5 * MIB
        response = client.put(url.split("testserver", 1)[-1], data=data[start : start + 5 * MIB], content_type="")
        etags[number] = response["ETag"]
    complete = ticket["complete"]
    # Unquoted ETags are taken as well; a wrong one or a missing part is refused and keeps the parts.
    response = client.generic("PUT", complete, json.dumps({"1": etags["1"]}), HTTP_X_DATAVERSE_KEY=TOKEN)
    assert response.json()["message"] == "The upload has parts 1 to 2; missing [2], unknown none."
    response = client.generic("PUT", complete, json.dumps({"1": etags["1"], "2": '"00"'}), HTTP_X_DATAVERSE_KEY=TOKEN)
    assert response.status_code == 400
    assert response.json()["message"].startswith('Part 2\'s ETag does not match: given "00", stored "')
    assert MultipartUpload.objects.count() == 1
    unquoted = {n: e.strip('"') for n, e in etags.items()}
    response = client.generic("PUT", complete, json.dumps(unquoted), HTTP_X_DATAVERSE_KEY=TOKEN)
    assert response.status_code == 200, response.json()
    upload_key = next(p for p in local_storage.rglob("*") if p.is_file())
    assert upload_key.read_bytes() == data
    assert sorted(p.name for p in local_storage.rglob("*") if p.is_file()) == [upload_key.name]


@pytest.mark.django_db
def test_the_sweep_removes_expired_uploads_and_unregistered_objects(
    demo, storage_kind, storage_objects, small_parts, client
):
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    size = 6 * MIB
    ticket = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={size}", **auth).json()["data"]
    part = payload(5 * MIB)
    if storage_kind == "local":
        assert client.put(ticket["urls"]["1"].split("testserver", 1)[-1], data=part, content_type="").status_code == 200
    else:
        import requests

        assert requests.put(ticket["urls"]["1"], data=part, timeout=30).status_code == 200
    single = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size=3", **auth).json()["data"]
    if storage_kind == "local":
        client.put(single["url"].split("testserver", 1)[-1], data=b"abc", content_type="")
    else:
        import requests

        requests.put(single["url"], data=b"abc", headers={"x-amz-tagging": "dv-state=temp"}, timeout=30)
    assert len(storage_objects()) == 2
    # Before the ticket expires and within the grace period, nothing goes.
    assert blob_sweep_orphans(grace_seconds=3600)["aborted_multipart"] == 0
    assert len(storage_objects()) == 2
    MultipartUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    report = blob_sweep_orphans(grace_seconds=0)
    assert report["aborted_multipart"] == 1 and report["deleted"] == 1
    assert storage_objects() == []
    assert MultipartUpload.objects.count() == 0
    response = client.generic("PUT", ticket["complete"], json.dumps({"1": "x", "2": "y"}), **auth)
    assert response.status_code == 404
