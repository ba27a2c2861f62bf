"""Advisory locks: one ingest of a data source at a time, and timeseries writers vs retention."""

import fcntl
import os
from contextlib import contextmanager

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection

# Namespace of the two-key advisory locks, so that other advisory locks cannot collide with these.
INGEST_LOCK_NAMESPACE = 7301


def ingest_lock_try(*, data_source_id: int) -> bool:
    """Takes the data source's ingest lock for the rest of the current transaction, if free.

    On PostgreSQL a transaction-level advisory lock: it blocks nobody else (uploads to the source
    go on) and is released at commit or rollback. SQLite serialises write transactions itself
    (every transaction begins IMMEDIATE), so there the lock is always granted."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [INGEST_LOCK_NAMESPACE, data_source_id])
        return bool(cursor.fetchone()[0])


# Namespace of the per-data-connection timeseries writer locks.
SERIES_LOCK_NAMESPACE = 7302


def series_lock(*, data_connection_id: int, wait: bool) -> bool:
    """Takes a data connection's timeseries writer lock for the rest of the current transaction.

    The upsert holds it (waiting for it) while it writes; retention takes it only if it is free
    before removing series left without rows, so that it never removes a series that a running
    upsert is filling (its rows are not visible until that commits). SQLite serialises write
    transactions itself."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [SERIES_LOCK_NAMESPACE, data_connection_id])
            return True
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [SERIES_LOCK_NAMESPACE, data_connection_id])
        return bool(cursor.fetchone()[0])


def database_connection_lost(error: Exception) -> bool:
    """Whether a database error was the connection going (no SQLSTATE from the server, a connection
    exception, or the server shutting the session down) rather than a fault of the statement."""
    if connection.vendor != "postgresql":
        return False  # SQLite has no connection to lose
    if isinstance(error, InterfaceError):
        return True
    code = getattr(error.__cause__, "pgcode", None)
    return code is None or code.startswith("08") or code in {"57P01", "57P02", "57P03"}


class LockBusy(Exception):
    """The lock is held by another session (a live ingest, or a dead one PostgreSQL has not yet
    noticed): the delivery tries again after `countdown` seconds instead of returning done."""

    def __init__(self, countdown: float):
        super().__init__(countdown)
        self.countdown = countdown


@contextmanager
def ingest_lock_held(*, data_source_id: int):
    """Holds the data source's ingest lock across transactions (PostgreSQL session-level), so that
    a delivery can commit its delivery count before the ingest's own transaction starts. Raises
    LockBusy if it is taken; released on exit, or by PostgreSQL when the process dies. It conflicts
    with ingest_lock_try's transaction-level lock on the same key.

    SQLite (the embedded default, one machine) has no such lock: a lock file under NEXUS_VAR_DIR
    stands in, held with flock, which the kernel releases when the holding process dies."""
    with _session_lock(INGEST_LOCK_NAMESPACE, data_source_id, f"ingest-{data_source_id}"):
        yield


# Namespace of the per-harvest-run delivery locks.
RUN_LOCK_NAMESPACE = 7303


@contextmanager
def run_lock_held(*, run_id: int):
    """Held by the delivery working on a harvest run: a second delivery of the same run (a message
    restored to the queue while the first still runs) finds it taken (LockBusy)."""
    with _session_lock(RUN_LOCK_NAMESPACE, run_id, f"run-{run_id}"):
        yield


# Namespace of the resumable-upload locks (one PATCH or DELETE of an upload at a time).
RESUMABLE_LOCK_NAMESPACE = 7304


@contextmanager
def resumable_lock_held(*, key: int):
    """Held while a request appends to (or terminates) one resumable upload, across the commits of
    its progress: a second request of the same upload finds it taken (LockBusy); a dead holder's
    lock goes with its connection (PostgreSQL) or its process (the flock on SQLite)."""
    with _session_lock(RESUMABLE_LOCK_NAMESPACE, key, f"resumable-{key}"):
        yield


@contextmanager
def _session_lock(namespace: int, key: int, file_name: str):
    if connection.vendor != "postgresql":
        with _file_lock(file_name):
            yield
        return
    keys = [namespace, key]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", keys)
        if not cursor.fetchone()[0]:
            raise LockBusy(settings.NEXUS_INGEST_LOCK_RETRY_SECONDS)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", keys)
        except DatabaseError:
            # The connection is gone (and the session's locks with it), or it is unusable:
            # closing it ends the session, releasing the lock.
            if connection.in_atomic_block:
                raise
            connection.close()


@contextmanager
def _file_lock(name: str):
    # The file is removed while still locked, so none is left per data source or harvest run. A
    # process that opened it before the removal and locks it after finds its file no longer at
    # the path, and locks the path's new file instead (or finds that one taken).
    directory = settings.VAR_DIR / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.lock"
    while True:
        handle = open(path, "a+b")  # noqa: SIM115 (closed below, after the lock's use)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise LockBusy(settings.NEXUS_INGEST_LOCK_RETRY_SECONDS) from None
        try:
            current = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            current = False
        if current:
            break
        handle.close()
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        handle.close()  # releases the lock
