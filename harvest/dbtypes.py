"""Stored timestamps read back whatever they hold: PostgreSQL keeps years Python cannot represent.

A row written before the parsers refused such values, or by hand in SQL (year 10000, or BC), would
otherwise make every read of it raise ValueError in psycopg2 (and every page that shows it a 500).
Such values are read as psycopg2 reads `infinity` and `-infinity`: datetime.max and datetime.min
in UTC. Registered once, for every connection, when the harvest app loads.
"""

from datetime import UTC, datetime

_MAX = datetime.max.replace(tzinfo=UTC)
_MIN = datetime.min.replace(tzinfo=UTC)


def _tolerant(base, low, high):
    def cast(value, cursor):
        try:
            return base(value, cursor)
        except ValueError:
            if value is None:
                raise
            # A BC value, or year 0 after the offset, is before year 1; anything else is after 9999.
            return low if value.endswith("BC") or value.startswith("0000") else high

    return cast


def register() -> None:
    try:
        import psycopg2.extensions as extensions
        from psycopg2 import _psycopg
    except ImportError:  # the embedded default (SQLite) needs no psycopg2
        return
    for oid, name, base, low, high in (
        (1184, "TIMESTAMPTZ_TOLERANT", _psycopg.PYDATETIMETZ, _MIN, _MAX),
        (1114, "TIMESTAMP_TOLERANT", _psycopg.PYDATETIME, datetime.min, datetime.max),
    ):
        extensions.register_type(extensions.new_type((oid,), name, _tolerant(base, low, high)))
