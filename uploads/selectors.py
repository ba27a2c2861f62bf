"""Reads of uploads: the latest upload per data source the caller may upload to, and one upload."""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Min, OuterRef, QuerySet, Subquery

from accounts.models import User
from blobs.selectors import blob_download_url
from core.errors import NotFound
from synctasks.selectors import data_sources_uploadable_by

from .models import SyncStatus, Upload


def _with_relations(queryset: QuerySet[Upload]) -> QuerySet[Upload]:
    return queryset.select_related("blob", "uploader", "data_source__organization")


# The columns an upload's body shows (uploads.serializers.upload_body), as .values() names them;
# a row also carries `download_url` (see _linked), so that rendering it reads nothing.
ROW_FIELDS = (
    "id", "filename", "upload_date", "sync_status", "uploader_id", "data_source_id", "blob__key",
    "uploader__username", "uploader__name", "uploader__first_name", "uploader__last_name",
    "data_source__name", "data_source__sync_last_finished", "data_source__organization__name",
)  # fmt: skip


def _linked(row: dict) -> dict:
    """The row with its upload's temporary download link as `download_url`."""
    row["download_url"] = blob_download_url(key=row["blob__key"], filename=row["filename"])
    return row


def uploads_latest_per_data_source(*, user: User) -> Iterator[dict]:
    """For each data source the user may upload to, its most recent upload, as rows of ROW_FIELDS
    with their links: one query, and no model instances (a supplier with 1,000 data sources gets
    1,000 rows)."""
    latest = Upload.objects.filter(data_source=OuterRef("pk")).order_by("-upload_date", "-id").values("id")[:1]
    # The latest upload's id per permitted source, then those uploads: planned as a join on ids
    # (a filter `id = (latest of my source)` on every upload is misestimated and joined badly).
    latest_ids = data_sources_uploadable_by(user=user).filter(uploadable=True).values(latest=Subquery(latest))
    rows = Upload.objects.filter(id__in=latest_ids).order_by("data_source_id").values(*ROW_FIELDS)
    return (_linked(row) for row in rows)


def upload_row(upload: Upload) -> dict:
    """The ROW_FIELDS of one upload instance (its relations loaded), with its link."""
    user, source = upload.uploader, upload.data_source
    row = {
        "id": upload.id,
        "filename": upload.filename,
        "upload_date": upload.upload_date,
        "sync_status": upload.sync_status,
        "uploader_id": upload.uploader_id,
        "data_source_id": upload.data_source_id,
        "blob__key": upload.blob.key,
        "uploader__username": user.username,
        "uploader__name": user.name,
        "uploader__first_name": user.first_name,
        "uploader__last_name": user.last_name,
        "data_source__name": source.name,
        "data_source__sync_last_finished": source.sync_last_finished,
        "data_source__organization__name": source.organization.name,
    }
    return _linked(row)


def upload_detail_row(upload: Upload) -> dict:
    """upload_row with the upload's ingest report, as its detail shows it."""
    return {**upload_row(upload), "report": upload.report}


def upload_get(*, user: User, upload_id: int) -> Upload:
    """One upload to a data source the user may upload to, or NotFound."""
    permitted = data_sources_uploadable_by(user=user).values("pk")
    upload = _with_relations(Upload.objects.filter(pk=upload_id, data_source__in=permitted)).first()
    if upload is None:
        raise NotFound(f"Upload {upload_id} does not exist.")
    return upload


def uploads_pending_summary() -> tuple[int, datetime | None]:
    """How many uploads wait for (or are in) their ingest, and when the oldest of them arrived."""
    pending = Upload.objects.filter(sync_status=SyncStatus.HARVESTING).aggregate(
        count=Count("pk"), oldest=Min("upload_date")
    )
    return pending["count"], pending["oldest"]
