"""Refuses URL input that no parameter of any dialect can hold, and parses integer parameters with bounds."""

import re
from urllib.parse import unquote_to_bytes

from django.conf import settings

from .dialects import DELTA, dialect_for_path, error_response
from .errors import InvalidInput

# C0 controls, DEL and C1 controls: never part of an id, name, label, locale or search text, and
# PostgreSQL cannot store or even compare NUL (a 500 before this guard).
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The database's integer range (SQLite and PostgreSQL bigint): a larger value overflows in the driver.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_ASCII_INT = re.compile(r"-?[0-9]+")


def parse_int(raw, *, name: str, minimum: int = 0, maximum: int = INT_MAX) -> int:
    """An integer parameter: ASCII digits only (int() takes '١٢', ' 7 ' and '1_0'), within bounds."""
    text = str(raw)
    if not _ASCII_INT.fullmatch(text) or len(text) > 20:
        raise InvalidInput(f"'{name}' must be a whole number.", field=name)
    value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidInput(f"'{name}' must be between {minimum} and {maximum}.", field=name)
    return value


def _utf8(raw: bytes) -> str | None:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _query_problem(query_string: str) -> str | None:
    """Why the raw query string cannot be read as parameters, or None."""
    limit = settings.NEXUS_MAX_PARAM_CHARS
    for pair in re.split(r"[&;]", query_string):
        for part in pair.split("=", 1):
            text = _utf8(unquote_to_bytes(part.replace("+", " ")))
            if text is None:
                return "A query parameter is not UTF-8 text."
            if CONTROL.search(text):
                return "A query parameter holds control characters."
            if len(text) > limit:
                return f"A query parameter is longer than {limit} characters."
    return None


# Django decodes the path leniently: bytes that are not UTF-8 come back percent-escaped (`%ED%A0%80`).
_REPERCENTED = re.compile(r"%[89A-F][0-9A-F]")


def _path_problem(request) -> str | None:
    """Why the path cannot name anything, or None. The raw URI (gunicorn's RAW_URI, uwsgi's
    REQUEST_URI) is decoded
    strictly when the server gives it; otherwise Django's re-escaped bytes are what betray it."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw is not None:
        text = _utf8(unquote_to_bytes(raw.split("?", 1)[0]))
        if text is None:
            return "The path is not UTF-8 text."
    text = request.path
    if raw is None and _REPERCENTED.search(text):
        return "The path is not UTF-8 text."
    if CONTROL.search(text):
        return "The path holds control characters."
    limit = settings.NEXUS_MAX_PARAM_CHARS
    if any(len(segment) > limit for segment in text.split("/")):
        return f"A path segment is longer than {limit} characters."
    return None


# Delta's views answer these with the reference's types (InvalidFileId for an id that cannot be an
# IRI or stored, ResourceNotFound for a label, MalformedQueryParam for a parameter).
_DELTA_OWN = (
    "The path holds control characters.",
    "A path segment is longer than",
    "A query parameter holds control characters.",
)


def _is_api(path: str) -> bool:
    return path.startswith(("/api/", "/v1/")) and not path.startswith(("/api/docs/", "/api/schema/"))


class InputGuardMiddleware:
    """A 400 in the dialect's shape before any view or query runs, for a path or query string that
    holds control characters, bytes that are not UTF-8 or an over-long value; a 404 in the dialect's
    shape for a path integer beyond the database's range and for an API path no pattern matches.
    Delta's views answer control characters themselves, with the reference's `@type`s."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        delta = dialect_for_path(path) == DELTA
        problem = _path_problem(request)
        # Delta's file ids are measured against what an id can be stored as (InvalidFileId).
        delta_own = problem is not None and delta and problem.startswith(_DELTA_OWN)
        if delta_own and (not problem.startswith("A path segment is longer") or path.startswith("/v1/files/")):
            problem = None
        if problem is None:
            problem = _query_problem(request.META.get("QUERY_STRING", ""))
            if problem is not None and delta and problem.startswith(_DELTA_OWN):
                problem = None
        if problem is not None:
            return error_response(path, status=400, message=problem)
        response = self.get_response(request)
        if response.status_code == 404 and _is_api(path) and "json" not in response.get("Content-Type", ""):
            # A URL no pattern matches (a letter where an id goes): the dialect's 404, not Django's page.
            return error_response(path, status=404, message="Not found.")
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        for value in list(view_args) + list(view_kwargs.values()):
            if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
                return error_response(request.path, status=404, message="Not found.")
        return None
