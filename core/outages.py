"""Which dependency an exception says is down (database, storage, broker), as the project's Unavailable."""

import errno

from django.db import InterfaceError, OperationalError

from .errors import Unavailable

DATABASE, STORAGE, BROKER = "database", "storage", "broker"
MESSAGES = {
    DATABASE: "The database is unavailable; try again shortly.",
    STORAGE: "The storage is unavailable; try again shortly.",
    BROKER: "The broker is unavailable; try again shortly.",
}
# A local disk that is full, read-only or failing is the storage being down, not a bug.
_DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS}


def unavailable(component: str) -> Unavailable:
    """The 503 that names `component`."""
    error = Unavailable(MESSAGES[component])
    error.component = component
    return error


def _component(exc: BaseException) -> str | None:
    if isinstance(exc, Unavailable):
        return getattr(exc, "component", None) or DATABASE
    # Django wraps the driver's errors: a refused, terminated or closed connection is one of these.
    if isinstance(exc, OperationalError | InterfaceError):
        return DATABASE
    try:
        import psycopg2

        if isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
            return DATABASE
    except ImportError:  # pragma: no cover (SQLite-only installs)
        pass
    try:
        from botocore.exceptions import ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError

        if isinstance(exc, HTTPClientError | BotoConnectionError):
            return STORAGE
        if isinstance(exc, ClientError):
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
            return STORAGE if status >= 500 else None
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return STORAGE
    try:
        from kombu.exceptions import OperationalError as KombuOperationalError

        if isinstance(exc, KombuOperationalError):
            return BROKER
    except ImportError:  # pragma: no cover
        pass
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        if isinstance(exc, RedisConnectionError | RedisTimeoutError):
            return BROKER
    except ImportError:  # pragma: no cover
        pass
    return None


def outage_of(exc: BaseException) -> Unavailable | None:
    """The Unavailable an exception stands for, or None when it is not an outage. The chain of
    causes is followed: an error raised while handling a lost connection is that outage too."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        component = _component(exc)
        if component is not None:
            return exc if isinstance(exc, Unavailable) else unavailable(component)
        exc = exc.__cause__ or exc.__context__
    return None
