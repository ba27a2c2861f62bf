"""The platform's events read (`/api/v1/events/`): its query parsed and bounded, and one series' events,
raw or reduced to each time bucket's lowest and highest, streamed from one index range scan."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import isodate
from django.conf import settings
from django.db import connection

from core.errors import InvalidInput, NotFound
from synctasks.models import World
from synctasks.selectors import sync_tasks_visible

from .models import Measurement, Series

# Each order as SQL, its timestamp column named where the query is built; ties by time.
_ORDER = {
    "timestamp d": "{ts} DESC",
    "timestamp a": "{ts} ASC",
    "value d": "value DESC, {ts} DESC",
    "value a": "value ASC, {ts} ASC",
}
SORTS = tuple(_ORDER)
VIEWS = ("raw", "reduced")


@dataclass(frozen=True)
class EventsQuery:
    series: Series
    view: str
    count: int
    startindex: int
    sortby: str
    start: datetime | None
    end: datetime | None
    bucket: timedelta | None


def _integer(params, name: str, default: int, limit: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) > limit:
        raise InvalidInput(f"`{name}` must be a whole number from 0 to {limit}.", field=name)
    return int(raw)


def _instant(raw: str, now: datetime, side: str) -> datetime:
    """One end of a range: an ISO 8601 instant (a date is its midnight; no offset is UTC) or a
    signed duration from now (`-P3M`, `+P0M`, `PT6H`)."""
    text = raw.strip()
    try:
        if text.lstrip("+-").startswith("P"):
            return now + isodate.parse_duration(text)
        if "T" not in text:
            moment = datetime.combine(isodate.parse_date(text), datetime.min.time())
        else:
            moment = isodate.parse_datetime(text)
    except (isodate.ISO8601Error, ValueError, OverflowError):
        raise InvalidInput(
            f"`range`: the {side} '{raw}' is neither an ISO 8601 instant (2025-01-01T12:00:00Z) nor a "
            "duration from now (-P3M, +P0M).",
            field="range",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _range(raw: str | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    if raw is None:
        return None, None
    start, sep, end = raw.partition("/")
    if not sep or not start.strip() or not end.strip():
        raise InvalidInput("`range` must be <start>/<end>, e.g. 2025-01-01T00:00:00Z/-P0D.", field="range")
    first, last = _instant(start, now, "start"), _instant(end, now, "end")
    if last < first:
        raise InvalidInput("`range`: its end is before its start.", field="range")
    return first, last


def _bucket(raw: str) -> timedelta:
    try:
        bucket = isodate.parse_duration(raw.strip())
    except (isodate.ISO8601Error, ValueError, OverflowError):
        raise InvalidInput(
            f"`bucket_interval` '{raw}' is not an ISO 8601 duration (P1D, PT2H).", field="bucket_interval"
        ) from None
    # Buckets are cut at equal steps from the range's start: a month or a year has no one length.
    if not isinstance(bucket, timedelta) or bucket <= timedelta(0):
        raise InvalidInput(
            "`bucket_interval` must be a positive duration of weeks, days, hours, minutes or seconds (P1D, PT2H).",
            field="bucket_interval",
        )
    return bucket


def events_query(*, user, params, now: datetime | None = None) -> EventsQuery:
    """The query of a request, checked: a world's series the user may read (NotFound otherwise, never
    telling a private one from a missing one), the view and its bounds."""
    now = now or datetime.now(UTC)
    for name in ("world", "timeseries_id"):
        if not params.get(name):
            raise InvalidInput(f"`{name}` is required.", field=name)
    view = params.get("view", "raw")
    if view not in VIEWS:
        raise InvalidInput("`view` must be raw or reduced.", field="view")
    sortby = params.get("sortby", "timestamp d")
    if sortby not in SORTS:
        raise InvalidInput(f"`sortby` must be one of: {', '.join(SORTS)}.", field="sortby")
    count = _integer(params, "count", 100_000, settings.NEXUS_EVENTS_MAX_COUNT)
    startindex = _integer(params, "startindex", 0, settings.NEXUS_EVENTS_MAX_STARTINDEX)
    start, end = _range(params.get("range"), now)
    bucket = None
    if view == "reduced":
        if start is None or params.get("bucket_interval") is None:
            raise InvalidInput("The reduced view needs `range` and `bucket_interval`.", field="range")
        bucket = _bucket(params["bucket_interval"])
        if (end - start) / bucket > settings.NEXUS_EVENTS_MAX_BUCKETS:
            raise InvalidInput(
                f"`bucket_interval` cuts the range into more than {settings.NEXUS_EVENTS_MAX_BUCKETS} buckets.",
                field="bucket_interval",
            )
    series = _series(user=user, world=params["world"], raw_id=params["timeseries_id"])
    return EventsQuery(series, view, count, startindex, sortby, start, end, bucket)


def _series(*, user, world: str, raw_id: str) -> Series:
    if not raw_id.isascii() or not raw_id.isdigit() or len(raw_id) > 10:
        raise InvalidInput("`timeseries_id` must be a series' id (a whole number).", field="timeseries_id")
    found = World.objects.filter(alias=world).first()
    if found is None:
        raise NotFound(f"World '{world}' does not exist.")
    series = (
        Series.objects.filter(
            pk=int(raw_id),
            data_connection__subscriptions__world=found,
            data_connection__sync_task__in=sync_tasks_visible(user=user).values("pk"),
        )
        .select_related("data_connection")
        .first()
    )
    if series is None:
        raise NotFound(f"Timeseries {raw_id} does not exist in world '{world}'.")
    return series


def event_time(value: datetime) -> str:
    """`2025-10-21 00:00:00+00`, as PostgreSQL writes a UTC timestamptz (a fraction only when there is one)."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + "+00"


