"""Reads of stored data: a feature's timeseries of one parameter, for the events CSV."""

from collections.abc import Iterator
from datetime import UTC, datetime

from django.contrib.auth.models import AnonymousUser

from nexus_server.errors import NotFound
from synctasks.models import DataConnection
from synctasks.selectors import data_source_visible_to

from .models import Measurement


def data_connection_readable(*, user, dc_id: int) -> DataConnection:
    """The data connection, if its data source is visible to the user (public ones to everybody)."""
    dc = DataConnection.objects.select_related("sync_task__data_source").filter(pk=dc_id).first()
    source = dc.sync_task.data_source if dc is not None else None
    if dc is None or (
        source is not None
        and source.private
        and (isinstance(user, AnonymousUser) or not data_source_visible_to(user=user, data_source=source))
    ):
        raise NotFound(f"Data connection {dc_id} does not exist.")
    return dc


def events_csv_lines(
    *, dc: DataConnection, feature: str, parameter: str, start: datetime | None, end: datetime | None
) -> Iterator[str]:
    """`timestamp,value` lines, oldest first, read in chunks from a server-side cursor."""
    rows = Measurement.objects.filter(data_connection=dc, feature_key=feature, parameter=parameter)
    if start is not None:
        rows = rows.filter(timestamp__gte=start)
    if end is not None:
        rows = rows.filter(timestamp__lte=end)
    yield "timestamp,value\n"
    for timestamp, value in rows.order_by("timestamp").values_list("timestamp", "value").iterator(chunk_size=5000):
        yield f"{timestamp.astimezone(UTC).isoformat().replace('+00:00', 'Z')},{value!r}\n"
