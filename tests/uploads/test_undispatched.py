"""Ingests whose queueing failed are remembered and queued by the worker's requeue, once per source."""

import pytest
from django.utils import timezone

from blobs.services import blob_write
from tests.support.stack import wait_for
from uploads.models import SyncStatus, Upload
from uploads.services import upload_requeue_undispatched

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1\n"


def _upload(catalog, source, name, **fields) -> Upload:
    return Upload.objects.create(
        data_source=source, uploader=catalog.supplier, filename=name, blob=blob_write(chunks=[CSV]), **fields
    )


def test_undispatched_uploads_are_queued_and_unmarked(catalog, celery_worker, worker_storage):
    first = _upload(catalog, catalog.measurements, "a.csv", dispatch_failed=True)
    second = _upload(catalog, catalog.measurements, "b.csv", dispatch_failed=True)
    ended = _upload(
        catalog,
        catalog.measurements,
        "c.csv",
        dispatch_failed=True,
        sync_status=SyncStatus.FAILED,
        ingest_finished=timezone.now(),
    )
    queued_normally = _upload(catalog, catalog.dataset, "d.csv")
    # One message for the source: its ingest applies the source's pending uploads in order.
    assert upload_requeue_undispatched() == 1
    assert list(Upload.objects.filter(dispatch_failed=True)) == []
    wait_for(
        lambda: not Upload.objects.filter(pk__in=[first.pk, second.pk], sync_status=SyncStatus.HARVESTING).exists(),
        what="the requeued ingests",
    )
    statuses = dict(Upload.objects.values_list("filename", "sync_status"))
    assert statuses == {
        "a.csv": SyncStatus.SUCCESSFUL,
        "b.csv": SyncStatus.SUCCESSFUL,
        "c.csv": SyncStatus.FAILED,
        "d.csv": SyncStatus.HARVESTING,  # not marked: left to its own message
    }
    assert Upload.objects.get(pk=ended.pk).deliveries == 0
    assert Upload.objects.get(pk=queued_normally.pk).deliveries == 0
    assert upload_requeue_undispatched() == 0
