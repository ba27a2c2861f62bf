"""Errors outside DRF's views (plain Django views, middleware, unknown URLs) in the dialect's JSON
shape: an outage is a 503 naming the component, anything else a logged 500; never an HTML page."""

import sys

from django.core.exceptions import PermissionDenied
from django.http import Http404

from .dialects import NOT_FOUND, UNEXPECTED, dialect_for_path, error_response
from .exceptions import error_headers, log_unexpected, project_error_for


def exception_response(request, exc: BaseException, *, log: bool = True):
    """The JSON answer to an exception nothing else rendered."""
    error = project_error_for(exc, method=request.method, path=request.path)
    if error is not None:
        return error_response(
            request.path, status=error.status, message=error.message, type=error.type, headers=error_headers(error)
        )
    if log:
        log_unexpected(exc, method=request.method, path=request.path)
    return error_response(request.path, status=500, message=UNEXPECTED[dialect_for_path(request.path)])


class ErrorShapeMiddleware:
    """First in MIDDLEWARE, so that its process_exception runs last: a view's exception that no
    other middleware answered becomes JSON here (whatever DEBUG says). Exceptions raised by
    middleware themselves reach Django's handlers below (urls.handler500 and the like)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        # Django's own refusals (the admin's PermissionDenied for a read-only page, a view's
        # Http404) go to handler403 / handler404 below: a 403 or 404 in the shape, not a 500.
        if isinstance(exception, PermissionDenied | Http404):
            return None
        return exception_response(request, exception)


def bad_request(request, exception=None):
    message = str(exception) if exception is not None and str(exception) else "Bad request."
    return error_response(request.path, status=400, message=message)


def permission_denied(request, exception=None):
    return error_response(request.path, status=403, message="You do not have permission to perform this action.")


def not_found(request, exception=None):
    return error_response(request.path, status=404, message=NOT_FOUND[dialect_for_path(request.path)])


def server_error(request):
    """Django's handler500, called inside the `except` of an exception from a middleware or a view
    that nothing answered; Django has logged it (with its traceback) already."""
    exc = sys.exc_info()[1]
    if exc is None:
        return error_response(request.path, status=500, message=UNEXPECTED[dialect_for_path(request.path)])
    return exception_response(request, exc, log=False)
