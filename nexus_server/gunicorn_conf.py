"""gunicorn settings for the production web server; access log lines carry no credentials."""

import os

from gunicorn.glogging import Logger

from nexus_server.logging import redact

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Large uploads take a while: the timeout is for a stuck worker, not a slow client.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "600"))
graceful_timeout = 30
keepalive = 5
# gunicorn's control socket would default to one path per machine; keep it beside the server's data.
control_socket = os.path.join(os.environ.get("NEXUS_VAR_DIR", "var"), "gunicorn.ctl")
accesslog = "-"
errorlog = "-"


class RedactingLogger(Logger):
    """gunicorn's logger, with every credential redacted from the atoms of an access line."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if isinstance(value, str):
                atoms[name] = redact(value)
        return atoms


logger_class = RedactingLogger
