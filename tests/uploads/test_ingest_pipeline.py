"""The upload pipeline with a real Celery worker: harvesting, then successful or failed, in order."""

import hashlib
import itertools
import time

import pytest
import requests

from blobs.services import blob_stage
from synctasks.models import DataSource
from tests.support.stack import wait_for
from tests.support.uploads import post_upload
from uploads.models import SyncStatus, Upload
from uploads.services import upload_create

pytestmark = pytest.mark.django_db(transaction=True)


def _status(upload_id):
    upload = Upload.objects.get(pk=upload_id)
    return upload if upload.sync_status != SyncStatus.HARVESTING else None


def test_status_goes_from_harvesting_to_successful(live_server, catalog, celery_worker, worker_storage):
    content = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1.5\n"
    created = post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, content=content)
    assert created.status_code == 201
    assert created.json()["sync_status"] == "harvesting"
    upload = wait_for(lambda: _status(created.json()["id"]), what="the ingest to end")
    assert upload.sync_status == SyncStatus.SUCCESSFUL
    assert upload.report["errors"] == []
    assert (upload.report["rows_inserted"], upload.report["rows_updated"]) == (1, 0)
    assert upload.ingest_started <= upload.ingest_finished
    source = DataSource.objects.get(pk=catalog.measurements.pk)
    assert source.sync_last_finished == upload.ingest_finished
    detail = requests.get(f"{live_server.url}/api/v1/uploads/{upload.pk}/?token={catalog.token}", timeout=10).json()
    assert detail["sync_status"] == "successful"
    assert detail["sync_last_finished"] == upload.ingest_finished.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert detail["report"] == upload.report


def test_status_goes_to_failed_with_the_reason_when_bytes_do_not_verify(catalog, celery_worker, worker_storage):
    staged = blob_stage(chunks=[b"abc"])
    # The stored bytes change after they were hashed (a disk or bucket went bad).
    (worker_storage / staged.key).write_bytes(b"abd")
    upload = upload_create(
        user=catalog.supplier,
        data_source_id=catalog.measurements.pk,
        client_filename="m.csv",
        staged=staged,
        media_type="text/csv",
    )
    assert upload.sync_status == SyncStatus.HARVESTING
    done = wait_for(lambda: _status(upload.pk), what="the ingest to end")
    assert done.sync_status == SyncStatus.FAILED
    found = hashlib.sha256(b"abd").hexdigest()
    assert done.report["errors"] == [
        f"The stored bytes of 'm.csv' do not match the upload: expected 3 bytes with SHA-256 "
        f"{hashlib.sha256(b'abc').hexdigest()}, found 3 bytes with SHA-256 {found}."
    ]
    assert DataSource.objects.get(pk=catalog.measurements.pk).sync_last_finished == done.ingest_finished


def test_ingests_of_one_source_apply_in_upload_order(live_server, catalog, celery_worker, worker_storage):
    ids = [
        post_upload(
            live_server.url,
            catalog.token,
            datasource=catalog.measurements.pk,
            filename=f"{n}.csv",
            content=b"feature,parameter,timestamp,value\nA,p,2021-01-01,%d\n" % n,
        ).json()["id"]
        for n in range(6)
    ]
    wait_for(lambda: not Upload.objects.filter(sync_status=SyncStatus.HARVESTING).exists(), what="all ingests")
    uploads = list(Upload.objects.filter(pk__in=ids).order_by("pk"))
    assert [u.sync_status for u in uploads] == [SyncStatus.SUCCESSFUL] * 6, [u.report["errors"] for u in uploads]
    started = [u.ingest_started for u in uploads]
    assert started == sorted(started)
    # One at a time: each ingest ended before the next began.
    assert all(a.ingest_finished <= b.ingest_started for a, b in itertools.pairwise(uploads))
    # Applied in upload order: the last upload's value is the one stored.
    assert [u.report["rows_inserted"] + u.report["rows_updated"] for u in uploads] == [1] * 6
    from harvest.models import Measurement

    assert list(Measurement.objects.values_list("value", flat=True)) == [5.0]


def test_stalled_uploads_are_queued_again(catalog, celery_worker, worker_storage):
    from datetime import timedelta

    from django.utils import timezone

    from blobs.services import blob_write
    from uploads.services import upload_requeue_stalled

    # Recorded, but its message never reached the broker; and a fresh one that is left alone.
    old = Upload.objects.create(
        data_source=catalog.dataset,
        uploader=catalog.supplier,
        filename="a.csv",
        blob=blob_write(chunks=[b"id,name\n1,a\n"]),
        upload_date=timezone.now() - timedelta(minutes=20),
    )
    fresh = Upload.objects.create(
        data_source=catalog.measurements,
        uploader=catalog.supplier,
        filename="b.csv",
        blob=blob_write(chunks=[b"feature,parameter,timestamp,value\nA,p,2021-01-01,1\n"]),
        upload_date=timezone.now() - timedelta(minutes=5),
    )
    assert upload_requeue_stalled(older_than_seconds=600) == 1
    done = wait_for(lambda: _status(old.pk), what="the requeued ingest")
    assert done.sync_status == SyncStatus.SUCCESSFUL, done.report["errors"]
    assert done.report["features_replaced"] == 1
    assert upload_requeue_stalled(older_than_seconds=600) == 0
    time.sleep(1)
    assert Upload.objects.get(pk=fresh.pk).sync_status == SyncStatus.HARVESTING


def test_a_calculation_runs_after_its_inputs_ingest(live_server, catalog, celery_worker, worker_storage):
    from datetime import UTC, datetime

    from harvest.models import Measurement
    from synctasks.models import Calculation, DataConnection, FeatureKind, SyncTask, TaskType, TriggerKind

    calculation = Calculation.objects.create(
        name="Daily mean",
        organization=catalog.measurements.organization,
        function="daily_mean",
        input_connection=catalog.measurements.sync_task.dataconnections.get(),
        input_parameter="p",
        output_parameter="p_daily_mean",
    )
    task = SyncTask.objects.create(
        task_type=TaskType.CALCULATION, calculation=calculation, trigger_kind=TriggerKind.ON_INPUT_CHANGE
    )
    output = DataConnection.objects.create(
        sync_task=task, feature_type=catalog.measurements.sync_task.dataconnections.get().feature_type
    )
    assert output.feature_type.kind == FeatureKind.TIMESERIES
    post_upload(
        live_server.url,
        catalog.token,
        datasource=catalog.measurements.pk,
        filename="m.csv",
        content=b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1\nA,p,2021-01-01T12:00:00Z,4\n",
    )
    stored = wait_for(
        lambda: list(
            Measurement.objects.filter(series__data_connection=output).values_list(
                "series__feature_key", "series__parameter", "timestamp", "value"
            )
        ),
        what="the calculation's output",
    )
    assert stored == [("A", "p_daily_mean", datetime(2021, 1, 1, tzinfo=UTC), 2.5)]
    assert Calculation.objects.get(pk=calculation.pk).pending_since is None
