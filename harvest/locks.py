"""The per-data-source ingest lock: one ingest (upload or harvest) of a data source at a time."""

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
