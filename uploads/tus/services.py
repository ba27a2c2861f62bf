"""Writes of resumable (tus) uploads: creating one, appending a request's bytes, completing it into an
ordinary upload of its data source, terminating it, and sweeping expired ones."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from blobs.services import (
    blob_bytes_delete,
    resumable_abort,
    resumable_append,
    resumable_complete,
    resumable_forget,
    resumable_start,
)
from core.errors import Conflict, InvalidInput, NexusError, NotFound, PayloadTooLarge
from harvest.locks import LockBusy, resumable_lock_held

from ..models import TusUpload
from ..services import upload_check_filename, upload_create, upload_create_for_task
from ..targets import upload_check_target, upload_source, upload_task_source

logger = logging.getLogger(__name__)

SESSION_SCOPE = "tus"


class Locked(NexusError):
    """Another request is appending to the same upload and did not end within the wait."""

    status = 423
    code = "locked"


def _expiry():
    return timezone.now() + timedelta(seconds=settings.NEXUS_TUS_EXPIRY_SECONDS)


def _int_metadata(metadata: dict[str, str], name: str) -> int:
    try:
        return int(metadata[name])
    except ValueError:
        raise InvalidInput(f"Upload-Metadata '{name}' must be an integer id.") from None


def tus_create(*, user: User, length: int | None, metadata: dict[str, str]) -> TusUpload:
    """A new resumable upload to the data source (or sync task) the metadata names, with the same
    refusals as a plain upload's that can be told before the bytes arrive: 404 unknown source or
    task, 403 no right, 400 not uploadable or a filename of another format, 413 over the limit."""
    if "datasource" in metadata:
        source = upload_source(data_source_id=_int_metadata(metadata, "datasource"))
        task_id = None
    elif "sync_task" in metadata:
        task_id = _int_metadata(metadata, "sync_task")
        source = upload_task_source(user=user, task_id=task_id)
    else:
        raise InvalidInput("Upload-Metadata must name the data source ('datasource') or the sync task ('sync_task').")
    upload_check_target(user=user, data_source=source)
    filename = metadata.get("filename") or metadata.get("name") or ""
    upload_check_filename(filename=filename, data_source=source)
    if length is not None and length > settings.NEXUS_MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"The upload exceeds the maximum size of {settings.NEXUS_MAX_UPLOAD_BYTES} bytes.")
    expires_at = _expiry()
    with transaction.atomic():
        session = resumable_start(scope=SESSION_SCOPE, length=length, expires_at=expires_at)
        return TusUpload.objects.create(
            uploader=user,
            data_source=source,
            sync_task_id=task_id,
            filename=filename[:255],
            media_type=(metadata.get("filetype") or metadata.get("type") or "application/octet-stream")[:255],
            metadata=metadata,
            length=length,
            session=session,
            expires_at=expires_at,
        )


def tus_get(*, user: User, upload_id) -> TusUpload:
    """The caller's upload; another's, an expired or a terminated one is a 404."""
    tus = TusUpload.objects.select_related("session").filter(pk=upload_id, uploader=user).first()
    if tus is None or (tus.upload_id is None and (tus.session is None or tus.expires_at <= timezone.now())):
        raise NotFound("No such upload: it was terminated, has expired, or never existed.")
    return tus


@contextmanager
def _held(tus: TusUpload):
    """The upload's lock, waited for up to NEXUS_TUS_LOCK_WAIT_SECONDS (a client that resumes right
    after its connection broke may find the old request still ending)."""
    deadline = time.monotonic() + settings.NEXUS_TUS_LOCK_WAIT_SECONDS
    while True:
        try:
            with resumable_lock_held(key=tus.pk.int % 2**31):
                yield
            return
        except LockBusy:
            if time.monotonic() >= deadline:
                raise Locked("Another request is writing to this upload; try again.") from None
            time.sleep(0.05)


def tus_append(
    *,
    user: User,
    upload_id,
    offset: int,
    length: int | None,
    checksum: tuple[str, bytes] | None,
    content_length: int,
    chunks: Iterable[bytes],
) -> TusUpload:
    """Appends a request's bytes at `offset` (409 when it is not the upload's), one request of an upload
    at a time; `length` is the Upload-Length of a deferred upload. When the last byte arrives the
    upload completes (tus_complete). The answer is the upload as it now is."""
    tus = tus_get(user=user, upload_id=upload_id)
    with _held(tus):
        tus = tus_get(user=user, upload_id=upload_id)  # as the previous holder left it
        if tus.upload_id is not None:
            if offset == tus.offset and content_length == 0:
                return tus  # the final request sent again: it was completed already
            raise Conflict(f"The upload is complete at offset {tus.offset}.")
        if offset != tus.offset:
            raise Conflict(f"Upload-Offset {offset} does not match the upload's offset {tus.offset}.")
        _set_length(tus, length)
        limit = settings.NEXUS_MAX_UPLOAD_BYTES if tus.length is None else tus.length
        if offset + content_length > limit:
            raise PayloadTooLarge(f"The request's {content_length} bytes would take the upload past {limit} bytes.")
        expires_at = _expiry()

        def recorded(new_offset: int) -> None:
            TusUpload.objects.filter(pk=tus.pk).update(offset=new_offset, expires_at=expires_at)

        appended = resumable_append(
            session=tus.session,
            offset=offset,
            chunks=chunks,
            limit=limit,
            checksum=checksum,
            recorded=recorded,
            checkpoint_bytes=settings.NEXUS_TUS_CHECKPOINT_BYTES,
            expires_at=expires_at,
        )
        if appended.offset != offset:
            tus.offset, tus.expires_at = appended.offset, expires_at
        if tus.length is not None and tus.offset == tus.length and not appended.interrupted:
            tus_complete(tus=tus)
        return tus


def _set_length(tus: TusUpload, length: int | None) -> None:
    if length is None or length == tus.length:
        return
    if tus.length is not None:
        raise InvalidInput(f"The upload's length is {tus.length}; it cannot be changed.")
    if length < tus.offset:
        raise InvalidInput(f"Upload-Length {length} is less than the {tus.offset} bytes received.")
    if length > settings.NEXUS_MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(f"The upload exceeds the maximum size of {settings.NEXUS_MAX_UPLOAD_BYTES} bytes.")
    TusUpload.objects.filter(pk=tus.pk).update(length=length)
    tus.length = length


def tus_complete(*, tus: TusUpload) -> None:
    """The received bytes become an ordinary upload of the data source, through the same checks
    (format, zip safety, JSON limit) and the same ingest, queued once on commit. A refusal removes
    the resumable upload and its bytes, and is the final request's answer."""
    session = tus.session
    staged = resumable_complete(session=session, offset=tus.offset)
    try:
        with transaction.atomic():
            common = {"client_filename": tus.filename, "staged": staged, "media_type": tus.media_type}
            if tus.sync_task_id is not None:
                upload = upload_create_for_task(user=tus.uploader, task_id=tus.sync_task_id, **common)
            else:
                upload = upload_create(user=tus.uploader, data_source_id=tus.data_source_id, **common)
            TusUpload.objects.filter(pk=tus.pk).update(upload=upload, session=None)
            resumable_forget(session=session)
    except BaseException:
        # Nothing records the bytes (the Upload's transaction rolled back): they go, and so does the
        # resumable upload, whose bytes were all received.
        blob_bytes_delete(keys=[staged.key])
        with transaction.atomic():
            TusUpload.objects.filter(pk=tus.pk).delete()
            resumable_forget(session=session)
        raise
    tus.upload, tus.session = upload, None


