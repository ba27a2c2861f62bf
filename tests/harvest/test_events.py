"""The platform's events read: raw pages and orders, the reduced view against a brute-force
computation, ranges relative to now, refusals, and who may read which series."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from accounts.services import token_create
from harvest.events import event_time
from harvest.models import Measurement, Series
from synctasks.models import DataConnection, FeatureKind, Subscription, World
from synctasks.services import data_source_create, feature_type_ensure
from tests.support.accounts import member_create, supplier_create

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 1, 1, 12, tzinfo=UTC)


def _series(*, private: bool, name: str, org=None, world: World | None = None) -> Series:
    if org is None:
        _, org = supplier_create()
    source = data_source_create(
        name=name,
        organization=org,
        ext="csv",
        private=private,
        feature_types=[feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)],
    )
    dc = DataConnection.objects.get(sync_task__data_source=source)
    world = world or World.objects.get_or_create(alias="sandbox")[0]
    Subscription.objects.create(world=world, data_connection=dc, retention_time=10**9)
    return Series.objects.create(data_connection=dc, feature_key="A", parameter="parameter:waterlevel")


def _store(series: Series, points: list[tuple[datetime, float]]) -> None:
    Measurement.objects.bulk_create(Measurement(series=series, timestamp=t, value=v) for t, v in points)


def _csv(response) -> list[tuple[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "timestamp,value"
    return [tuple(line.split(",")) for line in lines[1:]]


@pytest.fixture
def public(db):
    series = _series(private=False, name="Public levels")
    _store(series, [(T0 + timedelta(days=i), 10.0 + i) for i in range(5)])
    return series


def test_raw_newest_first_by_default_in_the_platforms_timestamps(client, public):
    rows = _csv(client.get(f"/api/v1/events/?world=sandbox&timeseries_id={public.pk}&count=3"))
    assert rows == [
        ("2025-01-05 12:00:00+00", "14.0"),
        ("2025-01-04 12:00:00+00", "13.0"),
        ("2025-01-03 12:00:00+00", "12.0"),
    ]


@pytest.mark.parametrize(
    ("sortby", "startindex", "count", "expected"),
    [
        ("timestamp a", 1, 2, [("2025-01-02 12:00:00+00", "11.0"), ("2025-01-03 12:00:00+00", "12.0")]),
        ("value d", 0, 2, [("2025-01-05 12:00:00+00", "14.0"), ("2025-01-04 12:00:00+00", "13.0")]),
        ("value a", 3, 100, [("2025-01-04 12:00:00+00", "13.0"), ("2025-01-05 12:00:00+00", "14.0")]),
        ("timestamp d", 5, 100, []),
        ("timestamp d", 0, 0, []),
    ],
)
def test_raw_orders_and_pages(client, public, sortby, startindex, count, expected):
    url = (
        f"/api/v1/events/?world=sandbox&timeseries_id={public.pk}&sortby={sortby}&startindex={startindex}&count={count}"
    )
    assert _csv(client.get(url)) == expected


def test_a_range_of_instants_or_of_durations_from_now_includes_both_ends(client, public):
    url = f"/api/v1/events/?world=sandbox&timeseries_id={public.pk}&sortby=timestamp a"
    assert _csv(client.get(f"{url}&range=2025-01-02T12:00:00Z/2025-01-04T12:00:00Z")) == [
        ("2025-01-02 12:00:00+00", "11.0"),
        ("2025-01-03 12:00:00+00", "12.0"),
        ("2025-01-04 12:00:00+00", "13.0"),
    ]
    assert _csv(client.get(f"{url}&range=2025-01-04/2025-01-05")) == [("2025-01-04 12:00:00+00", "13.0")]
    recent = _series(private=False, name="Recent", org=public.data_connection.sync_task.data_source.organization)
    now = datetime.now(UTC).replace(microsecond=0)
    _store(recent, [(now - timedelta(days=200), 1.0), (now - timedelta(days=20), 2.0), (now + timedelta(days=9), 3.0)])
    assert _csv(client.get(f"/api/v1/events/?world=sandbox&timeseries_id={recent.pk}&range=-P3M/%2BP0M")) == [
        (event_time(now - timedelta(days=20)), "2.0")
    ]


def _brute_force(points, start, end, step):
    buckets: dict[int, list] = {}
    for t, v in points:
        if start <= t <= end:
            buckets.setdefault(int((t - start) / step), []).append((t, v))
    chosen = set()
    for events in buckets.values():
        chosen.add(min(events, key=lambda e: (e[1], e[0])))
        chosen.add(max(events, key=lambda e: (e[1], -e[0].timestamp())))
    return sorted(chosen)


def test_the_reduced_view_is_each_buckets_lowest_and_highest_event_aligned_on_the_range_start(client, public):
    series = _series(private=False, name="Dense", org=public.data_connection.sync_task.data_source.organization)
    rng = random.Random(7)
    start = datetime(2025, 1, 1, 12, tzinfo=UTC)
    # Every 10 minutes for three days, distinct values; hours 30-40 are empty; one bucket with one event.
    points = [
        (start + timedelta(minutes=10 * i), round(rng.uniform(-50, 50), 6) + i * 1e-7)
        for i in range(6 * 72)
        if not 30 * 6 <= i < 40 * 6
    ]
    points = [p for p in points if not start + timedelta(hours=50) <= p[0] < start + timedelta(hours=52)]
    points.append((start + timedelta(hours=51), 3.25))
    # Before the range (not counted), and on its very end (counted).
    points.append((start - timedelta(minutes=5), 999.0))
    points.append((start + timedelta(hours=72), 0.5))
    _store(series, points)
    end = start + timedelta(hours=72)
    step = timedelta(hours=2)
    url = (
        f"/api/v1/events/?world=sandbox&timeseries_id={series.pk}&view=reduced&sortby=timestamp a"
        f"&range=2025-01-01T12:00:00Z/2025-01-04T12:00:00Z&bucket_interval=PT2H"
    )
    rows = _csv(client.get(url))
    expected = _brute_force(points, start, end, step)
    assert rows == [(event_time(t), repr(v)) for t, v in expected]
    # Empty buckets (hours 30 to 40 from the start) give nothing; the one-event bucket gives it once.
    assert not any(start + timedelta(hours=30) <= t < start + timedelta(hours=40) for t, _ in expected)
    assert [v for t, v in expected if start + timedelta(hours=50) <= t < start + timedelta(hours=52)] == [3.25]
    assert len(rows) == 2 * (36 - 5 - 1) + 1 + 1  # 30 full buckets, the one-event one, the end instant's own
    # Alignment: a range starting an hour later cuts other buckets.
    later = _csv(client.get(url.replace("2025-01-01T12:00:00Z", "2025-01-01T13:00:00Z")))
    shifted = start + timedelta(hours=1)
    assert later == [(event_time(t), repr(v)) for t, v in _brute_force(points, shifted, end, step)]
    assert later != rows
    # Other orders and pages apply to the reduced events.
    by_value = _csv(client.get(url.replace("sortby=timestamp a", "sortby=value d") + "&count=3&startindex=1"))
    assert by_value == [(event_time(t), repr(v)) for t, v in sorted(expected, key=lambda e: (-e[1], e[0]))[1:4]]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("timeseries_id={id}", "world", "`world` is required."),
        ("world=sandbox", "timeseries_id", "`timeseries_id` is required."),
        ("world=sandbox&timeseries_id=x1", "timeseries_id", "`timeseries_id` must be a series' id (a whole number)."),
        ("world=sandbox&timeseries_id={id}&view=thin", "view", "`view` must be raw or reduced."),
        (
            "world=sandbox&timeseries_id={id}&sortby=value",
            "sortby",
            "`sortby` must be one of: timestamp d, timestamp a, value d, value a.",
        ),
        ("world=sandbox&timeseries_id={id}&count=-1", "count", "`count` must be a whole number from 0 to 1000000."),
        (
            "world=sandbox&timeseries_id={id}&count=1000001",
            "count",
            "`count` must be a whole number from 0 to 1000000.",
        ),
        (
            "world=sandbox&timeseries_id={id}&startindex=1e3",
            "startindex",
            "`startindex` must be a whole number from 0 to 10000000.",
        ),
        (
            "world=sandbox&timeseries_id={id}&range=2025-01-01",
            "range",
            "`range` must be <start>/<end>, e.g. 2025-01-01T00:00:00Z/-P0D.",
        ),
        (
            "world=sandbox&timeseries_id={id}&range=yesterday/-P0D",
            "range",
            "`range`: the start 'yesterday' is neither an ISO 8601 instant (2025-01-01T12:00:00Z) nor a duration "
            "from now (-P3M, +P0M).",
        ),
        (
            "world=sandbox&timeseries_id={id}&range=2025-02-01/2025-01-01",
            "range",
            "`range`: its end is before its start.",
        ),
        (
            "world=sandbox&timeseries_id={id}&view=reduced&bucket_interval=P1D",
            "range",
            "The reduced view needs `range` and `bucket_interval`.",
        ),
        (
            "world=sandbox&timeseries_id={id}&view=reduced&range=2025-01-01/2025-02-01",
            "range",
            "The reduced view needs `range` and `bucket_interval`.",
        ),
        (
            "world=sandbox&timeseries_id={id}&view=reduced&range=2025-01-01/2025-02-01&bucket_interval=P1M",
            "bucket_interval",
            "`bucket_interval` must be a positive duration of weeks, days, hours, minutes or seconds (P1D, PT2H).",
        ),
        (
            "world=sandbox&timeseries_id={id}&view=reduced&range=2025-01-01/2025-02-01&bucket_interval=PT0S",
            "bucket_interval",
            "`bucket_interval` must be a positive duration of weeks, days, hours, minutes or seconds (P1D, PT2H).",
        ),
        (
            "world=sandbox&timeseries_id={id}&view=reduced&range=2000-01-01/2025-02-01&bucket_interval=PT1S",
            "bucket_interval",
            "`bucket_interval` cuts the range into more than 1000000 buckets.",
        ),
    ],
)
def test_refusals_name_the_parameter(client, public, query, field, message):
    response = client.get("/api/v1/events/?" + query.format(id=public.pk))
    assert (response.status_code, response.json()) == (400, {field: [message]})


def test_only_the_worlds_series_that_the_caller_may_read(client, public):
    _, other_org = member_create("other", "Organization Q")
    private = _series(private=True, name="Private levels", org=other_org)
    _store(private, [(T0, 1.0)])
    elsewhere = _series(private=False, name="Elsewhere", org=other_org, world=World.objects.create(alias="other"))
    url = "/api/v1/events/?world={world}&timeseries_id={id}"
    assert client.get(url.format(world="nowhere", id=public.pk)).json() == {"detail": "World 'nowhere' does not exist."}
    for world, series in (("sandbox", private), ("sandbox", elsewhere), ("sandbox", Series(pk=99999))):
        response = client.get(url.format(world=world, id=series.pk))
        assert (response.status_code, response.json()) == (
            404,
            {"detail": f"Timeseries {series.pk} does not exist in world 'sandbox'."},
        )
    member, _ = member_create("reader", "Organization Q")
    token = token_create(user=member).raw
    assert _csv(client.get(url.format(world="sandbox", id=private.pk) + f"&token={token}")) == [
        ("2025-01-01 12:00:00+00", "1.0")
    ]


def test_a_connections_series_tell_the_ids_the_events_read_takes(client, public):
    Series.objects.create(data_connection=public.data_connection, feature_key="B", parameter="parameter:flow")
    public.newest_time = T0 + timedelta(days=4)
    public.save()
    page = client.get(f"/api/v1/dataconnections/{public.data_connection_id}/series/")
    assert page.json() == {
        "count": 2,
        "next": None,
        "previous": None,
        "results": [
            {
                "id": public.pk,
                "feature": "A",
                "parameter": "parameter:waterlevel",
                "newest_time": "2025-01-05T12:00:00Z",
            },
            {"id": public.pk + 1, "feature": "B", "parameter": "parameter:flow", "newest_time": None},
        ],
    }


def test_the_answers_are_the_documented_ones(client, public):
    from tests.support.openapi import Conformance, openapi_document

    conformance = Conformance(openapi_document())
    for path in (
        f"/api/v1/events/?world=sandbox&timeseries_id={public.pk}&count=2",
        f"/api/v1/events/?world=sandbox&timeseries_id={public.pk}&view=reduced&range=2025-01-01/2025-02-01&bucket_interval=P1D",
        f"/api/v1/events/?world=sandbox&timeseries_id={public.pk}&view=thin",
        "/api/v1/events/?world=nowhere&timeseries_id=1",
        f"/api/v1/dataconnections/{public.data_connection_id}/series/",
    ):
        response = client.get(path)
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        conformance(name=path, method="GET", path=path, headers={}, meta={}, response=response, raw=raw)
    assert (conformance.problems, conformance.unrouted, conformance.checked) == ([], [], 5)
