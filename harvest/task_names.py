"""The names of the harvest app's Celery tasks: what its tasks register and every sender imports."""

# No imports here: the Celery wiring and other apps import these names before Django is set up.
HARVEST_RUN = "harvest.run"
HARVEST_SCHEDULED = "harvest.scheduled"
HARVEST_RETENTION = "harvest.retention"
HARVEST_CALCULATE = "harvest.calculate"
