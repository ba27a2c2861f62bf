"""Harvest runs: queued on demand or by schedule, fetched from the endpoint, ingested like an upload."""

import logging

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from blobs.services import BlobTooLarge, blob_write
from core.dispatch import dispatch, dispatch_on_commit
from core.errors import InvalidInput
from core.metrics import harvest_ended
from synctasks.models import SyncTask, TaskType
from synctasks.services import data_source_mark_finished, sync_task_mark_harvested

from .adapters import fetch_request_for
from .locks import ingest_lock_try, run_lock_held
from .models import HarvestRun, RunStatus
from .parsers.common import IngestFailed
from .services import CHUNK, ingest
from .task_names import HARVEST_RUN

logger = logging.getLogger(__name__)


class HarvestWait(Exception):
    """The run cannot go on now (an earlier run of the source, or its ingest, is busy): retry soon."""

    def __init__(self, countdown: float):
        super().__init__(countdown)
        self.countdown = countdown


def harvest_queue(*, task, user=None) -> HarvestRun:
    """Queues an on-demand harvest of a data source task; the run starts once this commits."""
    if task.task_type != TaskType.DATA_SOURCE:
        raise InvalidInput(f"Sync task {task.pk} is a {task.task_type} task; only data_source tasks are harvested.")
    if not task.data_source.endpoint:
        raise InvalidInput(f"Data source {task.data_source.pk} ('{task.data_source.name}') has no endpoint to harvest.")
    run = HarvestRun.objects.create(sync_task=task, requested_by=user)
    run_id = run.pk
    # The run is recorded; if its message cannot be published, the worker's requeue of undispatched
    # work sends it once the broker is back (a queued run without a message would hold back every
    # later run of its task).
    dispatch_on_commit(
        HARVEST_RUN,
        args=[run_id],
        what=f"harvest run {run_id}",
        on_failure=lambda: harvest_mark_undispatched(run_id=run_id),
    )
    return run


def harvest_rerun(*, run: HarvestRun, user=None) -> HarvestRun:
    """The admin's re-run of a failed run: its task is harvested again by a new run (queued once this
    commits); the failed run stays as it was, as history. A run that did not fail is refused."""
    if run.status != RunStatus.FAILED:
        raise InvalidInput(f"Harvest run {run.pk} is {run.status}; only failed runs are re-run.")
    return harvest_queue(task=run.sync_task, user=user)


def harvest_mark_undispatched(*, run_id: int) -> None:
    try:
        HarvestRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(dispatch_failed=True)
    except Exception:
        logger.exception("could not mark harvest run %s for the requeue", run_id)


def harvest_requeue_undispatched() -> int:
    """Queues the runs whose queueing failed (the broker was down); returns how many it queued."""
    queued = 0
    for run_id in HarvestRun.objects.filter(dispatch_failed=True, status=RunStatus.QUEUED).values_list("pk", flat=True):
        if not dispatch(HARVEST_RUN, args=[run_id], what=f"harvest run {run_id}", again=True):
            continue
        HarvestRun.objects.filter(pk=run_id).update(dispatch_failed=False)
        queued += 1
    HarvestRun.objects.filter(dispatch_failed=True).exclude(status=RunStatus.QUEUED).update(dispatch_failed=False)
    return queued


def _claim(run_id: int) -> HarvestRun | None:
    """Marks the run running, if it is next: a source's harvests run one at a time, oldest first."""
    with transaction.atomic():
        run = (
            HarvestRun.objects.select_for_update(of=("self",))
            .select_related("sync_task__data_source")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status in (RunStatus.SUCCESSFUL, RunStatus.FAILED):
            return None
        earlier = HarvestRun.objects.filter(
            sync_task_id=run.sync_task_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING], pk__lt=run.pk
        )
        if earlier.exists():
            raise HarvestWait(1.0)
        if run.status == RunStatus.RUNNING:
            # The delivery before this one claimed the run and never ended it: it stopped its worker
            # (killed, out of memory). Counted and committed here, before this delivery's work.
            run.deliveries_lost += 1
            if run.deliveries_lost >= settings.NEXUS_INGEST_MAX_DELIVERIES:
                run.status, run.finished = RunStatus.FAILED, timezone.now()
                run.report = {**run.report, "errors": [f"the ingest stopped its worker {run.deliveries_lost} times"]}
                run.save(update_fields=["status", "finished", "report", "deliveries_lost"])
                transaction.on_commit(lambda: harvest_ended(outcome="failed"))
                return None
        run.status, run.attempts = RunStatus.RUNNING, run.attempts + 1
        run.started = run.started or timezone.now()
        run.save(update_fields=["status", "attempts", "started", "deliveries_lost"])
        return run


