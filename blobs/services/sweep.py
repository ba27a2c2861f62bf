"""The orphan sweep: rows nothing references, bytes no row records, multipart uploads left open."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone

from core.metrics import sweep_ended

from ..backends import get_backend
from ..models import Blob, MultipartUpload
from .direct import multipart_sweep_expired

logger = logging.getLogger(__name__)


def _unreferenced_rows(*, older_than) -> QuerySet[Blob]:
    """Blob rows that nothing points at any more (their upload, data source or dataset version was
    deleted). Found through every relation other models declare to Blob, whatever app they are in."""
    rows = Blob.objects.filter(created__lt=older_than)
    # include_hidden: relations without a reverse name (related_name="+") count as references too.
    relations = [f for f in Blob._meta.get_fields(include_hidden=True) if f.auto_created and not f.concrete]
    for relation in relations:
        rows = rows.exclude(pk__in=relation.related_model._default_manager.values(relation.field.attname))
    return rows


def blob_sweep_orphans(*, grace_seconds: int | None = None, batch_size: int = 500) -> dict[str, int]:
    """Deletes what no longer serves, once older than the grace period: Blob rows nothing references
    (and their bytes), bytes no Blob row records (partial files included, and direct uploads never
    registered), abandoned S3 multipart uploads, and direct multipart uploads whose ticket expired
    (at once: their parts are removed when the ticket ends)."""
    grace = settings.NEXUS_ORPHAN_GRACE_SECONDS if grace_seconds is None else grace_seconds
    before = time.time() - grace
    expired = multipart_sweep_expired()
    backend = get_backend()
    # Parts of direct multipart uploads still open are not orphans: they go when their ticket does.
    open_direct = frozenset(MultipartUpload.objects.values_list("key", flat=True))
    rows = 0
    for blob in _unreferenced_rows(older_than=timezone.now() - timedelta(seconds=grace)).iterator():
        try:
            with transaction.atomic():
                blob.delete()
        except ProtectedError:
            continue  # referenced again meanwhile
        backend.delete(blob.key)  # after the row is gone: bytes are never missing under a row
        rows += 1
    deleted = 0
    batch: list[str] = []

    def flush() -> int:
        recorded = set(Blob.objects.filter(key__in=batch).values_list("key", flat=True))
        gone = [key for key in batch if key not in recorded]
        for key in gone:
            backend.delete(key)
        batch.clear()
        return len(gone)

    for key in backend.iter_stale(before=before, keep=open_direct):
        batch.append(key)
        if len(batch) >= batch_size:
            deleted += flush()
    if batch:
        deleted += flush()
    aborted = backend.discard_stale_partials(before=before, keep=open_direct)
    aborted += expired
    if rows or deleted or aborted:
        logger.info(
            "blob sweep removed %d unreferenced blobs, %d orphan objects, aborted %d multipart uploads",
            rows,
            deleted,
            aborted,
        )
    removed = {"unreferenced_rows": rows, "deleted": deleted, "aborted_multipart": aborted}
    sweep_ended(removed=removed)
    return removed
