"""The names of the uploads app's Celery tasks: what its tasks register and every sender imports."""

# No imports here: the Celery wiring imports these names before Django is set up.
UPLOADS_INGEST = "uploads.ingest"
UPLOADS_REQUEUE_STALLED = "uploads.requeue_stalled"
UPLOADS_REQUEUE_UNDISPATCHED = "uploads.requeue_undispatched"
UPLOADS_TUS_SWEEP = "uploads.tus_sweep"
