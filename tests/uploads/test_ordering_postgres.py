"""On PostgreSQL: uploads of one source commit in order, and never wait for that source's ingest."""

import threading
import time

import pytest
from django.db import connection, transaction

from blobs.services import blob_stage
from harvest.locks import ingest_lock_try
from uploads.models import Upload
from uploads.services import upload_create

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _upload(catalog, name):
    staged = blob_stage(chunks=[b"feature,parameter,timestamp,value\nA,p,2021-01-01,1\n"])
    return upload_create(
        user=catalog.supplier,
        data_source_id=catalog.measurements.pk,
        client_filename=name,
        staged=staged,
        media_type="text/csv",
    )


def test_a_later_upload_waits_for_an_earlier_one_to_commit(catalog):
    """Otherwise the later one could be visible, and ingested, before the earlier one."""
    first_inside, release, second_done = threading.Event(), threading.Event(), threading.Event()
    results = {}

    def first():
        with transaction.atomic():
            results["first"] = _upload(catalog, "first.csv").pk
            first_inside.set()
            release.wait(10)
        connection.close()

    def second():
        first_inside.wait(10)
        results["second"] = _upload(catalog, "second.csv").pk
        second_done.set()
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_inside.wait(10)
    assert not second_done.wait(1.0), "the second upload committed while the first was still open"
    release.set()
    for thread in threads:
        thread.join(10)
    assert results["first"] < results["second"]
    assert list(Upload.objects.order_by("pk").values_list("filename", flat=True)) == ["first.csv", "second.csv"]


def test_an_upload_completes_while_the_sources_ingest_holds_its_lock(catalog):
    held, release = threading.Event(), threading.Event()

    def ingest_in_progress():
        with transaction.atomic():
            assert ingest_lock_try(data_source_id=catalog.measurements.pk)
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=ingest_in_progress)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        upload = _upload(catalog, "during.csv")
        assert time.monotonic() - started < 1.0
        assert Upload.objects.get(pk=upload.pk).filename == "during.csv"
        # Another worker's attempt at the same source's lock is refused at once, not queued behind it.
        with transaction.atomic():
            assert ingest_lock_try(data_source_id=catalog.measurements.pk) is False
    finally:
        release.set()
        holder.join(10)
