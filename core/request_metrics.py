"""Counts and times every HTTP request by dialect, route pattern, method and status, for /metrics."""

import time

from django.urls import Resolver404, resolve

from .dialects import dialect_for_path
from .metrics import REQUEST_SECONDS, REQUESTS

# Methods beyond these are one label value: a client inventing methods cannot grow the series.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(request) -> str:
    """The URL pattern that served the request (never the path itself: ids and names in paths would
    make a series per resource). A request refused before the URL was resolved is resolved here."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "(unmatched)"
    return "/" + match.route if match.route else "(unmatched)"


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        dialect, route = dialect_for_path(request.path), _route(request)
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(dialect, route, method, str(response.status_code)).inc()
        REQUEST_SECONDS.labels(dialect, route).observe(elapsed)
        return response
