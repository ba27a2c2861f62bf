"""GET /api/v1/uploads/{id}/?wait=N: the answer held until the ingest ends, bounded in time and in threads."""

import threading
import time

from django.conf import settings

from accounts.models import User
from core.errors import InvalidInput
from core.wakeups import Waiter, wakeup_send

from .models import SyncStatus, Upload
from .selectors import upload_get

_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _wait_slots() -> threading.BoundedSemaphore:
    # One semaphore per process (per configured count, so that a changed setting takes effect).
    count = max(1, settings.NEXUS_UPLOAD_WAIT_SLOTS)
    with _slots_lock:
        return _slots.setdefault(count, threading.BoundedSemaphore(count))


def _wakeup_name(upload_id: int) -> str:
    return f"upload:{upload_id}:ended"


def upload_ended_announce(*, upload_id: int) -> None:
    """Wakes the requests waiting for this upload's ingest to end (call once its end is committed)."""
    wakeup_send(_wakeup_name(upload_id))


def upload_wait_seconds(raw: str | None) -> int:
    """The `wait` parameter: whole seconds from 0 (no wait) to NEXUS_UPLOAD_WAIT_MAX_SECONDS, else a 400."""
    if raw is None:
        return 0
    limit = settings.NEXUS_UPLOAD_WAIT_MAX_SECONDS
    value = raw.strip()
    if not value.isascii() or not value.isdigit() or int(value) > limit:
        raise InvalidInput(f"wait must be a whole number of seconds from 0 to {limit}.", field="wait")
    return int(value)


def upload_wait(*, user: User, upload_id: int, seconds: int) -> tuple[Upload, bool]:
    """The upload once its ingest has ended, or after `seconds`: `(upload, ended)`. The request's
    thread is held while it waits, so at most NEXUS_UPLOAD_WAIT_SLOTS requests of a process wait at
    once; one more answers at once with the current state. The wait is woken by the ingest's end
    (Redis pub/sub) and looks at the row every NEXUS_UPLOAD_WAIT_RECHECK_SECONDS anyway; without
    Redis it looks every NEXUS_UPLOAD_WAIT_POLL_SECONDS (one query by primary key)."""
    upload = upload_get(user=user, upload_id=upload_id)
    if seconds <= 0 or upload.sync_status != SyncStatus.HARVESTING:
        return upload, upload.sync_status != SyncStatus.HARVESTING
    slots = _wait_slots()
    if not slots.acquire(blocking=False):
        return upload, False
    try:
        deadline = time.monotonic() + seconds
        # Subscribed before the look, so that an end between the look and the wait still wakes it.
        with Waiter(_wakeup_name(upload_id)) as waiter:
            while Upload.objects.filter(pk=upload_id, sync_status=SyncStatus.HARVESTING).exists():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                # Looked up each time: a subscription that failed mid-wait falls back to looking often.
                woken = waiter.woken_by_redis
                step = settings.NEXUS_UPLOAD_WAIT_RECHECK_SECONDS if woken else settings.NEXUS_UPLOAD_WAIT_POLL_SECONDS
                waiter.wait(min(remaining, step))
    finally:
        slots.release()
    upload = upload_get(user=user, upload_id=upload_id)
    return upload, upload.sync_status != SyncStatus.HARVESTING
