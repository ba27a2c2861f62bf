"""The platform's "Upload (new)" page over real HTTP: /api/v1/sync_tasks/?uploadable=true, then
POST /api/v1/sync_tasks/{id}/upload/ with its four-field answer, the ingest by a real worker, and
every refusal (400, 403, 404) with nothing stored."""

import hashlib

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import organization_get_or_create
from blobs.models import Blob
from core.formats import utc_z
from synctasks.models import DataConnection
from synctasks.services import data_source_create, feature_type_ensure
from tests.support.openapi import Conformance, openapi_document
from tests.support.stack import wait_for
from tests.support.uploads import post_upload
from uploads.models import SyncStatus, Upload

pytestmark = pytest.mark.django_db(transaction=True)

KEYS = ["uploader", "filename", "upload_date", "download_link"]
SERIES = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1.5\nA,p,2021-01-02T00:00:00Z,2.5\n"


def stored(root) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_nothing_stored(root):
    assert (Upload.objects.count(), Blob.objects.count(), stored(root)) == (0, 0, [])


def _path(task_id) -> str:
    return f"/api/v1/sync_tasks/{task_id}/upload/"


def _task(source) -> dict:
    dc = DataConnection.objects.get(sync_task__data_source=source)
    return {
        "id": source.sync_task.pk,
        "name": source.name,
        "owner": source.organization.name,
        "task_type": "data_source",
        "private": False,
        "uploadable": True,
        "trigger": "On demand",
        "harvest_last_success": None,
        "data_source": {"description": "", "endpoint": "", "ext": source.ext},
        "calculation": None,
        "scenario": None,
        "dataconnections": [
            {
                "dc_id": dc.pk,
                "name": None,
                "feature_type": dc.feature_type.alias,
                "join_to": {"feature_type": None, "prop": None, "dc_id": None, "dtype": None},
                "output_props": [],
                "output_params": [],
            }
        ],
    }


def test_the_uploadable_tasks_are_listed_as_sync_tasks_new_lists_them(live_server, catalog):
    url = f"{live_server.url}/api/v1/sync_tasks/?uploadable=true&page_size=3&token={catalog.token}"
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    first = [catalog.dataset, catalog.measurements, catalog.rasters]
    assert response.json() == {
        "count": 6,  # dataset, measurements, rasters, geojson, documents, foreign (hidden is not visible)
        "next": f"{live_server.url}/api/v1/sync_tasks/?page=2&page_size=3&token={catalog.token}&uploadable=true",
        "previous": None,
        "results": [_task(source) for source in first],
    }
    seed = requests.get(url.replace("/sync_tasks/", "/sync_tasks_new/"), timeout=10).json()
    assert seed["results"] == response.json()["results"]
    # The other filters are the seed's too: a task type, a search, and a token-only filter without one.
    found = requests.get(
        f"{live_server.url}/api/v1/sync_tasks/?uploadable=true&search=measure&locale=en-IE&token={catalog.token}",
        timeout=10,
    ).json()
    assert [task["name"] for task in found["results"]] == ["Measurements export"]
    anonymous = requests.get(f"{live_server.url}/api/v1/sync_tasks/?task_type=data_source", timeout=10)
    assert (anonymous.status_code, anonymous.json()) == (401, {"detail": "The 'task_type' parameter requires a token."})


def test_an_upload_answers_the_four_fields_and_is_ingested(live_server, catalog, celery_worker, worker_storage):
    task = catalog.measurements.sync_task
    response = post_upload(live_server.url, catalog.token, filename="dataset.csv", content=SERIES, path=_path(task.pk))
    assert response.status_code == 201, response.text
    upload = Upload.objects.select_related("blob").get()
    body = response.json()
    assert list(body) == KEYS
    link = body.pop("download_link")
    assert body == {"uploader": "Data supplier X", "filename": "dataset.csv", "upload_date": utc_z(upload.upload_date)}
    assert body["upload_date"].endswith("Z") and "." not in body["upload_date"]
    assert link.startswith(f"{live_server.url}/blobs/download/") and link.endswith("/dataset.csv")
    # The very same upload as POST /api/v1/uploads/: its row, its blob (hashed), its ingest.
    assert (upload.data_source_id, upload.uploader_id, upload.filename) == (
        catalog.measurements.pk,
        catalog.supplier.pk,
        "dataset.csv",
    )
    assert (upload.blob.size, upload.blob.sha256) == (len(SERIES), hashlib.sha256(SERIES).hexdigest())
    # (The worker's storage is shared by the session's worker tests: other blobs may be there.)
    assert (worker_storage / upload.blob.key).read_bytes() == SERIES
    download = requests.get(link, timeout=10)
    assert (download.status_code, download.content) == (200, SERIES)
    done = wait_for(
        lambda: Upload.objects.exclude(sync_status=SyncStatus.HARVESTING).filter(pk=upload.pk).first(),
        what="the ingest to end",
    )
    assert (done.sync_status, done.report["errors"], done.report["rows_inserted"]) == (SyncStatus.SUCCESSFUL, [], 2)


