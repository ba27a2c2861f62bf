"""Reads of stored data: a feature's timeseries for the events CSV, series' counts and last values,
and a task's harvest runs."""

from collections.abc import Iterator
from datetime import datetime

from django.db.models import Count, Max, Min

from core.errors import NotFound
from core.formats import utc_z
from synctasks.models import DataConnection
from synctasks.selectors import sync_tasks_visible

from .models import HarvestRun, Measurement, RunStatus, Series


def data_connection_readable(*, user, dc_id: int) -> DataConnection:
    """The data connection, if its sync task is visible to the user (the same rule as the sync task
    list: public data sources to everybody, the rest to their organizations)."""
    visible = sync_tasks_visible(user=user).values("pk")
    dc = DataConnection.objects.filter(pk=dc_id, sync_task_id__in=visible).first()
    if dc is None:
        raise NotFound(f"Data connection {dc_id} does not exist.")
    return dc


def events_csv_lines(
    *, dc: DataConnection, feature: str, parameter: str, start: datetime | None, end: datetime | None
) -> Iterator[str]:
    """`timestamp,value` lines, oldest first, read in chunks from a server-side cursor."""
    rows = Measurement.objects.filter(
        series__data_connection=dc, series__feature_key=feature, series__parameter=parameter
    )
    if start is not None:
        rows = rows.filter(timestamp__gte=start)
    if end is not None:
        rows = rows.filter(timestamp__lte=end)
    yield "timestamp,value\n"
    for timestamp, value in rows.order_by("timestamp").values_list("timestamp", "value").iterator(chunk_size=5000):
        yield f"{utc_z(timestamp, seconds=False)},{value!r}\n"


def series_of(*, dc: DataConnection):
    """The connection's stored series, by feature and parameter."""
    return Series.objects.filter(data_connection=dc).order_by("feature_key", "parameter", "pk")


def series_stats(*, series_ids) -> dict[int, dict]:
    """For each of the given series (a page of them, never a whole table): its number of
    measurements and its oldest and newest timestamp, in one aggregate query on the (series,
    timestamp) key. A series without measurements has no entry."""
    rows = (
        Measurement.objects.filter(series_id__in=list(series_ids))
        .values("series_id")
        .annotate(count=Count("timestamp"), oldest=Min("timestamp"), newest=Max("timestamp"))
        .order_by()
    )
    return {row["series_id"]: row for row in rows}


def series_last_values(*, series: Series, limit: int) -> list[tuple[datetime, float]]:
    """The series' newest `limit` measurements as (timestamp, value), newest first."""
    rows = Measurement.objects.filter(series=series).order_by("-timestamp").values_list("timestamp", "value")
    return list(rows[:limit])


def harvest_runs_of(*, task):
    return HarvestRun.objects.filter(sync_task=task).order_by("-id")


def harvest_runs_waiting() -> int:
    """Harvest runs queued or running, over every sync task."""
    return HarvestRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).count()
