"""Celery tasks of uploads: the ingest of one upload (and its data source's earlier pending ones)."""

from celery import shared_task
from celery.exceptions import Retry

from harvest.calculations import calculation_requeue_stalled
from harvest.locks import LockBusy
from harvest.runs import harvest_requeue_undispatched

from .idempotency import idempotency_keys_sweep
from .services import (
    IngestInterrupted,
    upload_ingest,
    upload_mark_undispatched,
    upload_queue_next,
    upload_requeue_stalled,
    upload_requeue_undispatched,
)
from .task_names import UPLOADS_INGEST, UPLOADS_REQUEUE_STALLED, UPLOADS_REQUEUE_UNDISPATCHED, UPLOADS_TUS_SWEEP
from .tus.services import tus_sweep_expired


@shared_task(bind=True, name=UPLOADS_INGEST, acks_late=True, max_retries=None)
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


@shared_task(name=UPLOADS_REQUEUE_STALLED)
def requeue_stalled() -> int:
    # Calculations too: one due for that long lost its message (or the broker refused it). The
    # periodic maintenance also frees the Idempotency-Keys past their 24 h (not counted here).
    queued = upload_requeue_stalled() + calculation_requeue_stalled()
    idempotency_keys_sweep()
    return queued


@shared_task(name=UPLOADS_REQUEUE_UNDISPATCHED)
def requeue_undispatched() -> int:
    # Harvest runs too: one task, sent at each reconnection of the worker and by beat.
    return upload_requeue_undispatched() + harvest_requeue_undispatched()


@shared_task(name=UPLOADS_TUS_SWEEP)
def tus_sweep() -> int:
    # Resumable uploads past their expiry, with the parts they hold.
    return tus_sweep_expired()
