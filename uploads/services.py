"""Writes of uploads: checks and records an upload, queues its ingest, applies ingests in order."""

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import PurePosixPath

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, InterfaceError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from blobs.archives import ArchiveRefused
from blobs.selectors import blob_open_zip
from blobs.services import StagedBlob, blob_record
from core.dialects import NEXUS
from core.dispatch import dispatch
from core.errors import InvalidInput, PayloadTooLarge
from core.metrics import ingest_ended, upload_stored_on_commit
from harvest.locks import database_connection_lost, ingest_lock_held
from harvest.services import IngestFailed, empty_report, ingest
from synctasks.models import DataSource
from synctasks.selectors import data_source_kind
from synctasks.services import data_source_mark_finished

from .filenames import JSON_FORMATS, extension_of, same_format, sanitize_filename
from .models import SyncStatus, Upload
from .targets import upload_check_target, upload_source, upload_task_source
from .task_names import UPLOADS_INGEST
from .waits import upload_ended_announce

logger = logging.getLogger(__name__)


def _check_zip(*, staged: StagedBlob, data_source: DataSource, check_format: bool) -> None:
    """Safe member paths and bounded sizes for every zip (blobs' archive reading checks the directory:
    entry count, paths, declared sizes, encryption, compression); for a zip to be ingested, files of
    the data source's one format. The bytes themselves (CRCs, real sizes) are checked as the ingest
    reads them."""
    expected = data_source.ext
    try:
        with blob_open_zip(key=staged.key, name="The file") as archive:
            members = archive.members
    except ArchiveRefused as refusal:
        raise InvalidInput(refusal.message, field="upload_file") from None
    if not members:
        raise InvalidInput("The zip archive holds no files.", field="upload_file")
    formats = {extension_of(PurePosixPath(info.filename).name) or "none" for info in members}
    if check_format and len(formats) > 1:
        raise InvalidInput(
            f"The zip archive holds files of more than one format ({', '.join(sorted(formats))}); "
            "it must hold files of one format only.",
            field="upload_file",
        )
    if check_format and not same_format(next(iter(formats)), expected):
        raise InvalidInput(
            f"The zip archive holds '{next(iter(formats))}' files; data source '{data_source.name}' "
            f"expects '{expected}'.",
            field="upload_file",
        )
    for info in members:
        if extension_of(info.filename) in JSON_FORMATS and info.file_size > settings.NEXUS_MAX_JSON_BYTES:
            raise PayloadTooLarge(
                f"JSON file '{info.filename}' in the zip archive is {info.file_size} bytes; "
                f"the maximum is {settings.NEXUS_MAX_JSON_BYTES} bytes."
            )


def upload_check_filename(*, filename: str, data_source: DataSource) -> None:
    """The file's name says the data source's format, or a zip (whose members are checked later)."""
    ext = extension_of(filename)
    if ext != "zip" and not same_format(ext, data_source.ext):
        raise InvalidInput(
            f"File format '{ext or 'none'}' of '{filename}' does not match data source "
            f"'{data_source.name}', which expects '{data_source.ext}'.",
            field="upload_file",
        )


def upload_check_file(*, filename: str, staged: StagedBlob, data_source: DataSource) -> None:
    """The file is of the data source's format (or a zip of it) and within the format's limits.
    Every zip is checked for safe paths and sizes, even where it is kept whole as a document."""
    ext = extension_of(filename)
    if ext == "zip":
        _check_zip(staged=staged, data_source=data_source, check_format=not same_format("zip", data_source.ext))
        return
    upload_check_filename(filename=filename, data_source=data_source)
    if ext in JSON_FORMATS and staged.size > settings.NEXUS_MAX_JSON_BYTES:
        raise PayloadTooLarge(
            f"JSON file '{filename}' is {staged.size} bytes; the maximum is {settings.NEXUS_MAX_JSON_BYTES} bytes."
        )


