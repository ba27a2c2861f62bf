"""Every exception, rendered in the request's dialect: project errors and DRF's own with their
status (a throttled request's 429 with Retry-After), an outage as 503 naming the component (with
Retry-After), anything else a logged JSON 500."""

import logging

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from .dialects import DATAVERSE, NEXUS, UNEXPECTED, dialect_for_path, error_body
from .errors import InvalidInput, NexusError, PayloadTooLarge, Unavailable
from .logging import escape_controls
from .outages import outage_of

logger = logging.getLogger("nexus.errors")


def _dialect(context) -> str:
    view = context.get("view")
    explicit = getattr(view, "dialect", None)
    if explicit:
        return explicit
    request = context.get("request")
    return dialect_for_path(request.path) if request is not None else NEXUS


def project_error_for(exc: BaseException, *, method: str = "?", path: str = "?") -> NexusError | None:
    """The project error an exception stands for: itself, an outage's Unavailable (logged as one
    line: operators see which dependency and why), or None when DRF or the caller decides."""
    if isinstance(exc, NexusError) and not isinstance(exc, Unavailable):
        return exc
    # Django's refusals of a request (a body over DATA_UPLOAD_MAX_MEMORY_SIZE, too many fields or
    # files, a bad Host), raised when a view first reads request.data: the client's error, not a bug.
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(str(exc) or "Request body too large.")
    if isinstance(exc, (SuspiciousOperation, BadRequest)):
        return InvalidInput(str(exc) or "Bad request.")
    outage = outage_of(exc)
    if outage is not None:
        logger.warning(
            "%s %s: %s unavailable (%s: %s)",
            method,
            escape_controls(path),
            outage.component,
            type(exc).__name__,
            str(exc).strip(),
        )
    return outage


def error_headers(error: NexusError) -> dict | None:
    if error.status == 401:
        return {"WWW-Authenticate": "Token"}
    if isinstance(error, Unavailable):
        return {"Retry-After": str(error.retry_after)}
    return None


def log_unexpected(exc: BaseException, *, method: str, path: str) -> None:
    # The path is decoded (Delta's views take control characters): a `%0A` in it stays escaped.
    path = escape_controls(path)
    logger.error("Unexpected error in %s %s", method, path, exc_info=(type(exc), exc, exc.__traceback__))


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: the error in the dialect's JSON shape, whatever renderer the client
    asked for (a browser's Accept: text/html or ?format=api picks DRF's HTML page otherwise)."""
    response = _error_response(exc, context)
    request = context.get("request")
    renderer = getattr(request, "accepted_renderer", None)
    if response is not None and renderer is not None and "json" not in (renderer.media_type or ""):
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
    return response


def _error_response(exc, context):
    dialect = _dialect(context)
    request = context.get("request")
    method, path = getattr(request, "method", "?"), getattr(request, "path", "?")
    error = project_error_for(exc, method=method, path=path)
    if error is not None:
        if error.status >= 500:
            set_rollback()
        body = error_body(dialect, status=error.status, message=error.message, type=error.type, field=error.field)
        return Response(body, status=error.status, headers=error_headers(error))

    if dialect == NEXUS:
        response = drf_exception_handler(exc, context)
        if response is not None:
            return response
        return _unexpected(exc, dialect=dialect, method=method, path=path)

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return _unexpected(exc, dialect=dialect, method=method, path=path)
    detail = exc.detail
    message = detail if isinstance(detail, str) else _flatten(detail)
    if dialect == DATAVERSE and isinstance(exc, drf_exceptions.AuthenticationFailed):
        message = "Bad API key"  # Dataverse's words, which its clients show
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):  # a throttled request (429): when to retry, as DRF's own handler says
        headers["Retry-After"] = f"{exc.wait:.0f}"
    return Response(
        error_body(dialect, status=exc.status_code, message=str(message)), status=exc.status_code, headers=headers
    )


def _unexpected(exc, *, dialect: str, method: str, path: str) -> Response:
    """A bug: its traceback to the log, the dialect's JSON 500 to the client (never an HTML page)."""
    log_unexpected(exc, method=method, path=path)
    set_rollback()
    return Response(error_body(dialect, status=500, message=UNEXPECTED[dialect]), status=500)


def _flatten(detail) -> str:
    """DRF's nested field errors as one readable sentence."""
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)
