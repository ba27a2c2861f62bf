"""One log line per request, with credentials in the query string redacted."""

import logging
import time

from .logging import credentials_in, escape_controls, known_credentials, redact, redact_query

logger = logging.getLogger("nexus.request")


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
            logger.info("%s %s %s %.1fms user=%s", request.method, target, response.status_code, elapsed_ms, who)
        return response