def upload_create(
    *,
    user: User,
    data_source_id: int,
    client_filename: str,
    staged: StagedBlob,
    media_type: str,
    recorded: Callable[[Upload], None] | None = None,
) -> Upload:
    """Records an upload whose bytes are staged: 404 unknown source, 403 no right, 400 not uploadable
    or wrong format. The Upload row and its Blob commit together; the ingest is queued on commit.
    `recorded(upload)` runs inside that transaction (an Idempotency-Key's answer commits with it)."""
    data_source = upload_source(data_source_id=data_source_id)
    return _upload_into(
        user=user,
        data_source=data_source,
        client_filename=client_filename,
        staged=staged,
        media_type=media_type,
        recorded=recorded,
    )


def upload_create_for_task(
    *,
    user: User,
    task_id: int,
    client_filename: str,
    staged: StagedBlob,
    media_type: str,
    uploadable_first: bool = False,
    recorded: Callable[[Upload], None] | None = None,
) -> Upload:
    """The same upload through a sync task: only a data_source task that is uploadable takes one.
    With `uploadable_first` (the platform's /api/v1/sync_tasks/{id}/upload/), a visible data source
    that takes no uploads is a 400 whoever asks, before the caller's right to upload is looked at."""
    source = upload_task_source(user=user, task_id=task_id, uploadable_first=uploadable_first)
    return _upload_into(
        user=user,
        data_source=source,
        client_filename=client_filename,
        staged=staged,
        media_type=media_type,
        recorded=recorded,
    )


def _upload_into(*, user, data_source, client_filename, staged, media_type, recorded=None) -> Upload:
    upload_check_target(user=user, data_source=data_source)
    filename = sanitize_filename(client_filename)
    upload_check_file(filename=filename, staged=staged, data_source=data_source)
    with transaction.atomic():
        # Uploads of one source commit one at a time, so that their ids are their upload order:
        # a later upload can never become visible before an earlier one. (NO KEY: the lock does
        # not block the foreign-key checks of other rows that point at the source.)
        DataSource.objects.select_for_update(no_key=True).filter(pk=data_source.pk).exists()
        blob = blob_record(staged=staged, media_type=media_type)
        upload_stored_on_commit(dialect=NEXUS, size=blob.size)
        upload = Upload.objects.create(data_source=data_source, uploader=user, filename=filename, blob=blob)
        if recorded is not None:
            recorded(upload)
        upload_queue_ingest(upload=upload)
    return upload


def _dispatch_ingest(upload_id: int) -> None:
    # The upload is recorded; if the publish fails, the worker's requeue of undispatched ingests
    # sends it once the broker is back (every NEXUS_REQUEUE_UNDISPATCHED_SECONDS, and at each
    # reconnection).
    dispatch(
        UPLOADS_INGEST,
        args=[upload_id],
        what=f"the ingest of upload {upload_id}",
        on_failure=lambda: upload_mark_undispatched(upload_id=upload_id),
    )


def upload_mark_undispatched(*, upload_id: int) -> None:
    """Remembers that the upload's ingest is not queued, for upload_requeue_undispatched."""
    try:
        Upload.objects.filter(pk=upload_id, sync_status=SyncStatus.HARVESTING).update(dispatch_failed=True)
    except Exception:
        # Then the stalled requeue is what is left: it finds every upload still harvesting.
        logger.exception("could not mark upload %s for the requeue", upload_id)


def upload_queue_ingest(*, upload: Upload) -> None:
    """Queues the ingest once the surrounding transaction commits (never inside the request)."""
    upload_id = upload.pk
    transaction.on_commit(lambda: _dispatch_ingest(upload_id))