def test_the_uploaders_display_name_is_the_uploads_seeds(live_server, catalog, local_storage):
    catalog.supplier.name = ""
    catalog.supplier.first_name, catalog.supplier.last_name = "Ada", "Lovelace"
    catalog.supplier.save()
    response = post_upload(live_server.url, catalog.token, path=_path(catalog.dataset.sync_task.pk))
    assert (response.status_code, response.json()["uploader"]) == (201, "Ada Lovelace")
    listed = requests.get(f"{live_server.url}/api/v1/uploads/?token={catalog.token}", timeout=10).json()
    assert [entry["uploader_name"] for entry in listed] == ["Ada Lovelace"]


def _public_not_uploadable():
    """A public source that takes no uploads, of an organization the supplier has no role in (as KNMI)."""
    return data_source_create(
        name="Harvested elsewhere",
        organization=organization_get_or_create(name="Weather service"),
        ext="txt",
        uploadable=False,
        private=False,
        feature_types=[feature_type_ensure(alias="timeseries")],
    )


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [
        ("calculation", 400, "Sync task {task} is a calculation task; only data_source tasks take uploads."),
        ("not_uploadable", 400, "Data source {source} ('Harvested only') does not accept uploads."),
        # Not uploadable comes before the right to upload (the seed's sync_tasks_new answers 403 here).
        ("public_not_uploadable", 400, "Data source {source} ('Harvested elsewhere') does not accept uploads."),
        ("foreign", 403, "You may not upload to data source {source} ('Someone else's')."),
        ("anonymous", 403, "Authentication credentials were not provided."),
        ("hidden", 404, "Data source {source} does not exist."),
        ("unknown", 404, "Sync task 999999 does not exist."),
        ("bad_token", 401, "Invalid token."),
    ],
)
def test_refusals_store_nothing(live_server, catalog, local_storage, case, status, detail):
    source = {
        "not_uploadable": catalog.not_uploadable,
        "public_not_uploadable": _public_not_uploadable() if case == "public_not_uploadable" else None,
        "foreign": catalog.foreign,
        "anonymous": catalog.dataset,
        "hidden": catalog.hidden,
        "bad_token": catalog.dataset,
    }.get(case)
    task_id = {"calculation": catalog.calculation_task.pk, "unknown": 999999}.get(case) or source.sync_task.pk
    token = {"anonymous": None, "bad_token": "not-a-token"}.get(case, catalog.token)
    response = post_upload(live_server.url, token, path=_path(task_id))
    expected = detail.format(task=task_id, source=source.pk if source else None)
    assert (response.status_code, response.json()) == (status, {"detail": expected})
    assert_nothing_stored(local_storage)


def test_a_file_of_another_format_is_refused_by_the_uploads_checks(live_server, catalog, local_storage):
    response = post_upload(
        live_server.url, catalog.token, filename="m.tif", path=_path(catalog.measurements.sync_task.pk)
    )
    assert (response.status_code, response.json()) == (
        400,
        {
            "upload_file": [
                "File format 'tif' of 'm.tif' does not match data source 'Measurements export', which expects 'csv'."
            ]
        },
    )
    missing = post_upload(live_server.url, catalog.token, filename=None, path=_path(catalog.measurements.sync_task.pk))
    assert (missing.status_code, missing.json()) == (400, {"upload_file": ["No file was submitted."]})
    assert_nothing_stored(local_storage)


def test_the_answers_conform_to_the_document(client, catalog, local_storage):
    check = Conformance(openapi_document())
    task = catalog.measurements.sync_task.pk
    cases = [
        ("upload", _path(task), catalog.token, "m.csv"),
        ("wrong format", _path(task), catalog.token, "m.tif"),
        ("anonymous", _path(task), None, "m.csv"),
        ("calculation", _path(catalog.calculation_task.pk), catalog.token, "m.csv"),
        ("unknown", _path(999999), catalog.token, "m.csv"),
    ]
    for name, path, token, filename in cases:
        url = f"{path}?token={token}" if token else path
        response = client.post(url, {"upload_file": SimpleUploadedFile(filename, SERIES, content_type="text/csv")})
        check(name=name, method="POST", path=url, headers={}, meta={}, response=response, raw=response.content)
    listed = client.get(f"/api/v1/sync_tasks/?uploadable=true&token={catalog.token}")
    check(name="list", method="GET", path=f"/api/v1/sync_tasks/?uploadable=true&token={catalog.token}", headers={},
          meta={}, response=listed, raw=listed.content)  # fmt: skip
    assert (check.checked, check.problems, check.unrouted) == (6, [], [])
