"""Celery tasks of uploads: the ingest of one upload (and its data source's earlier pending ones)."""

from celery import shared_task
from celery.exceptions import Retry

from harvest.locks import LockBusy
from harvest.services import harvest_requeue_undispatched

from .services import (
    INGEST_TASK,
    IngestInterrupted,
    upload_ingest,
    upload_mark_undispatched,
    upload_queue_next,
    upload_requeue_stalled,
    upload_requeue_undispatched,
)


@shared_task(bind=True, name=INGEST_TASK, acks_late=True, max_retries=None)
def ingest_upload(self, upload_id: int) -> int:
    # One ingest per delivery, so that the task time limits bound each ingest: the next pending
    # upload of the source gets a delivery of its own.
    try:
        applied = upload_ingest(upload_id=upload_id, limit=1)
    except (LockBusy, IngestInterrupted) as busy:
        # Another session holds the source's lock: a live ingest (which may not reach this upload
        # before it ends) or a killed one's backend about to be dropped; or the database connection
        # went mid-ingest (nothing applied). Not done: try again.
        try:
            raise self.retry(countdown=busy.countdown) from None
        except Retry:
            raise
        except Exception:
            # The retry could not be published (the broker went): the requeue sends it later.
            upload_mark_undispatched(upload_id=upload_id)
            return 0
    if applied:
        upload_queue_next(upload_id=upload_id)
    return applied


@shared_task(name="uploads.requeue_stalled")
def requeue_stalled() -> int:
    return upload_requeue_stalled()


@shared_task(name="uploads.requeue_undispatched")
def requeue_undispatched() -> int:
    # Harvest runs too: one task, sent at each reconnection of the worker and by beat.
    return upload_requeue_undispatched() + harvest_requeue_undispatched()