def upload_requeue_stalled(*, older_than_seconds: int = 600) -> int:
    """Queues again the ingests of uploads still `harvesting` that long after they arrived (their
    message was lost, or the broker was down). Harmless for one still queued: ingests are idempotent."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stalled = list(
        Upload.objects.filter(sync_status=SyncStatus.HARVESTING, upload_date__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for upload_id in stalled:
        _dispatch_ingest(upload_id)
    return len(stalled)


def upload_requeue_undispatched() -> int:
    """Queues the ingests whose queueing failed (the broker was down when they arrived), one per
    data source (its ingest applies the source's pending uploads in order). Returns how many
    sources it queued; an upload whose queueing fails again stays marked."""
    undispatched = Upload.objects.filter(dispatch_failed=True)
    firsts = {}
    for upload_id, data_source_id, status in undispatched.order_by("pk").values_list(
        "pk", "data_source_id", "sync_status"
    ):
        if status == SyncStatus.HARVESTING:
            firsts.setdefault(data_source_id, upload_id)
    queued = 0
    for data_source_id, upload_id in firsts.items():
        if not dispatch(UPLOADS_INGEST, args=[upload_id], what=f"the ingest of upload {upload_id}", again=True):
            continue
        undispatched.filter(data_source_id=data_source_id).update(dispatch_failed=False)
        queued += 1
    # Those that ended meanwhile (another upload's ingest applied them) need no message.
    undispatched.exclude(sync_status=SyncStatus.HARVESTING).update(dispatch_failed=False)
    return queued


def upload_requeue(*, upload: Upload) -> Upload:
    """Sets a failed upload back to harvesting and queues its ingest again (the admin's re-run).
    A successful upload is not re-run: applied again after newer ones, its older data would win."""
    if upload.sync_status == SyncStatus.SUCCESSFUL:
        raise InvalidInput(f"Upload {upload.pk} was ingested successfully; only failed uploads are re-run.")
    with transaction.atomic():
        Upload.objects.filter(pk=upload.pk).update(
            sync_status=SyncStatus.HARVESTING, ingest_finished=None, deliveries=0
        )
        upload_queue_ingest(upload=upload)
    upload.refresh_from_db()
    return upload


def upload_ingest(*, upload_id: int, limit: int | None = None) -> int:
    """Applies the data source's pending uploads, oldest first, one at a time under the source's
    ingest lock, until none is left (or `limit` were applied). If another session holds the lock
    (a live ingest, or the backend of a killed one that PostgreSQL has not dropped yet), raises
    LockBusy: the delivery tries again later, and then finds its upload applied or applies it.
    Returns how many it applied; an upload already applied is never applied again.

    Each upload's delivery is counted and committed before its ingest starts: an upload found
    still pending after NEXUS_INGEST_MAX_DELIVERIES such starts stopped its worker each time (out
    of memory, killed) and is failed without another try, so the source's later uploads go on.

    A database that is out of reach when the delivery starts (down, restarting, failing over) is
    IngestInterrupted too: the delivery is tried again shortly, not failed and left to the
    stalled requeue."""
    try:
        return _ingest_pending(upload_id=upload_id, limit=limit)
    except (DatabaseError, InterfaceError) as error:
        if not database_connection_lost(error):
            raise
        raise IngestInterrupted(settings.NEXUS_INGEST_LOCK_RETRY_SECONDS) from error


def _ingest_pending(*, upload_id: int, limit: int | None) -> int:
    data_source_id = Upload.objects.filter(pk=upload_id).values_list("data_source_id", flat=True).first()
    if data_source_id is None:
        return 0
    pending = Upload.objects.filter(data_source_id=data_source_id, sync_status=SyncStatus.HARVESTING)
    applied = 0
    with ingest_lock_held(data_source_id=data_source_id):
        while limit is None or applied < limit:
            upload = pending.select_related("blob", "data_source").order_by("pk").first()
            if upload is None:
                break
            if upload.deliveries >= settings.NEXUS_INGEST_MAX_DELIVERIES:
                _fail_poison(upload)
            else:
                Upload.objects.filter(pk=upload.pk).update(deliveries=F("deliveries") + 1)  # committed now
                try:
                    _apply(upload=upload, data_source=upload.data_source)
                except IngestInterrupted:
                    _uncount_delivery(upload.pk)
                    raise
            applied += 1
    return applied


class IngestInterrupted(Exception):
    """The database connection went during the ingest (a restart, a failover, a killed backend):
    nothing was applied, the worker lives on, and the delivery is tried again later; it is not
    one that stopped its worker, nor a fault of the upload's data."""

    def __init__(self, countdown: float):
        super().__init__(countdown)
        self.countdown = countdown


def _uncount_delivery(upload_id: int) -> None:
    try:
        Upload.objects.filter(pk=upload_id, sync_status=SyncStatus.HARVESTING, deliveries__gt=0).update(
            deliveries=F("deliveries") - 1
        )
    except Exception:
        # The database is still away: the delivery stays counted (one of the N).
        logger.warning("could not uncount the interrupted delivery of upload %s", upload_id)


def upload_queue_next(*, upload_id: int) -> None:
    """Queues the ingest of the source's next pending upload, if any (after one delivery's ingest)."""
    data_source_id = Upload.objects.filter(pk=upload_id).values_list("data_source_id", flat=True).first()
    next_id = (
        Upload.objects.filter(data_source_id=data_source_id, sync_status=SyncStatus.HARVESTING)
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    if next_id is not None:
        _dispatch_ingest(next_id)


def _fail_poison(upload: Upload) -> None:
    now = timezone.now()
    logger.error("upload %s stopped its worker %s times; failing it", upload.pk, upload.deliveries)
    upload.sync_status = SyncStatus.FAILED
    upload.report = {**empty_report(), "errors": [f"the ingest stopped its worker {upload.deliveries} times"]}
    upload.ingest_finished = now
    upload.ingest_started = upload.ingest_started or now
    upload.save(update_fields=["sync_status", "report", "ingest_started", "ingest_finished"])
    data_source_mark_finished(data_source_id=upload.data_source_id, finished=now)
    _announce_end(upload.pk)
    _count(upload, SyncStatus.FAILED, upload.report, None)


def _apply(*, upload: Upload, data_source: DataSource) -> None:
    started = timezone.now()
    clock = time.monotonic()
    try:
        # The data and the upload's end commit together: a worker killed in between leaves neither
        # (and the next delivery applies the upload once). A failed ingest changes no stored data.
        with transaction.atomic():
            report = ingest(blob=upload.blob, data_source=data_source, filename=upload.filename)
            _finish(upload, SyncStatus.SUCCESSFUL, report, started)
        _count(upload, SyncStatus.SUCCESSFUL, report, time.monotonic() - clock)
        return
    except IngestFailed as failure:
        errors = failure.errors
    except SoftTimeLimitExceeded:
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        errors = [f"the ingest took longer than the time limit of {limit} s; nothing was applied"]
    except Exception as error:
        if isinstance(error, (DatabaseError, InterfaceError)) and database_connection_lost(error):
            logger.warning("the database connection went during the ingest of upload %s; retrying", upload.pk)
            raise IngestInterrupted(settings.NEXUS_INGEST_LOCK_RETRY_SECONDS) from error
        logger.exception("ingest of upload %s failed unexpectedly", upload.pk)
        errors = [f"Internal error during ingest ({type(error).__name__}); an admin can re-run it."]
    report = {**empty_report(), "errors": errors, "duration_s": round(time.monotonic() - clock, 3)}
    _finish(upload, SyncStatus.FAILED, report, started)
    _count(upload, SyncStatus.FAILED, report, time.monotonic() - clock)


def _count(upload: Upload, status: str, report: dict, seconds: float | None) -> None:
    # Once committed, so that a scrape never counts an ingest whose end was rolled back. The label
    # is the source's kind (its connections' feature kinds), a handful of values, never an id.
    ingest_ended(
        kind=data_source_kind(data_source_id=upload.data_source_id), outcome=status, seconds=seconds, report=report
    )


def _finish(upload: Upload, status: str, report: dict, started) -> None:
    finished = timezone.now()
    upload.sync_status, upload.report = status, report
    upload.ingest_started, upload.ingest_finished = started, finished
    upload.save(update_fields=["sync_status", "report", "ingest_started", "ingest_finished"])
    data_source_mark_finished(data_source_id=upload.data_source_id, finished=finished)
    _announce_end(upload.pk)


def _announce_end(upload_id: int) -> None:
    # Once the end is committed: a request waiting on ?wait= then reads it (the success's end
    # commits with its data; a failure's at once).
    transaction.on_commit(lambda: upload_ended_announce(upload_id=upload_id))
