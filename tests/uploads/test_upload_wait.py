"""GET /api/v1/uploads/{id}/?wait=N with a real worker: the answer comes within a second of the ingest's end."""

import pytest
from django.utils import timezone

from tests.support.uploads import MEASUREMENT_CSV, get_upload_waiting, post_upload
from uploads.models import SyncStatus, Upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_answer_comes_within_a_second_of_the_ingests_end(
    live_server, catalog, celery_worker, worker_storage, settings
):
    # A look at the row only every 30 s: on the full stack only the ingest's wake-up (Redis pub/sub)
    # answers in time; without Redis the wait looks every NEXUS_UPLOAD_WAIT_POLL_SECONDS (0.5 s).
    settings.NEXUS_UPLOAD_WAIT_RECHECK_SECONDS = 30
    created = post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, content=MEASUREMENT_CSV)
    assert (created.status_code, created.json()["sync_status"]) == (201, "harvesting")
    answer, _ = get_upload_waiting(live_server.url, catalog.token, created.json()["id"], 30)
    answered = timezone.now()
    upload = Upload.objects.get(pk=created.json()["id"])
    assert upload.sync_status == SyncStatus.SUCCESSFUL
    assert answer.status_code == 200
    assert (answer.json()["sync_status"], answer.json()["report"]) == ("successful", upload.report)
    assert "Retry-After" not in answer.headers
    assert 0 <= (answered - upload.ingest_finished).total_seconds() < 1.0
    # A failed ingest ends the wait too.
    bad = post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, content=b"feature,x\nA,1\n")
    failed, _ = get_upload_waiting(live_server.url, catalog.token, bad.json()["id"], 30)
    assert (failed.status_code, failed.json()["sync_status"]) == (200, "failed")
    assert failed.json()["report"]["errors"] == Upload.objects.get(pk=bad.json()["id"]).report["errors"] != []
