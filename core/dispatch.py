"""Queueing a task: one publish primitive, after commit or now, with a caller's on-failure callback."""

import logging
from collections.abc import Callable, Sequence

from celery import current_app
from django.db import transaction

from .logcontext import TASK_HEADER, current_request_id

logger = logging.getLogger(__name__)


def dispatch(
    name: str,
    *,
    args: Sequence,
    what: str,
    on_failure: Callable[[], None] | None = None,
    again: bool = False,
    request_id: str | None = None,
) -> bool:
    """Publishes task `name` with `args` now; True once the broker took it. The publish follows the
    app's CELERY_TASK_PUBLISH_RETRY_POLICY (a broker that is down fails it within a second or so).
    A failed publish is logged, naming `what` is not queued, then `on_failure` runs (e.g. to set the
    row's dispatch_failed flag for a requeue); it never raises. `again`: a requeue's retry, whose
    failure is expected while the broker is away (a warning, without the traceback). The task's log
    lines carry `request_id`, else the id of the request being served (none in beat's tasks)."""
    request_id = request_id or current_request_id()
    # A message header, not an argument: the task's signature stays the same, and a message
    # without it (queued before, or by beat) runs as ever.
    headers = {TASK_HEADER: request_id} if request_id else None
    try:
        current_app.send_task(name, args=list(args), headers=headers)
    except Exception:
        if again:
            logger.warning("the broker still refuses %s", what)
        else:
            logger.exception("could not queue %s", what)
        if on_failure is not None:
            try:
                on_failure()
            except Exception:  # the database may be away too: the stalled requeue is what is left
                logger.exception("could not record that %s is not queued", what)
        return False
    return True


def dispatch_on_commit(name: str, *, args: Sequence, what: str, on_failure: Callable[[], None] | None = None) -> None:
    """dispatch() once the surrounding transaction commits (at once outside one): a worker never
    sees a row that is not committed yet, and a rolled-back one is never queued."""
    args = list(args)
    # The commit may come after the request's context is gone (a transaction the caller commits
    # later): the id is taken now.
    request_id = current_request_id()
    transaction.on_commit(lambda: dispatch(name, args=args, what=what, on_failure=on_failure, request_id=request_id))
