"""Celery tasks of harvests: one harvest run, retried while it has to wait or back off."""

from celery import shared_task

from .services import HARVEST_TASK, HarvestWait, harvest_execute, harvest_fail


@shared_task(bind=True, name=HARVEST_TASK, acks_late=True, max_retries=None)
def run_harvest(self, run_id: int) -> str | None:
    try:
        return harvest_execute(run_id=run_id)
    except HarvestWait as wait:
        raise self.retry(countdown=wait.countdown) from None
    except Exception as error:
        # A run never stays "running" after a fault of ours: it ends failed, saying so.
        harvest_fail(run_id=run_id, reason=f"Internal error during the harvest ({type(error).__name__}).")
        raise
