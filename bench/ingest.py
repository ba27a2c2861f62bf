"""Timeseries ingest throughput on PostgreSQL, beside its baseline (plain COPY into an unindexed table).

A long CSV of N rows is upserted into a data connection already holding N/2 rows, half of which the
CSV overwrites. The ingest runs in its own process so that its peak RSS is its own; it is measured
at two file sizes to show whether memory grows with the file.
"""

import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import stack

SCALES = {"small": 1_000_000, "full": 10_000_000}
FEATURES = 1000
START = datetime(2020, 1, 1, tzinfo=UTC)


def write_csv(path: Path, rows: int, first_hour: int, shift: float = 0.0) -> None:
    """rows = FEATURES x hours, hourly from START + first_hour, value = a function of the key (+ shift)."""
    hours = rows // FEATURES
    with open(path, "w", buffering=1024 * 1024) as out:
        out.write("feature,parameter,timestamp,value\n")
        for hour in range(first_hour, first_hour + hours):
            stamp = (START + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.writelines(f"F{f},waterlevel,{stamp},{(hour * 7 + f) % 1000 / 10 + shift}\n" for f in range(FEATURES))


def _prepare(rows: int, workdir: Path) -> dict:
    """A fresh data connection holding rows/2 measurements (loaded by COPY), and the CSV to ingest."""
    from django.db import connection

    from accounts.services import organization_get_or_create
    from synctasks.models import FeatureKind
    from synctasks.services import data_source_create, feature_type_ensure

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE harvest_measurement, harvest_series CASCADE")
    source = data_source_create(
        name=f"bench {time.time()}",
        organization=organization_get_or_create(name="Bench"),
        ext="csv",
        uploadable=True,
        feature_types=[feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)],
    )
    dc = source.sync_task.dataconnections.get()
    existing = workdir / "existing.csv"
    write_csv(existing, rows // 2, first_hour=0)
    with connection.cursor() as cursor, open(existing) as data:
        cursor.execute("DROP TABLE IF EXISTS preload")
        cursor.execute("CREATE TEMP TABLE preload (feature_key text, parameter text, ts timestamptz, v float8)")
        cursor.cursor.copy_expert("COPY preload FROM STDIN WITH (FORMAT csv, HEADER true)", data)
        cursor.execute(
            "INSERT INTO harvest_series (data_connection_id, feature_key, parameter, newest_time) "
            "SELECT %s, feature_key, parameter, max(ts) FROM preload GROUP BY feature_key, parameter",
            [dc.pk],
        )
        cursor.execute(
            'INSERT INTO harvest_measurement (series_id, "timestamp", value) SELECT s.id, p.ts, p.v FROM preload p '
            "JOIN harvest_series s ON s.data_connection_id = %s AND s.feature_key = p.feature_key "
            "AND s.parameter = p.parameter",
            [dc.pk],
        )
        cursor.execute("ANALYZE harvest_measurement")
    upload = workdir / "upload.csv"
    # Starts halfway through what is stored: half of the stored keys get new values.
    write_csv(upload, rows, first_hour=(rows // 2 // FEATURES) // 2, shift=0.5)
    return {"source": source.pk, "csv": str(upload), "existing_rows": rows // 2}


def _ingest_child(source_id: int, csv_path: str, var_dir: str) -> None:
    """Runs in its own process: one ingest, timed; prints JSON with rows/s and peak RSS."""
    stack.setup_django(Path(var_dir))
    from django.db import transaction

    from blobs.services import blob_write
    from harvest.services import ingest
    from synctasks.models import DataSource

    source = DataSource.objects.get(pk=source_id)
    with open(csv_path, "rb") as data:
        blob = blob_write(chunks=iter(lambda: data.read(1024 * 1024), b""), max_bytes=1 << 40)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with transaction.atomic():
        report = ingest(blob=blob, data_source=source, filename="upload.csv")
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "seconds": seconds,
                "report": {k: v for k, v in report.items() if k != "errors"},
                "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "rss_before_kib": rss_before,
            }
        )
    )


def _copy_baseline(csv_path: str) -> float:
    from django.db import connection

    with connection.cursor() as cursor, open(csv_path) as data:
        cursor.execute("DROP TABLE IF EXISTS bench_copy_baseline")
        cursor.execute("CREATE UNLOGGED TABLE bench_copy_baseline (f text, p text, ts timestamptz, v float8)")
        started = time.perf_counter()
        cursor.cursor.copy_expert("COPY bench_copy_baseline FROM STDIN WITH (FORMAT csv, HEADER true)", data)
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy_baseline")
    return seconds


def run_case(rows: int, var_dir: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
        prepared = _prepare(rows, Path(tmp))
        code = (
            "from bench.ingest import _ingest_child; "
            f"_ingest_child({prepared['source']}, {prepared['csv']!r}, {str(var_dir)!r})"
        )
        child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=stack.ROOT)
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        baseline = _copy_baseline(prepared["csv"])
    return {
        "rows": rows,
        "existing_rows": prepared["existing_rows"],
        "rows_per_s": round(rows / measured["seconds"]),
        "copy_rows_per_s": round(rows / baseline),
        "seconds": round(measured["seconds"], 1),
        "peak_rss_mib": round(measured["peak_rss_kib"] / 1024, 1),
        "report": measured["report"],
    }


def run(scale: str, var_dir: Path) -> dict:
    """The ingest at N/10 and at N rows: the figure is N's, the smaller run shows whether memory
    grows with the file."""
    rows = SCALES[scale]
    small, large = run_case(rows // 10, var_dir), run_case(rows, var_dir)
    return {
        "case": "ingest",
        "what": f"long timeseries CSV of {rows:,} rows upserted into a data connection holding {rows // 2:,} "
        "(half the keys overlapping), PostgreSQL",
        "figure": "rows/s",
        "value": large["rows_per_s"],
        "baseline": large["copy_rows_per_s"],
        "baseline_what": "PostgreSQL COPY of the same CSV into an unindexed table",
        "ratio": round(large["rows_per_s"] / large["copy_rows_per_s"], 3),
        "target": ">= 150,000 rows/s, RSS flat in the file size",
        "met": large["rows_per_s"] >= 150_000 and large["peak_rss_mib"] < small["peak_rss_mib"] * 1.25,
        "details": {"at_n": large, "at_n_over_10": small},
    }