def _fail_or_retry(run: HarvestRun, reason: str, request: dict) -> None:
    run.report = {"request": request, "errors": [reason], "attempts": run.attempts}
    if run.attempts < settings.NEXUS_HARVEST_MAX_ATTEMPTS:
        run.status = RunStatus.QUEUED
        run.save(update_fields=["status", "report"])
        harvest_ended(outcome="retried")
        raise HarvestWait(settings.NEXUS_HARVEST_RETRY_SECONDS * 2 ** (run.attempts - 1))
    run.status, run.finished = RunStatus.FAILED, timezone.now()
    run.save(update_fields=["status", "report", "finished"])
    harvest_ended(outcome="failed")


def harvest_execute(*, run_id: int) -> str | None:
    """Fetches the endpoint (streamed into a blob, within the upload limit), then ingests it like an
    upload, under the source's ingest lock. Success moves harvest_last_success; a failure is retried
    with backoff, then the run is failed with the reason and nothing changed. Idempotent. A second
    delivery of a run that one is still working on raises LockBusy (retried later)."""
    with run_lock_held(run_id=run_id):
        return _execute(run_id)


def _execute(run_id: int) -> str | None:
    run = _claim(run_id)
    if run is None:
        return None
    source = run.sync_task.data_source
    request = fetch_request_for(source)
    try:
        with requests.request(
            request.method,
            request.url,
            data=request.data or None,
            stream=True,
            timeout=settings.NEXUS_HARVEST_TIMEOUT_SECONDS,
        ) as response:
            response.raise_for_status()
            blob = blob_write(chunks=response.iter_content(CHUNK))
    except (requests.RequestException, BlobTooLarge) as error:
        _fail_or_retry(run, f"Fetching {request.url} failed: {error}", request.describe())
        return run.status
    try:
        with transaction.atomic():
            if not ingest_lock_try(data_source_id=source.pk):
                raise HarvestWait(1.0)  # an upload's ingest of this source is running
            report = ingest(blob=blob, data_source=source, filename=request.filename)
            finished = timezone.now()
            sync_task_mark_harvested(sync_task_id=run.sync_task_id, finished=finished)
            data_source_mark_finished(data_source_id=source.pk, finished=finished)
            run.status, run.finished, run.bytes = RunStatus.SUCCESSFUL, finished, blob.size
            run.report = {"request": request.describe(), **report}
            run.save(update_fields=["status", "finished", "bytes", "report"])
        harvest_ended(outcome="successful")
    except HarvestWait:
        HarvestRun.objects.filter(pk=run.pk).update(status=RunStatus.QUEUED, attempts=run.attempts - 1)
        raise
    except IngestFailed as failure:
        run.attempts = settings.NEXUS_HARVEST_MAX_ATTEMPTS  # the same bytes would fail again
        _fail_or_retry(run, "; ".join(failure.errors), request.describe())
    return run.status


def harvest_interrupted(*, run_id: int) -> None:
    """A run whose delivery lost its database connection goes back to queued, that attempt not
    counted (nor taken, by the next delivery's claim, for one that stopped its worker)."""
    try:
        HarvestRun.objects.filter(pk=run_id, status=RunStatus.RUNNING, attempts__gt=0).update(
            status=RunStatus.QUEUED, attempts=F("attempts") - 1
        )
    except Exception:  # the database is still away: the next claim counts that delivery
        logger.warning("could not put harvest run %s back to queued", run_id)


def harvest_fail(*, run_id: int, reason: str) -> None:
    failed = (
        HarvestRun.objects.filter(pk=run_id)
        .exclude(status=RunStatus.SUCCESSFUL)
        .update(status=RunStatus.FAILED, finished=timezone.now(), report={"errors": [reason]})
    )
    if failed:
        harvest_ended(outcome="failed")


def harvest_queue_scheduled(*, task_id: int) -> int | None:
    """A scheduled run: queued unless the task already has one waiting or running."""
    with transaction.atomic():
        task = SyncTask.objects.select_for_update(of=("self",)).select_related("data_source").filter(pk=task_id).first()
        if (
            task is None
            or HarvestRun.objects.filter(sync_task=task, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists()
        ):
            return None
        return harvest_queue(task=task).pk
