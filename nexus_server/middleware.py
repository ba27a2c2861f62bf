"""One log line per request, with credentials in the query string redacted."""

import logging
import time

from .logging import redact

logger = logging.getLogger("nexus.request")


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        elapsed_ms = (time.monotonic() - started) * 1000
        query = request.META.get("QUERY_STRING", "")
        target = request.path + (f"?{redact(query)}" if query else "")
        user = getattr(request, "user", None)
        who = user.get_username() if user is not None and user.is_authenticated else "-"
        logger.info("%s %s %s %.1fms user=%s", request.method, target, response.status_code, elapsed_ms, who)
        return response
