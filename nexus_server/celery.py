"""The Celery application: configured from Django settings, tasks discovered in every app."""

import logging
import os

from celery import Celery, bootsteps, signals

from uploads.task_names import UPLOADS_REQUEUE_UNDISPATCHED

from .embedded import prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")

logger = logging.getLogger(__name__)

app = Celery("nexus_server")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.on_configure.connect
def _prepare_var_dir(sender, **kwargs):
    # The worker's and beat's entry point (`celery -A nexus_server`): var/ is ready before Celery
    # reads the settings, as manage.py and wsgi make it ready for theirs.
    prepare()


app.autodiscover_tasks()


class RequeueOnConnect(bootsteps.StartStopStep):
    """Each time the worker's consumer (re)connects to the broker, ingests whose queueing failed
    while the broker was away are queued: uploads accepted during an outage do not wait for beat."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def start(self, c):
        try:
            c.app.send_task(UPLOADS_REQUEUE_UNDISPATCHED)
        except Exception:  # the broker went again: the next connection (or beat) tries again
            logger.warning("could not queue the requeue of undispatched ingests", exc_info=True)


app.steps["consumer"].add(RequeueOnConnect)


# Every task's end and duration, in the pool process that ran it (summed with the others at scrape).
@signals.task_prerun.connect
def _task_started(task_id=None, **kwargs):
    from .metrics import task_started

    task_started(task_id)


@signals.task_postrun.connect
def _task_finished(task_id=None, task=None, state=None, **kwargs):
    from .metrics import task_finished

    task_finished(task_id, getattr(task, "name", "unknown"), state)


@signals.worker_init.connect
def _worker_exporter(**kwargs):
    from .metrics import worker_exporter_start

    worker_exporter_start()
