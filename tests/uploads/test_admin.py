"""The uploads admin: browse by data source and status, read the report, download, re-run."""

import pytest

from blobs.services import blob_write
from uploads.models import SyncStatus, Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser(username="admin", password="x", email="a@example.org")
    client.force_login(admin)
    return client


def test_admin_lists_by_source_shows_report_downloads_and_reruns(
    admin_client, catalog, django_capture_on_commit_callbacks
):
    upload = Upload.objects.create(
        data_source=catalog.measurements,
        uploader=catalog.supplier,
        filename="m.csv",
        blob=blob_write(chunks=[b"1,2\n"]),
        sync_status=SyncStatus.FAILED,
        report={"errors": ["line 3: bad value"]},
    )
    Upload.objects.create(
        data_source=catalog.dataset, uploader=catalog.supplier, filename="d.csv", blob=blob_write(chunks=[b"x"])
    )
    page = admin_client.get(f"/admin/uploads/upload/?data_source__id__exact={catalog.measurements.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "m.csv" in html and "d.csv" not in html
    detail = admin_client.get(f"/admin/uploads/upload/{upload.pk}/change/").content.decode()
    assert "line 3: bad value" in detail
    link = html.split('<a href="/blobs/download/')[1].split('"')[0]
    download = admin_client.get("/blobs/download/" + link)
    assert b"".join(download.streaming_content) == b"1,2\n"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/uploads/upload/", {"action": "rerun_ingest", "_selected_action": [upload.pk]}, follow=True
        )
    assert response.status_code == 200
    assert "Queued 1 ingest(s) again." in response.content.decode()
    upload.refresh_from_db()
    assert upload.sync_status == SyncStatus.HARVESTING
    assert len(callbacks) == 1

    # A successful upload is not re-run: applied after newer ones, its older data would win.
    Upload.objects.filter(pk=upload.pk).update(sync_status=SyncStatus.SUCCESSFUL)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/uploads/upload/", {"action": "rerun_ingest", "_selected_action": [upload.pk]}, follow=True
        )
    page = response.content.decode()
    assert f"Upload {upload.pk} was ingested successfully; only failed uploads are re-run." in page
    assert "Queued 0 ingest(s) again." in page
    assert Upload.objects.get(pk=upload.pk).sync_status == SyncStatus.SUCCESSFUL
    assert callbacks == []