def tus_terminate(*, user: User, upload_id) -> None:
    """Removes the upload and whatever bytes it holds (a completed upload's Upload stays)."""
    tus = tus_get(user=user, upload_id=upload_id)
    with _held(tus):
        tus = TusUpload.objects.select_related("session").filter(pk=tus.pk).first()
        if tus is None:
            return
        if tus.session is not None:
            resumable_abort(session=tus.session)
        TusUpload.objects.filter(pk=tus.pk).delete()


def tus_sweep_expired() -> int:
    """Removes the resumable uploads past their expiry, incomplete ones with their bytes; returns how
    many. One a request is writing to right now is left for the next sweep."""
    swept = 0
    expired = TusUpload.objects.filter(expires_at__lt=timezone.now()).select_related("session")
    for tus in list(expired[:1000]):
        try:
            with resumable_lock_held(key=tus.pk.int % 2**31):
                if tus.session is not None:
                    resumable_abort(session=tus.session)
                TusUpload.objects.filter(pk=tus.pk, expires_at__lt=timezone.now()).delete()
        except LockBusy:
            continue
        except Exception:
            logger.exception("could not sweep the expired resumable upload %s", tus.pk)
            continue
        swept += 1
    if swept:
        logger.info("swept %d expired resumable uploads", swept)
    return swept
