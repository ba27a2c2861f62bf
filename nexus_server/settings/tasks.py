"""Celery: the broker (a directory under var/ by default, Redis on the full stack), deliveries, time limits, beat."""

from .base import VAR_DIR, env

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task not acknowledged within this time is delivered again: longer than the longest ingest.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600),
        # A broker that is down or unreachable fails a publish in seconds, never hangs a request.
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0),
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=10.0),
    }
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's transport with the fix for a worker that exits when Redis goes mid-task (see there).
        CELERY_BROKER_TRANSPORT = "nexus_server.redis_transport:Transport"
# A publish (the POST's ingest) tries twice more within a second, then the upload is left for the
# worker's requeue of undispatched ingests (NEXUS_REQUEUE_UNDISPATCHED_SECONDS).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Every task ends within these: past the soft limit an ingest ends failed with nothing applied; past
# the hard limit its pool process is killed (which counts as a delivery that stopped its worker).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("NEXUS_TASK_SOFT_TIME_LIMIT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("NEXUS_TASK_HARD_TIME_LIMIT", default=3900)
CELERY_TASK_ALWAYS_EAGER = False  # never: an upload's ingest never runs inside its request
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Django's LOGGING (with its redaction filter) stays in charge of the worker's log lines too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# django-celery-beat's scheduler, recording each tick for /readyz (nexus_server/beat.py).
CELERY_BEAT_SCHEDULER = "nexus_server.beat:TickRecordingScheduler"
# /readyz: the wait for at least one worker to answer a ping, and the oldest tick of beat still "running".
NEXUS_READYZ_WORKER_TIMEOUT_SECONDS = env.float("NEXUS_READYZ_WORKER_TIMEOUT_SECONDS", default=1.0)
NEXUS_READYZ_BEAT_MAX_AGE_SECONDS = env.float("NEXUS_READYZ_BEAT_MAX_AGE_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE = {
    "blobs-sweep-orphans": {"task": "blobs.tasks.sweep_orphans", "schedule": 3600.0},
    "uploads-requeue-stalled": {"task": "uploads.requeue_stalled", "schedule": 300.0},
    "uploads-requeue-undispatched": {
        "task": "uploads.requeue_undispatched",
        "schedule": env.float("NEXUS_REQUEUE_UNDISPATCHED_SECONDS", default=30.0),
    },
    "harvest-retention": {"task": "harvest.retention", "schedule": 24 * 3600.0},
    "uploads-tus-sweep": {"task": "uploads.tus_sweep", "schedule": 3600.0},
}
