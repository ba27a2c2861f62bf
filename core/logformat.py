"""LOG_FORMAT: plain lines or one JSON object per line (python-json-logger), both carrying the request id
and both through the credential redaction."""

import logging
from datetime import UTC, datetime

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

from .logging import redact

LOG_FORMATS = ("plain", "json")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s"
# The fields every JSON line starts with, in this order; the record's `extra=` fields follow.
_FIRST = ("time", "level", "logger", "message", "request_id", "task_name", "task_id")
# Attributes of a record that are no field of their own: logging's, the plain format's tag, and
# Django's request object (its path is in the message, redacted).
_SKIPPED = (*RESERVED_ATTRS, "taskName", "request_tag", "request")


def log_format(value: str | None) -> str:
    """LOG_FORMAT checked: `plain` when unset, else one of LOG_FORMATS; anything else is refused at
    start, so that a typo is not a deployment whose logs no collector can read."""
    chosen = (value or "plain").strip().lower()
    if chosen not in LOG_FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {value!r}")
    return chosen


def _clean(value, depth=0):
    """A field's value as JSON can hold it, every text in it redacted (an `extra=` dict, such as
    Celery's task `data`, may hold arguments; any other object is written as its redacted str())."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if depth < 4 and isinstance(value, dict):
        return {str(k): _clean(v, depth + 1) for k, v in value.items()}
    if depth < 4 and isinstance(value, list | tuple):
        return [_clean(v, depth + 1) for v in value]
    return redact(str(value))


class JsonFormatter(_LibraryJsonFormatter):
    """One JSON object per line: time (ISO 8601, UTC), level, logger, message, request_id, task_name
    and task_id when known, exc_info as one string, then the record's extra fields; control
    characters and non-ASCII escaped, so that no value can end or forge a line."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("reserved_attrs", _SKIPPED)
        super().__init__(*args, **kwargs)

    def formatException(self, ei) -> str:
        # The record's traceback as written out, redacted: the record factory redacted exc_text,
        # but the library formats exc_info again.
        return redact(super().formatException(ei))

    def formatStack(self, stack_info) -> str:
        return redact(super().formatStack(stack_info))

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        created = datetime.fromtimestamp(record.created, tz=UTC)
        log_data["time"] = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        for name in ("request_id", "task_name", "task_id"):
            log_data[name] = getattr(record, name, None)

    def process_log_record(self, log_data):
        data = log_data.get("data")
        if "exc_info" in log_data and isinstance(data, dict) and "traceback" in data:
            # Celery's failure lines carry the traceback in `data` too: once is enough.
            log_data["data"] = {name: value for name, value in data.items() if name != "traceback"}
        first = {name: log_data.pop(name) for name in _FIRST if name in log_data}
        ordered = {name: value for name, value in first.items() if value is not None} | log_data
        return {name: _clean(value) for name, value in ordered.items()}


class PlainFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message`; the tag is left out on a handler without the
    context filter (core.logcontext.LogContextFilter) rather than failing the line."""

    def __init__(self, *args, **kwargs):
        super().__init__(PLAIN_FORMAT, defaults={"request_tag": ""})


def formatter_settings(log_format_name: str) -> dict:
    """The `formatters` entry of a dictConfig for LOG_FORMAT, named `default`."""
    name = "JsonFormatter" if log_format_name == "json" else "PlainFormatter"
    return {"default": {"()": f"core.logformat.{name}"}}


def formatter(log_format_name: str) -> logging.Formatter:
    """The formatter LOG_FORMAT names, for handlers made outside dictConfig (gunicorn's)."""
    return JsonFormatter() if log_format_name == "json" else PlainFormatter()
