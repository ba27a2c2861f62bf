"""The Celery application: configured from Django settings, tasks discovered in every app."""

import logging
import os

from celery import Celery, bootsteps, signals
from celery.utils.log import get_multiprocessing_logger

from core.logcontext import TASK_HEADER, task_ended, task_started
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


@signals.task_prerun.connect
def _task_log_context(task_id=None, task=None, **kwargs):
    # Every line the task logs (Celery's own "succeeded" line included) names it and the request
    # that queued it: core.dispatch sends that request's id as a message header.
    task_started(task_id=task_id, task_name=task.name, request_id=getattr(task.request, TASK_HEADER, None))


@signals.task_postrun.connect
def _task_log_context_end(**kwargs):
    task_ended()


@signals.celeryd_init.connect
def _logging_before_the_worker_speaks(**kwargs):
    from django.conf import settings
    from django.utils.log import configure_logging

    # Django's logging is otherwise set up only once the worker imports the tasks: the warnings of
    # its start (running as root, say) would be written raw, in no LOG_FORMAT.
    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    logging.captureWarnings(True)


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _django_handlers_only(logger=None, **kwargs):
    # Celery gives the pool's logger (its "Process ... exited" lines) and the task logger handlers
    # of its own format; they write through Django's handler (LOG_FORMAT, redaction) instead.
    root_handlers = list(logging.getLogger().handlers)
    for one in (get_multiprocessing_logger(), logger if logger is not logging.getLogger() else None):
        if one is not None:
            one.handlers = root_handlers


@signals.celeryd_after_setup.connect
def _no_banner_in_json(sender, instance, conf, **kwargs):
    from django.conf import settings

    # The start-up banner is printed, not logged: under LOG_FORMAT=json it would be the only lines
    # of the worker's output that are no JSON object (its "ready." line is logged).
    if settings.LOG_FORMAT == "json":
        instance.quiet = True


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
def _task_timed(task_id=None, **kwargs):
    from . import metrics

    metrics.task_started(task_id)


@signals.task_postrun.connect
def _task_counted(task_id=None, task=None, state=None, **kwargs):
    from . import metrics

    metrics.task_finished(task_id, getattr(task, "name", "unknown"), state)


@signals.worker_init.connect
def _worker_exporter(**kwargs):
    from .metrics import worker_exporter_start

    worker_exporter_start()
