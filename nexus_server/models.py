"""The wiring's one table: beat's last tick, which /readyz reads to tell a running beat from a stopped one."""

from django.db import models


class BeatTick(models.Model):
    """One row (pk 1): when beat's scheduler last ran its loop. Beat writes it, /readyz reads it."""

    at = models.DateTimeField()

    class Meta:
        db_table = "nexus_beat_tick"

    def __str__(self):
        return f"beat ticked at {self.at.isoformat()}"
