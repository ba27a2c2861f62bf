"""The Prometheus metrics every process records (requests, uploads, ingests, harvests, sweeps, tasks)."""

# Every entry point names PROMETHEUS_MULTIPROC_DIR before this import (nexus_server.embedded.prepare):
# prometheus_client reads it once, when imported, and then keeps each process's values in files of
# that directory, which a scrape sums over every gunicorn and Celery process.
from django.db import transaction
from prometheus_client import Counter, Histogram

# Latency buckets from a fast read to a large upload's minutes.
_REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)

REQUESTS = Counter(
    "nexus_http_requests_total",
    "HTTP requests answered, by dialect, route pattern, method and status.",
    ["dialect", "route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "nexus_http_request_duration_seconds",
    "Time to answer an HTTP request (to the end of the view; a streamed body's transfer is not in it).",
    ["dialect", "route"],
    buckets=_REQUEST_BUCKETS,
)
UPLOADS = Counter("nexus_uploads_total", "Uploaded files stored, by dialect.", ["dialect"])
UPLOAD_BYTES = Counter("nexus_upload_bytes_total", "Bytes of uploaded files stored, by dialect.", ["dialect"])
INGESTS = Counter(
    "nexus_ingests_total",
    "Ingests of uploads ended, by data source kind and outcome (successful, failed).",
    ["kind", "outcome"],
)
INGEST_SECONDS = Histogram(
    "nexus_ingest_duration_seconds",
    "Time an ingest of an upload took, by data source kind.",
    ["kind"],
    buckets=_TASK_BUCKETS,
)
INGEST_ROWS = Counter(
    "nexus_ingest_rows_total",
    "Timeseries rows of successful ingests, by data source kind and change (inserted, updated, unchanged).",
    ["kind", "change"],
)
INGEST_ITEMS = Counter(
    "nexus_ingest_items_total",
    "Features replaced, raster frames and documents stored by successful ingests, by data source kind.",
    ["kind", "item"],
)
HARVEST_RUNS = Counter(
    "nexus_harvest_runs_total",
    "Harvest runs ended, by outcome (successful, failed; retried: an attempt failed, another follows).",
    ["outcome"],
)
SWEEPS = Counter("nexus_blob_sweeps_total", "Sweeps of orphan blobs run.")
SWEPT = Counter(
    "nexus_blob_swept_total",
    "What the orphan sweeps removed: unreferenced rows, orphan objects, aborted multipart uploads.",
    ["what"],
)
TASKS = Counter(
    "nexus_celery_tasks_total",
    "Celery tasks ended in a worker, by task name and state (as Celery names it: SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
)
TASK_SECONDS = Histogram(
    "nexus_celery_task_duration_seconds",
    "Time a Celery task ran in a worker, by task name.",
    ["task"],
    buckets=_TASK_BUCKETS,
)


def upload_stored_on_commit(*, dialect: str, size: int) -> None:
    """One uploaded file's bytes are recorded through `dialect`: counted once the transaction that
    records them commits (a refused or rolled-back upload stored nothing)."""

    def count():
        UPLOADS.labels(dialect).inc()
        UPLOAD_BYTES.labels(dialect).inc(size)

    transaction.on_commit(count)


def ingest_ended(*, kind: str, outcome: str, seconds: float | None, report: dict) -> None:
    """One upload's ingest ended (committed); a successful one's report counts what it changed.
    `seconds` is None for an ingest failed without being run (it stopped its worker too often)."""
    INGESTS.labels(kind, outcome).inc()
    if seconds is not None:
        INGEST_SECONDS.labels(kind).observe(seconds)
    if outcome != "successful":
        return
    for change in ("inserted", "updated", "unchanged"):
        INGEST_ROWS.labels(kind, change).inc(report.get(f"rows_{change}", 0))
    for item, key in (
        ("features", "features_replaced"),
        ("frames", "frames_stored"),
        ("documents", "documents_stored"),
    ):
        INGEST_ITEMS.labels(kind, item).inc(report.get(key, 0))


def harvest_ended(*, outcome: str) -> None:
    HARVEST_RUNS.labels(outcome).inc()


def sweep_ended(*, removed: dict[str, int]) -> None:
    SWEEPS.inc()
    for what, count in removed.items():
        SWEPT.labels(what).inc(count)


def task_ended(*, task: str, state: str, seconds: float | None) -> None:
    TASKS.labels(task, state).inc()
    if seconds is not None:
        TASK_SECONDS.labels(task).observe(seconds)
