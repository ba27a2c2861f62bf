"""Retention: timeseries older than their subscriptions keep are removed, connection stats kept right."""

from datetime import timedelta

from django.db import transaction
from django.db.models import Exists, Max, Min, OuterRef
from django.utils import timezone

from synctasks.models import DataConnection
from synctasks.services import data_connection_statistics_update

from .appliers import series_feature_count
from .locks import series_lock
from .models import Measurement, Series


def retention_apply() -> dict[str, int]:
    """Removes timeseries older than the longest retention_time of each connection's subscriptions,
    and brings the connection's statistics up to date. Connections without subscriptions keep all."""
    removed = connections = 0
    longest = (
        DataConnection.objects.filter(subscriptions__isnull=False)
        .annotate(keep=Max("subscriptions__retention_time"))
        .values_list("pk", "keep")
    )
    now = timezone.now()
    for dc_id, keep in longest:
        with transaction.atomic():
            if not series_lock(data_connection_id=dc_id, wait=False):
                continue  # an upsert is writing to the connection: next time
            deleted, _ = Measurement.objects.filter(
                series__data_connection_id=dc_id, timestamp__lt=now - timedelta(seconds=keep)
            ).delete()
            if deleted:
                # A series left without measurements goes too: n_features counts features with data.
                Series.objects.filter(data_connection_id=dc_id).exclude(
                    Exists(Measurement.objects.filter(series=OuterRef("pk")))
                ).delete()
                rows = Measurement.objects.filter(series__data_connection_id=dc_id)
                stats = rows.aggregate(oldest=Min("timestamp"), newest=Max("timestamp"))
                data_connection_statistics_update(
                    data_connection_id=dc_id,
                    n_features=series_feature_count(data_connection_id=dc_id),
                    oldest_time=stats["oldest"],
                    newest_time=stats["newest"],
                )
                removed += deleted
                connections += 1
    return {"rows_removed": removed, "connections": connections}
