"""Advisory locks: one ingest of a data source at a time, and timeseries writers vs retention."""

from django.db import connection

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
