"""Celery tasks of uploads: the ingest of one upload (and its data source's earlier pending ones)."""

from celery import shared_task

from .services import INGEST_TASK, upload_ingest, upload_requeue_stalled


@shared_task(name=INGEST_TASK, acks_late=True)
def ingest_upload(upload_id: int) -> int:
    return upload_ingest(upload_id=upload_id)


@shared_task(name="uploads.requeue_stalled")
def requeue_stalled() -> int:
    return upload_requeue_stalled()
