"""The request id of every request (X-Request-ID), and one log line per request, with credentials in
the query string redacted."""

import logging
import time

from .logcontext import REQUEST_ID_HEADER, new_request_id, request_context, valid_request_id
from .logging import credentials_in, escape_controls, known_credentials, redact, redact_query

logger = logging.getLogger("nexus.request")


class RequestIdMiddleware:
    """Outermost: the caller's X-Request-ID when it is a valid one (else a new one) is the id of
    every line logged while the request is served and of the tasks it queues, and is returned in
    X-Request-ID on every answer, error answers of the middleware below included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = valid_request_id(request.META.get("HTTP_X_REQUEST_ID")) or new_request_id()
        with request_context(request_id):
            response = self.get_response(request)
        response[REQUEST_ID_HEADER] = request_id
        return response


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        # While the request is served, any line logged (an error's message, a traceback) loses the
        # credentials it carries, whatever the wording or the encoding.
        with known_credentials(credentials_in(request.META)):
            response = self.get_response(request)
            elapsed_ms = (time.monotonic() - started) * 1000
            query = request.META.get("QUERY_STRING", "")
            # request.path is decoded: a signed link or an encoded `token=` in it is redacted too.
            # It is decoded too: a `%0A` in it would end this line and forge the next; escaped again.
            target = escape_controls(redact(request.path) + (f"?{redact_query(query)}" if query else ""))
            user = getattr(request, "user", None)
            who = user.get_username() if user is not None and user.is_authenticated else "-"
            # The same in fields for LOG_FORMAT=json (the request id comes from the context).
            fields = {
                "method": request.method,
                "path": target,
                "status": response.status_code,
                "duration_ms": round(elapsed_ms, 1),
                "user": who,
            }
            logger.info(
                "%s %s %s %.1fms user=%s", request.method, target, response.status_code, elapsed_ms, who, extra=fields
            )
        return response
