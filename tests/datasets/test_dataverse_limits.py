"""The Dataverse dialect's bounds, read from settings at call time: the members of a native zip, the
body of a multipart completion, the age after which a dataset lock no longer counts."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from blobs.models import Blob
from datasets.models import Dataset, DatasetLock
from tests.datasets.conftest import MIB, PID, TOKEN, draft_files, zip_of

pytestmark = pytest.mark.django_db
AUTH = {"HTTP_X_DATAVERSE_KEY": TOKEN}


def test_a_native_zip_with_more_members_than_the_setting_is_refused(client, demo, settings):
    settings.NEXUS_DATAVERSE_MAX_ZIP_MEMBERS = 2
    archive = zip_of({f"f{n}.txt": b"x" for n in range(3)})
    response = client.post(
        f"/api/datasets/:persistentId/add?persistentId={PID}",
        {"file": SimpleUploadedFile("p.zip", archive, "application/zip")},
        **AUTH,
    )
    assert (response.status_code, response.json()) == (
        400,
        {"status": "ERROR", "message": "'p.zip' lists 3 entries; the limit is 2 members."},
    )
    assert draft_files() == [] and Blob.objects.count() == 0


@pytest.mark.parametrize(("limit", "stated"), [(MIB, "1 MiB"), (16, "16 bytes")])
def test_a_completion_body_over_the_setting_is_refused(client, demo, settings, small_parts, limit, stated):
    settings.NEXUS_DATAVERSE_MAX_COMPLETE_BODY_BYTES = limit
    url = f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={6 * MIB}"
    ticket = client.get(url, **AUTH).json()["data"]
    body = json.dumps({"1": "x" * limit})
    response = client.generic("PUT", ticket["complete"], body, **AUTH)
    assert (response.status_code, response.json()) == (
        400,
        {
            "status": "ERROR",
            "message": f"The body of a complete call is a JSON object of part numbers to ETags (at most {stated}).",
        },
    )


def test_a_lock_older_than_the_setting_no_longer_counts(client, demo, settings):
    dataset = Dataset.objects.get(persistent_id=PID)
    lock = DatasetLock.objects.create(dataset=dataset, message="Registering files")
    DatasetLock.objects.filter(pk=lock.pk).update(created=timezone.now() - timedelta(seconds=120))
    url = f"/api/datasets/{dataset.pk}/locks"
    assert [entry["message"] for entry in client.get(url, **AUTH).json()["data"]] == ["Registering files"]
    settings.NEXUS_DATAVERSE_LOCK_STALE_SECONDS = 60
    assert client.get(url, **AUTH).json()["data"] == []
