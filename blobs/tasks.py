"""Celery tasks of blobs: the periodic sweep of bytes that no row references."""

from celery import shared_task

from .services import blob_sweep_orphans


@shared_task(name="blobs.tasks.sweep_orphans")
def sweep_orphans() -> dict[str, int]:
    return blob_sweep_orphans()
