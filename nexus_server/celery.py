"""The Celery application: configured from Django settings, tasks discovered in every app."""

import logging
import os

from celery import Celery, bootsteps

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
