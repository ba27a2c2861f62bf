"""gunicorn settings for the production web server; no log line carries a credential, and under
LOG_FORMAT=json every line is a JSON object."""

import logging
import os

from gunicorn.glogging import Logger

from core.logcontext import LogContextFilter, valid_request_id
from core.logformat import formatter, log_format
from core.logging import (
    REDACTED,
    credentials_in,
    escape_controls,
    is_secret_header,
    redact,
    redact_query,
    redact_target,
)

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Large uploads take a while: the timeout is for a stuck worker, not a slow client.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "600"))
graceful_timeout = 30
keepalive = 5
# gunicorn's own refusal of a long request line is an HTML page in no dialect's shape; at its most
# (8190 bytes, gunicorn's ceiling) a line holding a parameter over NEXUS_MAX_PARAM_CHARS (2048)
# reaches the input guard, which refuses it in the dialect's shape.
limit_request_line = 8190
# gunicorn's control socket would default to one path per machine; keep it beside the server's data.
control_socket = os.path.join(os.environ.get("NEXUS_VAR_DIR", "var"), "gunicorn.ctl")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Read here too (the master loads no Django settings): a bad value stops gunicorn before it serves.
LOG_FORMAT = log_format(os.environ.get("LOG_FORMAT"))

# Atoms that hold a URL or a query: rendered from their parts, not patched as text.
_TARGET_ATOMS = {"U", "f", "{referer}i", "{location}o", "{raw_uri}e", "{path_info}e", "{http_referer}e"}
_QUERY_ATOMS = {"q", "{query_string}e"}


class _AccessRequestId(logging.Filter):
    """An access line's request id: the X-Request-ID the answer carries (the line is written after
    Django's context of the request has ended)."""

    def filter(self, record):
        try:
            record.request_id = valid_request_id(record.args["{x-request-id}o"])
        except (TypeError, KeyError):  # args dropped by the redaction, or no mapping
            record.request_id = None
        return True


class RedactingLogger(Logger):
    """gunicorn's logger: every atom of an access line without credentials (queries by decoded
    name, credential headers and cookies whole, Basic-auth user names, the request's own
    credentials in any encoding), and the URLs in its error lines redacted. Under LOG_FORMAT=json
    its error and access lines are JSON objects like Django's (the access line as the message)."""

    def setup(self, cfg):
        super().setup(cfg)
        if LOG_FORMAT != "json":
            return
        for log, extra_filter in ((self.error_log, None), (self.access_log, _AccessRequestId())):
            for handler in log.handlers:
                handler.setFormatter(formatter(LOG_FORMAT))
                if extra_filter is not None:
                    handler.addFilter(extra_filter)
                handler.addFilter(LogContextFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        known = credentials_in(environ)
        for name, value in atoms.items():
            if not isinstance(value, str):
                continue
            if is_secret_header(name):
                atoms[name] = REDACTED
            elif name in _QUERY_ATOMS:
                atoms[name] = redact_query(value, known)
            elif name in _TARGET_ATOMS:
                atoms[name] = redact_target(value, known)
            else:
                atoms[name] = redact(value, known)
        # The request line from its parts: the target as a URL, not the line as free text.
        uri = redact_target(environ["RAW_URI"], known) if "RAW_URI" in environ else "-"
        atoms["r"] = f"{environ['REQUEST_METHOD']} {uri} {environ['SERVER_PROTOCOL']}"
        # The user of a Basic Authorization header: this server takes no Basic credentials, so
        # whatever a client put there (a token, often) is not a user name worth writing.
        if atoms.get("u", "-") != "-":
            atoms["u"] = REDACTED
        # A header value or a target may hold control characters (ESC, a raw byte gunicorn passes):
        # written escaped, so that an access line cannot rewrite the terminal or the line.
        return {name: escape_controls(value) if isinstance(value, str) else value for name, value in atoms.items()}

    def _clean(self, args):
        return tuple(redact_target(a) if isinstance(a, str) and a.startswith(("/", "http")) else a for a in args)

    # "Error handling request <uri>" and the like: the URI is redacted as a URI, not as free text.
    def critical(self, msg, *args, **kwargs):
        super().critical(msg, *self._clean(args), **kwargs)

    def error(self, msg, *args, **kwargs):
        super().error(msg, *self._clean(args), **kwargs)

    def warning(self, msg, *args, **kwargs):
        super().warning(msg, *self._clean(args), **kwargs)

    def info(self, msg, *args, **kwargs):
        super().info(msg, *self._clean(args), **kwargs)

    def debug(self, msg, *args, **kwargs):
        super().debug(msg, *self._clean(args), **kwargs)

    def exception(self, msg, *args, **kwargs):
        super().exception(msg, *self._clean(args), **kwargs)


logger_class = RedactingLogger


def child_exit(server, worker):
    # A worker that exits leaves its counters in the metrics directory (a scrape still sums them, so
    # they never go back); prometheus_client is told, for the values a live process alone may hold.
    # The master never imports the app: the directory is named here, as prepare() names it for the workers.
    from prometheus_client import multiprocess

    from nexus_server.embedded import metrics_dir

    multiprocess.mark_process_dead(worker.pid, path=str(metrics_dir()))
