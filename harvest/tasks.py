"""Celery tasks of harvests: one harvest run, retried while it has to wait or back off."""

from celery import shared_task
from celery.exceptions import Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError

from .calculations import calculation_run
from .locks import LockBusy, database_connection_lost
from .retention import retention_apply
from .runs import (
    HarvestWait,
    harvest_execute,
    harvest_fail,
    harvest_interrupted,
    harvest_mark_undispatched,
    harvest_queue_scheduled,
)
from .task_names import HARVEST_CALCULATE, HARVEST_RETENTION, HARVEST_RUN, HARVEST_SCHEDULED


@shared_task(bind=True, name=HARVEST_RUN, acks_late=True, max_retries=None)
def run_harvest(self, run_id: int) -> str | None:
    try:
        return harvest_execute(run_id=run_id)
    except (HarvestWait, LockBusy) as wait:
        return _retry(self, run_id, wait.countdown)
    except SoftTimeLimitExceeded:
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        reason = f"the harvest took longer than the time limit of {limit} s; nothing was applied"
        harvest_fail(run_id=run_id, reason=reason)
        return None
    except (DatabaseError, InterfaceError) as error:
        if not database_connection_lost(error):
            harvest_fail(run_id=run_id, reason=f"Internal error during the harvest ({type(error).__name__}).")
            raise
        # The database connection went mid-run (nothing applied): not a fault, nor a lost delivery.
        harvest_interrupted(run_id=run_id)
        return _retry(self, run_id, settings.NEXUS_INGEST_LOCK_RETRY_SECONDS)
    except Exception as error:
        # A run never stays "running" after a fault of ours: it ends failed, saying so.
        harvest_fail(run_id=run_id, reason=f"Internal error during the harvest ({type(error).__name__}).")
        raise


def _retry(task, run_id: int, countdown: float) -> None:
    try:
        raise task.retry(countdown=countdown) from None
    except Retry:
        raise
    except Exception:
        # The retry could not be published (the broker went): the requeue sends the run later.
        harvest_mark_undispatched(run_id=run_id)
        return None


@shared_task(name=HARVEST_SCHEDULED)
def scheduled_harvest(task_id: int) -> int | None:
    """Beat's entry for a scheduled task: queues a run unless one is already waiting or running."""
    return harvest_queue_scheduled(task_id=task_id)


@shared_task(name=HARVEST_RETENTION)
def retention() -> dict[str, int]:
    return retention_apply()


@shared_task(name=HARVEST_CALCULATE, acks_late=True)
def calculate(calculation_id: int) -> dict | None:
    return calculation_run(calculation_id=calculation_id)
