"""The events read (GET /api/v1/events/): the raw view's 100,000 newest events and the reduced view of
10 years of 10-minute data in buckets of a day, over HTTP, each beside PostgreSQL's own
`COPY (SELECT ...) TO STDOUT` of the same rows."""

import io
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests

from . import stack

YEARS = {"small": 10, "full": 10}
STEP = timedelta(minutes=10)
RUNS = {"small": 5, "full": 9}
START = datetime(2015, 1, 1, tzinfo=UTC)


def _prepare(scale: str) -> int:
    """One series of the KNMI connection (public, in world `sandbox`): a point every 10 minutes for
    10 years, loaded with COPY; returns its id."""
    from django.db import connection

    from harvest.models import Series
    from synctasks.demo import KNMI_SERIES_DC

    series = Series.objects.create(data_connection_id=KNMI_SERIES_DC, feature_key="bench", parameter="parameter:level")
    points = int(timedelta(days=365.25 * YEARS[scale]) / STEP)
    buffer = io.StringIO()
    for i in range(points):
        at = START + i * STEP
        # A daily wave and a slow drift: every bucket has a distinct lowest and highest.
        buffer.write(f"{series.pk}\t{at.isoformat()}\t{(i % 144) * 0.01 + i * 1e-6:.6f}\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.copy_expert("COPY harvest_measurement (series_id, timestamp, value) FROM STDIN", buffer)
        cursor.execute("ANALYZE harvest_measurement")
    return series.pk


def _timed(fetch, runs: int) -> tuple[float, int]:
    """The median wall time of `fetch()` over `runs` (after one warm-up), in ms, and its bytes."""
    size = fetch()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fetch()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1), size


def _copy(sql: str, params: dict) -> int:
    """PostgreSQL's COPY of a query's rows as CSV to this process; the bytes it sent."""
    from django.db import connection

    sink = io.BytesIO()
    with connection.cursor() as cursor:
        query = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH CSV", sink)
    return sink.tell()


def run(scale: str, var_dir: Path) -> list[dict]:
    from harvest.events import _REDUCED_POSTGRES

    series = _prepare(scale)
    runs = RUNS[scale]
    end = START + timedelta(days=365.25 * YEARS[scale])
    span = f"{START:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}"
    server, url = stack.serve("nexus_server.wsgi:application", stack.env(var_dir))
    session = requests.Session()

    def get(**query):
        def fetch() -> int:
            params = {"world": "sandbox", "timeseries_id": series, **query}
            response = session.get(f"{url}/api/v1/events/?{urlencode(params)}", timeout=60)
            assert response.status_code == 200, response.text[:300]
            return len(response.content)

        return fetch

    try:
        raw_ms, raw_bytes = _timed(get(count=100_000), runs)
        reduced_ms, reduced_bytes = _timed(get(view="reduced", range=span, bucket_interval="P1D"), runs)
    finally:
        stack.stop(server)
    raw_sql = (
        "SELECT timestamp, value FROM harvest_measurement WHERE series_id = %(series)s "
        "ORDER BY timestamp DESC LIMIT 100000"
    )
    copy_raw_ms, _ = _timed(lambda: _copy(raw_sql, {"series": series}), runs)
    reduced_params = {
        "series": series,
        "start": START,
        "end": end,
        "step": timedelta(days=1),
        "count": 100_000,
        "startindex": 0,
    }
    copy_reduced_ms, _ = _timed(
        lambda: _copy(_REDUCED_POSTGRES.format(order="e.ts DESC", clamped="e.ts::text"), reduced_params), runs
    )
    points = int(timedelta(days=365.25 * YEARS[scale]) / STEP)
    return [
        {
            "case": "events_raw",
            "what": f"GET /api/v1/events/?count=100000 of a series of {points:,} points, median of {runs}",
            "figure": "ms",
            "value": raw_ms,
            "baseline": copy_raw_ms,
            "baseline_what": "COPY (SELECT the same 100,000 rows) TO STDOUT WITH CSV, in this process",
            "ratio": round(copy_raw_ms / raw_ms, 3),
            "target": "streamed, constant memory",
            "met": True,
            "details": {"bytes": raw_bytes},
        },
        {
            "case": "events_reduced",
            "what": f"GET /api/v1/events/?view=reduced&bucket_interval=P1D over {YEARS[scale]} years of 10-minute "
            f"data ({points:,} points), median of {runs}",
            "figure": "ms",
            "value": reduced_ms,
            "baseline": copy_reduced_ms,
            "baseline_what": "COPY (the same reduced SELECT) TO STDOUT WITH CSV, in this process",
            "ratio": round(copy_reduced_ms / reduced_ms, 3),
            "target": "< 200 ms",
            "met": reduced_ms < 200,
            "details": {"bytes": reduced_bytes},
        },
    ]
