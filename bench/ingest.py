"""Timeseries ingest throughput on PostgreSQL, beside its baseline (plain COPY into an unindexed table).

A long CSV of N rows is upserted into a data connection already holding N/2 rows, half of which the
CSV overwrites. The ingest runs in its own process so that its peak RSS is its own; it is measured
at two file sizes to show whether memory grows with the file.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCALES = {"small": 1_000_000, "full": 10_000_000}
FEATURES = 1000
START = datetime(2020, 1, 1, tzinfo=UTC)
RESULTS = Path(__file__).parent / "results"


def _db_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexus_bench")


def _setup_django():
    os.environ["DATABASE_URL"] = _db_url()
    os.environ.setdefault("NEXUS_VAR_DIR", str(Path(tempfile.gettempdir()) / "nexus-bench-var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")
    import django

    django.setup()


def _ensure_database():
    import psycopg2

    url = _db_url()
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


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
    from django.core.management import call_command
    from django.db import connection

    from accounts.services import organization_get_or_create
    from synctasks.models import FeatureKind
    from synctasks.services import data_source_create, feature_type_ensure

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE harvest_measurement")
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
            'INSERT INTO harvest_measurement (data_connection_id, feature_key, parameter, "timestamp", value) '
            "SELECT %s, feature_key, parameter, ts, v FROM preload",
            [dc.pk],
        )
        cursor.execute("ANALYZE harvest_measurement")
    upload = workdir / "upload.csv"
    # Starts halfway through what is stored: half of the stored keys get new values.
    write_csv(upload, rows, first_hour=(rows // 2 // FEATURES) // 2, shift=0.5)
    return {"source": source.pk, "csv": str(upload), "existing_rows": rows // 2}


def _ingest_child(source_id: int, csv_path: str) -> None:
    """Runs in its own process: one ingest, timed; prints JSON with rows/s and peak RSS."""
    _setup_django()
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


def run_case(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="nexus-bench-") as tmp:
        prepared = _prepare(rows, Path(tmp))
        child = subprocess.run(
            [
                sys.executable,
                "-c",
                f"from bench.ingest import _ingest_child; _ingest_child({prepared['source']}, {prepared['csv']!r})",
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        measured = json.loads(child.stdout.strip().splitlines()[-1])
        baseline = _copy_baseline(prepared["csv"])
    return {
        "case": "timeseries_upsert",
        "rows": rows,
        "existing_rows": prepared["existing_rows"],
        "ingest_rows_per_s": round(rows / measured["seconds"]),
        "copy_baseline_rows_per_s": round(rows / baseline),
        "ratio": round((rows / measured["seconds"]) / (rows / baseline), 3),
        "ingest_seconds": round(measured["seconds"], 1),
        "peak_rss_mib": round(measured["peak_rss_kib"] / 1024, 1),
        "rss_before_ingest_mib": round(measured["rss_before_kib"] / 1024, 1),
        "report": measured["report"],
    }


def main() -> None:
    scale = os.environ.get("BENCH_SCALE", "small")
    rows = SCALES[scale]
    _ensure_database()
    _setup_django()
    RESULTS.mkdir(exist_ok=True)
    results = [run_case(rows // 10), run_case(rows)]
    with open(RESULTS / "ingest.jsonl", "a") as out:
        for result in results:
            out.write(json.dumps({"scale": scale, "at": datetime.now(UTC).isoformat(), **result}) + "\n")
    print(f"\nTimeseries upsert (BENCH_SCALE={scale}; a CSV of N rows into a connection holding N/2, half overwritten)")
    print(f"{'rows':>11} {'ingest rows/s':>14} {'COPY rows/s':>12} {'ratio':>6} {'seconds':>8} {'peak RSS MiB':>13}")
    for r in results:
        print(
            f"{r['rows']:>11,} {r['ingest_rows_per_s']:>14,} {r['copy_baseline_rows_per_s']:>12,} {r['ratio']:>6} "
            f"{r['ingest_seconds']:>8} {r['peak_rss_mib']:>13}"
        )
    print(
        f"inserted/updated at N={rows:,}: {results[1]['report']['rows_inserted']:,} / "
        f"{results[1]['report']['rows_updated']:,}; results appended to {RESULTS / 'ingest.jsonl'}"
    )
