"""The ingest engine's entry point: one blob of one data source in, a report out.

It knows nothing of who sent the bytes. The caller runs it inside a transaction: any error leaves
every stored row as it was. The format follows from the file's extension and the kinds of the data
source's connections; a zip is ingested member by member, in name order, as one ingest.
"""

import hashlib
import logging
import mimetypes
import time
from collections.abc import Callable
from datetime import timedelta
from zoneinfo import ZoneInfo

import requests
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Max, Min, OuterRef
from django.utils import timezone

from blobs.archives import ArchiveRefused, member_basename
from blobs.models import Blob
from blobs.selectors import blob_iter_chunks, blob_open, blob_open_seekable, blob_open_zip
from blobs.services import BlobTooLarge, blob_write
from blobs.storage import get_backend
from core.errors import InvalidInput
from synctasks.models import DataConnection, DataSource, FeatureKind, SyncTask, TaskType

from .adapters import fetch_request_for
from .appliers import (
    FeatureReplacer,
    MeasurementStager,
    document_store,
    frame_store,
    series_feature_count,
    stats_from_rows,
)
from .calculations import calculations_mark_changed
from .locks import ingest_lock_try, run_lock_held, series_lock
from .models import Document, HarvestRun, Measurement, RasterFrame, RunStatus, Series
from .parsers.common import ErrorLog, IngestFailed, InputRefused, OutOfRange, Timestamps, text_stream
from .parsers.knmi import KnmiFile
from .parsers.raster import NotARaster, tiff_info, timestamp_from_filename
from .parsers.spatial import parse_geojson, parse_spatial_csv
from .parsers.timeseries import parse_timeseries_csv

__all__ = ["IngestFailed", "empty_report", "harvest_execute", "harvest_queue", "ingest"]

CHUNK = 1024 * 1024
HARVEST_TASK = "harvest.run"

logger = logging.getLogger(__name__)


def empty_report() -> dict:
    return {
        "rows_inserted": 0,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "features_replaced": 0,
        "frames_stored": 0,
        "documents_stored": 0,
        "errors": [],
    }


def _extension(name: str) -> str:
    _stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot else ""


