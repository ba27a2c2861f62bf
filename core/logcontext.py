"""What a log line is about: the request id (X-Request-ID) and, in a worker, the task; carried from a
request into the tasks it queues, and put on every record by a handler filter."""

import logging
import re
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-ID"
# The Celery message header that carries the id from the request that queued a task to the task.
TASK_HEADER = "request_id"
MAX_REQUEST_ID_CHARS = 128
# Letters, digits and `._:-` only: what request ids are made of (UUIDs, hex, `abc-123`, trace ids) and
# nothing that could end a log line, forge a field, split a response header or be read as `name=value`.
_VALID = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_REQUEST_ID_CHARS}}}")


@dataclass(frozen=True)
class LogContext:
    request_id: str | None = None
    task_id: str | None = None
    task_name: str | None = None


_EMPTY = LogContext()
_context: ContextVar[LogContext] = ContextVar("nexus_log_context", default=_EMPTY)


def valid_request_id(value) -> str | None:
    """The value when it can serve as a request id as it is, else None (it is then replaced, never
    repaired: a header that needed repair is not the caller's id anyway)."""
    if isinstance(value, str) and _VALID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return _context.get().request_id


@contextmanager
def request_context(request_id: str):
    """While inside, every log line of this thread carries the request id, and so does every task
    it queues (core.dispatch)."""
    token = _context.set(LogContext(request_id=request_id))
    try:
        yield
    finally:
        _context.reset(token)


def task_started(*, task_id: str | None, task_name: str | None, request_id) -> None:
    """A worker's task_prerun: its lines carry the task and the id of the request that queued it
    (None for a task beat or a requeue queued, or a header that is not a valid id)."""
    _context.set(LogContext(request_id=valid_request_id(request_id), task_id=task_id, task_name=task_name))


def task_ended() -> None:
    """A worker's task_postrun: the next lines of this process are no longer the task's."""
    _context.set(_EMPTY)


class LogContextFilter(logging.Filter):
    """Puts request_id, task_id and task_name on every record a handler writes (None when unknown;
    a value the caller passed in `extra=` is kept), and `request_tag`, ` [id]` or nothing, for the
    plain format."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in ("request_id", "task_id", "task_name"):
            if getattr(record, name, None) is None:
                setattr(record, name, getattr(context, name))
        record.request_tag = f" [{record.request_id}]" if record.request_id else ""
        return True
