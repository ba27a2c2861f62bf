"""Reads of uploads: the latest upload per data source the caller may upload to, and one upload."""

from django.db.models import OuterRef, QuerySet, Subquery

from accounts.models import User
from nexus_server.errors import NotFound
from synctasks.selectors import data_sources_uploadable_by

from .models import Upload


def _with_relations(queryset: QuerySet[Upload]) -> QuerySet[Upload]:
    return queryset.select_related("blob", "uploader", "data_source__organization")


def uploads_latest_per_data_source(*, user: User) -> QuerySet[Upload]:
    """For each data source the user may upload to, its most recent upload: one query, however many
    data sources there are."""
    latest = Upload.objects.filter(data_source=OuterRef("data_source")).order_by("-upload_date", "-id").values("id")[:1]
    permitted = data_sources_uploadable_by(user=user).filter(uploadable=True).values("pk")
    return _with_relations(
        Upload.objects.filter(data_source__in=permitted, id=Subquery(latest)).order_by("data_source_id")
    )


def upload_get(*, user: User, upload_id: int) -> Upload:
    """One upload to a data source the user may upload to, or NotFound."""
    permitted = data_sources_uploadable_by(user=user).values("pk")
    upload = _with_relations(Upload.objects.filter(pk=upload_id, data_source__in=permitted)).first()
    if upload is None:
        raise NotFound(f"Upload {upload_id} does not exist.")
    return upload
