"""Beat's heartbeat: the scheduler records each tick of its loop in the database, for /readyz."""

import logging
import time

from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from django_celery_beat.schedulers import DatabaseScheduler

from .models import BeatTick

logger = logging.getLogger(__name__)

# Beat's loop ticks at least every 5 s (the scheduler's max interval); one write in this many
# seconds is enough for a freshness limit of a minute and keeps SQLite's writer lock free.
RECORD_EVERY_SECONDS = 10.0
TICK = 1


class TickRecordingScheduler(DatabaseScheduler):
    """django-celery-beat's scheduler, recording that its loop runs. The tick is beat's own: a
    beat-scheduled task would be stamped by a worker (stale when the workers are down, blaming
    beat), and the periodic tasks' `last_run_at` is saved only at beat's sync (every 3 minutes)."""

    _recorded = 0.0

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if now - self._recorded >= RECORD_EVERY_SECONDS:
            try:
                BeatTick.objects.update_or_create(pk=TICK, defaults={"at": timezone.now()})
                self._recorded = now
            except DatabaseError:  # the database is away: the next tick tries again on a new connection
                logger.warning("could not record beat's tick", exc_info=True)
                close_old_connections()
        return interval


def last_tick():
    """When beat last recorded a tick, or None if it never did."""
    return BeatTick.objects.filter(pk=TICK).values_list("at", flat=True).first()