def events_csv(query: EventsQuery) -> Iterator[str]:
    """`timestamp,value` lines in the query's order, streamed in chunks of lines."""
    yield "timestamp,value\n"
    postgres = connection.vendor == "postgresql"
    sql, params = _reduced_sql(query, postgres) if query.view == "reduced" else _raw_sql(query, postgres)
    # A server-side cursor on PostgreSQL (as QuerySet.iterator() takes): rows arrive in chunks, and
    # PostgreSQL writes the timestamps itself (its UTC text is the platform's format).
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK):
            if postgres:
                yield "".join([f"{timestamp},{value!r}\n" for timestamp, value in rows])
            else:
                yield "".join([f"{event_time(_sqlite_time(timestamp))},{value!r}\n" for timestamp, value in rows])


CHUNK = 5000
_TIMESTAMP = Measurement._meta.get_field("timestamp")


def _sqlite_time(value) -> datetime:
    # Naive UTC text, as Django stores it (through a UNION, which keeps no column type).
    return _TIMESTAMP.to_python(value).replace(tzinfo=UTC)


def _bounds(query: EventsQuery, postgres: bool) -> tuple:
    if postgres or query.start is None:
        return query.start, query.end
    # As Django stores them in SQLite: naive UTC text, which compares in time order.
    return tuple(connection.ops.adapt_datetimefield_value(v) for v in (query.start, query.end))


# A row stored outside years 1 to 9999 (by hand, or before the ingest's checks) is shown at the
# nearest end of that range, as the server's other reads show it: never PostgreSQL's "BC" or year 10000.
_CLAMPED = "LEAST(GREATEST({ts}, '0001-01-01 00:00:00+00'), '9999-12-31 23:59:59.999999+00')::text"


def _raw_sql(query: EventsQuery, postgres: bool) -> tuple[str, dict]:
    start, end = _bounds(query, postgres)
    where = "series_id = %(series)s" + (" AND timestamp >= %(start)s AND timestamp <= %(end)s" if start else "")
    column = _CLAMPED.format(ts="timestamp") if postgres else "timestamp"
    order = _ORDER[query.sortby].format(ts="timestamp")
    # Only fixed fragments of this module go into the text; every value is a parameter.
    sql = f"SELECT {column}, value FROM harvest_measurement WHERE {where} ORDER BY {order} "  # noqa: S608
    sql += "LIMIT %(count)s OFFSET %(startindex)s"
    return sql, {"series": query.series.pk, "start": start, "end": end, **_page(query)}


def _page(query: EventsQuery) -> dict:
    return {"count": query.count, "startindex": query.startindex}


# Reduced: each bucket's lowest and highest event, aggregated by the database over the series' range
# of the (series, timestamp) primary key. Ties go to the earliest event. date_bin cuts the buckets
# from the range's start, and date_part's float epoch keeps each (value, time) pair in float8: on the
# bench each takes a third to a half of the time of extract()'s numeric arithmetic.
_REDUCED_POSTGRES = """
SELECT {clamped}, e.value FROM (
    SELECT DISTINCT pair.ts, pair.value FROM (
        SELECT min(ARRAY[value, date_part('epoch', timestamp)]) AS lo,
               max(ARRAY[value, -date_part('epoch', timestamp)]) AS hi
        FROM harvest_measurement
        WHERE series_id = %(series)s AND timestamp >= %(start)s AND timestamp <= %(end)s
        GROUP BY date_bin(%(step)s, timestamp, %(start)s)
    ) b CROSS JOIN LATERAL (VALUES (to_timestamp(lo[2]), lo[1]), (to_timestamp(-hi[2]), hi[1])) AS pair(ts, value)
) e
ORDER BY {order} LIMIT %(count)s OFFSET %(startindex)s
"""
# SQLite takes a bare column from the row that min() or max() chose (its documented rule). Seconds
# from the start are rounded to the millisecond: julianday's float would put an event on a bucket's
# edge into the bucket before.
_REDUCED_SQLITE = """
SELECT timestamp, value FROM (
    SELECT timestamp, min(value) AS value FROM harvest_measurement
    WHERE series_id = %(series)s AND timestamp >= %(start)s AND timestamp <= %(end)s
    GROUP BY CAST(round((julianday(timestamp) - julianday(%(start)s)) * 86400.0, 3) / %(step)s AS INTEGER)
    UNION
    SELECT timestamp, max(value) AS value FROM harvest_measurement
    WHERE series_id = %(series)s AND timestamp >= %(start)s AND timestamp <= %(end)s
    GROUP BY CAST(round((julianday(timestamp) - julianday(%(start)s)) * 86400.0, 3) / %(step)s AS INTEGER)
)
ORDER BY {order} LIMIT %(count)s OFFSET %(startindex)s
"""


def _reduced_sql(query: EventsQuery, postgres: bool) -> tuple[str, dict]:
    start, end = _bounds(query, postgres)
    order = _ORDER[query.sortby].format(ts="e.ts" if postgres else "timestamp")
    if postgres:
        sql = _REDUCED_POSTGRES.format(order=order, clamped=_CLAMPED.format(ts="e.ts"))
    else:
        sql = _REDUCED_SQLITE.format(order=order)
    step = query.bucket if postgres else query.bucket.total_seconds()
    return sql, {"series": query.series.pk, "start": start, "end": end, "step": step, **_page(query)}
