"""Shared output formats: timestamps the way the seeds write them."""

from datetime import UTC, datetime


def utc_z(value: datetime | None, *, seconds: bool = True) -> str | None:
    """`2021-01-12T13:01:18Z`: UTC with a Z (to the second unless `seconds` is False)."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    if seconds:
        value = value.replace(microsecond=0)
    return value.isoformat().replace("+00:00", "Z")