class _Ingest:
    """The state of one ingest: the data source's connections by kind and what each received."""

    def __init__(self, data_source: DataSource):
        self.data_source = data_source
        connections = list(
            DataConnection.objects.select_related("feature_type").filter(sync_task__data_source=data_source)
        )
        self.by_kind: dict[str, DataConnection] = {}
        for dc in connections:
            self.by_kind.setdefault(dc.feature_type.kind, dc)
        self.zone = ZoneInfo(data_source.time_zone or "UTC")
        self.timestamps = Timestamps(self.zone)
        self.log = ErrorLog()
        self.report = empty_report()
        self.stager: MeasurementStager | None = None
        self.replacer: FeatureReplacer | None = None
        self.frames = self.documents = False
        # Keys of blobs this ingest wrote (zip members): their bytes go if the ingest fails.
        self.created: list[str] = []

    def connection(self, kind: str, what: str) -> DataConnection:
        dc = self.by_kind.get(kind)
        if dc is None:
            raise IngestFailed(
                [f"{self.log.where}data source '{self.data_source.name}' has no {kind} data connection for {what}."]
            )
        return dc

    def measurements(self) -> MeasurementStager:
        if self.stager is None:
            self.stager = MeasurementStager(self.connection(FeatureKind.TIMESERIES, "timeseries"), log=self.log)
        return self.stager

    def features(self) -> FeatureReplacer:
        if self.replacer is None:
            self.replacer = FeatureReplacer(self.connection(FeatureKind.SPATIAL, "spatial features"))
        return self.replacer

    def only_documents(self) -> bool:
        return set(self.by_kind) == {FeatureKind.DOCUMENT}

    # --- one file -----------------------------------------------------------------------------

    def file(self, name: str, open_binary: Callable, as_blob: Callable[[], Blob]) -> None:
        try:
            self._file(name, open_binary, as_blob)
        except InputRefused as refusal:
            # A bound of the parsers (line, field, nesting, ...): the file is refused here, named.
            self.log.where = self.log.where or f"{name}: "
            self.log.add(str(refusal))
            self.log.raise_if_any()
        except UnicodeDecodeError as error:
            self.log.add(f"the file is not UTF-8 text ({error.reason}: byte {error.object[error.start : error.end]!r})")
            # Stop here: the upsert of this file was abandoned mid-statement (the transaction can
            # take no more), and the errors so far are the report.
            self.log.raise_if_any()

    def _file(self, name: str, open_binary: Callable, as_blob: Callable[[], Blob]) -> None:
        ext = _extension(name)
        if self.only_documents():
            self.document(name, as_blob())
        elif ext == "txt":
            with open_binary() as binary:
                # KNMI writes its comments in Latin-1 (e.g. the degree sign).
                knmi = KnmiFile(text_stream(binary, encoding="latin-1"), log=self.log)
                if knmi.stations:
                    self.features().add(station.as_feature() for station in knmi.stations)
                self.measurements().add(knmi.points())
        elif ext == "csv":
            with open_binary() as binary:
                if FeatureKind.TIMESERIES in self.by_kind:
                    self.measurements().add(
                        parse_timeseries_csv(text_stream(binary), timestamps=self.timestamps, log=self.log)
                    )
                else:
                    self.features().add(parse_spatial_csv(text_stream(binary), key_prop=None, log=self.log))
        elif ext in ("json", "geojson"):
            with open_binary() as binary:
                replacer = self.features()
                replacer.add(parse_geojson(binary, key_prop=None, log=self.log))
        elif ext in ("tif", "tiff"):
            self.raster(name, as_blob())
        elif FeatureKind.DOCUMENT in self.by_kind:
            self.document(name, as_blob())
        else:
            raise IngestFailed(
                [f"{self.log.where}no ingest for '.{ext}' files in data source '{self.data_source.name}'."]
            )

    def raster(self, name: str, blob: Blob) -> None:
        dc = self.connection(FeatureKind.RASTER, "rasters")
        try:
            when = timestamp_from_filename(name, self.zone)
        except OutOfRange as error:
            self.log.add(f"the date in the name of '{name}' {error}")
            return
        if when is None:
            self.log.add(f"'{name}' has no date in its name (e.g. evaporation2020-1-1.tif or ..._20200101.tif)")
            return
        try:
            with blob_open_seekable(key=blob.key) as stream:
                info = tiff_info(stream)
        except NotARaster as error:
            self.log.add(f"'{name}' is {error}")
            return
        frame_store(data_connection=dc, timestamp=when, blob=blob, info=info)
        self.report["frames_stored"] += 1
        self.frames = True

    def document(self, name: str, blob: Blob) -> None:
        dc = self.connection(FeatureKind.DOCUMENT, "documents")
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        document_store(data_connection=dc, filename=name, blob=blob, media_type=media_type, timestamp=timezone.now())
        self.report["documents_stored"] += 1
        self.documents = True

    # --- the end --------------------------------------------------------------------------------

    def finish(self) -> dict:
        self.log.where = ""
        self.log.raise_if_any()
        if self.stager is not None:
            self.report.update(self.stager.finish())
        if self.replacer is not None:
            self.report["features_replaced"] = self.replacer.finish()
        if self.frames:
            stats_from_rows(data_connection=self.by_kind[FeatureKind.RASTER], model=RasterFrame)
        if self.documents:
            stats_from_rows(data_connection=self.by_kind[FeatureKind.DOCUMENT], model=Document)
        return self.report


def _verify(blob: Blob, filename: str) -> None:
    """The stored bytes are the ones that were uploaded (size and SHA-256 as recorded)."""
    digest, size = hashlib.sha256(), 0
    for chunk in blob_iter_chunks(blob=blob):
        digest.update(chunk)
        size += len(chunk)
    if size != blob.size or digest.hexdigest() != blob.sha256:
        raise IngestFailed(
            [
                f"The stored bytes of '{filename}' do not match the upload: expected {blob.size} bytes with "
                f"SHA-256 {blob.sha256}, found {size} bytes with SHA-256 {digest.hexdigest()}."
            ]
        )


def ingest(*, blob: Blob, data_source: DataSource, filename: str) -> dict:
    """Ingests the blob into the data source's stored data; raises IngestFailed, changing nothing
    (the caller's transaction is rolled back)."""
    started = time.monotonic()
    _verify(blob, filename)
    state = _Ingest(data_source)
    try:
        report = _run(state, blob=blob, filename=filename)
        calculations_mark_changed(data_source=data_source)
    except BaseException:
        # The caller's rollback removes the rows; the bytes written for them are removed here.
        backend = get_backend()
        for key in state.created:
            backend.delete(key)
        raise
    report["duration_s"] = round(time.monotonic() - started, 3)
    return report


