"""Queueing a task: one publish primitive, after commit or now, with a caller's on-failure callback."""

import logging
from collections.abc import Callable, Sequence

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def dispatch(
    name: str,
    *,
    args: Sequence,
    what: str,
    on_failure: Callable[[], None] | None = None,
    again: bool = False,
) -> bool:
    """Publishes task `name` with `args` now; True once the broker took it. The publish follows the
    app's CELERY_TASK_PUBLISH_RETRY_POLICY (a broker that is down fails it within a second or so).
    A failed publish is logged, naming `what` is not queued, then `on_failure` runs (e.g. to set the
    row's dispatch_failed flag for a requeue); it never raises. `again`: a requeue's retry, whose
    failure is expected while the broker is away (a warning, without the traceback)."""
    try:
        current_app.send_task(name, args=list(args))
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
    transaction.on_commit(lambda: dispatch(name, args=args, what=what, on_failure=on_failure))
