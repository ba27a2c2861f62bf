"""DRF exception handler: project errors and DRF's own, rendered in the request's dialect."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .dialects import DATAVERSE, NEXUS, dialect_for_path, error_body
from .errors import NexusError


def _dialect(context) -> str:
    view = context.get("view")
    explicit = getattr(view, "dialect", None)
    if explicit:
        return explicit
    request = context.get("request")
    return dialect_for_path(request.path) if request is not None else NEXUS


def exception_handler(exc, context):
    dialect = _dialect(context)
    if isinstance(exc, NexusError):
        body = error_body(dialect, status=exc.status, message=exc.message, type=exc.type, field=exc.field)
        headers = {"WWW-Authenticate": "Token"} if exc.status == 401 else None
        return Response(body, status=exc.status, headers=headers)

    if dialect == NEXUS:
        response = drf_exception_handler(exc, context)
        return response

    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    if not isinstance(exc, drf_exceptions.APIException):
        return None
    detail = exc.detail
    message = detail if isinstance(detail, str) else _flatten(detail)
    if dialect == DATAVERSE and isinstance(exc, drf_exceptions.AuthenticationFailed):
        message = "Bad API key"  # Dataverse's words, which its clients show
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    return Response(
        error_body(dialect, status=exc.status_code, message=str(message)), status=exc.status_code, headers=headers
    )


def _flatten(detail) -> str:
    """DRF's nested field errors as one readable sentence."""
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_flatten(item) for item in detail)
    return str(detail)