def _run(state: _Ingest, *, blob: Blob, filename: str) -> dict:
    if _extension(filename) == "zip" and not state.only_documents():
        # Uploads and harvests alike: the archive is read within blobs' zip limits, member bytes
        # counted as they are decompressed; a refusal names the member.
        try:
            with blob_open_zip(key=blob.key, name=f"'{filename}'") as archive:
                members = sorted(archive.members, key=lambda i: i.filename)
                for info in members:
                    name = member_basename(info)
                    state.log.where = f"{info.orig_filename}: "

                    def member_blob(info=info, name=name):
                        stored = blob_write(
                            chunks=archive.chunks(info, CHUNK),
                            media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                        )
                        state.created.append(stored.key)
                        return stored

                    state.file(name, lambda info=info: archive.open(info), member_blob)
                state.report["members"] = len(members)
        except ArchiveRefused as refusal:
            state.log.where = ""
            state.log.add(refusal.message)
            state.log.raise_if_any()
    else:
        state.file(filename, lambda: blob_open(blob=blob), lambda: blob)
    return state.finish()


# --- Harvest runs ---------------------------------------------------------------------------------


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
    transaction.on_commit(lambda: _dispatch_run(run.pk))
    return run


def _dispatch_run(run_id: int) -> None:
    try:
        current_app.send_task(HARVEST_TASK, args=[run_id])
    except Exception:
        # The run is recorded; the worker's requeue of undispatched work sends it once the broker
        # is back (a queued run without a message would hold back every later run of its task).
        logger.exception("could not queue harvest run %s", run_id)
        harvest_mark_undispatched(run_id=run_id)


def harvest_mark_undispatched(*, run_id: int) -> None:
    try:
        HarvestRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(dispatch_failed=True)
    except Exception:
        logger.exception("could not mark harvest run %s for the requeue", run_id)


def harvest_requeue_undispatched() -> int:
    """Queues the runs whose queueing failed (the broker was down); returns how many it queued."""
    queued = 0
    for run_id in HarvestRun.objects.filter(dispatch_failed=True, status=RunStatus.QUEUED).values_list("pk", flat=True):
        try:
            current_app.send_task(HARVEST_TASK, args=[run_id])
        except Exception:
            logger.warning("the broker still refuses harvest run %s", run_id)
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
        raise HarvestWait(settings.NEXUS_HARVEST_RETRY_SECONDS * 2 ** (run.attempts - 1))
    run.status, run.finished = RunStatus.FAILED, timezone.now()
    run.save(update_fields=["status", "report", "finished"])


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
            SyncTask.objects.filter(pk=run.sync_task_id).update(harvest_last_success=finished)
            DataSource.objects.filter(pk=source.pk).update(sync_last_finished=finished)
            run.status, run.finished, run.bytes = RunStatus.SUCCESSFUL, finished, blob.size
            run.report = {"request": request.describe(), **report}
            run.save(update_fields=["status", "finished", "bytes", "report"])
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
    HarvestRun.objects.filter(pk=run_id).exclude(status=RunStatus.SUCCESSFUL).update(
        status=RunStatus.FAILED, finished=timezone.now(), report={"errors": [reason]}
    )


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


def retention_apply() -> dict[str, int]:
    """Removes timeseries older than the longest retention_time of each connection's subscriptions,
    and brings the connection's statistics up to date. Connections without subscriptions keep all."""
    removed = connections = 0
    longest = (
        DataConnection.objects.filter(subscriptions__isnull=False)
        .annotate(keep=Max("subscriptions__retention_time"))
        .values_list("pk", "keep")
    )
    now = timezone.now()
    for dc_id, keep in longest:
        with transaction.atomic():
            if not series_lock(data_connection_id=dc_id, wait=False):
                continue  # an upsert is writing to the connection: next time
            deleted, _ = Measurement.objects.filter(
                series__data_connection_id=dc_id, timestamp__lt=now - timedelta(seconds=keep)
            ).delete()
            if deleted:
                # A series left without measurements goes too: n_features counts features with data.
                Series.objects.filter(data_connection_id=dc_id).exclude(
                    Exists(Measurement.objects.filter(series=OuterRef("pk")))
                ).delete()
                rows = Measurement.objects.filter(series__data_connection_id=dc_id)
                stats = rows.aggregate(oldest=Min("timestamp"), newest=Max("timestamp"))
                DataConnection.objects.filter(pk=dc_id).update(
                    n_features=series_feature_count(data_connection_id=dc_id),
                    oldest_time=stats["oldest"],
                    newest_time=stats["newest"],
                )
                removed += deleted
                connections += 1
    return {"rows_removed": removed, "connections": connections}
