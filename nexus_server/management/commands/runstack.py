"""`manage.py runstack`: gunicorn, a Celery worker and beat together, supervised, stopped by one Ctrl-C."""

import os
import shutil
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from nexus_server.embedded import metrics_dir

# A process that dies is started again after this many seconds, doubling while it keeps dying
# soon after its start, up to the maximum; one that ran this long starts the count again.
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
STABLE_SECONDS = 60.0


class _Supervised:
    def __init__(self, name: str, command: list[str], env: dict, stderr):
        self.name, self.command, self.env, self.stderr = name, command, env, stderr
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self.backoff = FIRST_BACKOFF_SECONDS
        self.restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=settings.BASE_DIR)  # noqa: S603
        self.started, self.restart_at = time.monotonic(), None

    def check(self) -> None:
        """Starts the process again once its backoff has passed, if it died."""
        now = time.monotonic()
        if self.restart_at is not None:
            if now >= self.restart_at:
                self.stderr.write(f"runstack: starting {self.name} again")
                self.start()
            return
        code = self.process.poll()
        if code is None:
            return
        if now - self.started >= STABLE_SECONDS:
            self.backoff = FIRST_BACKOFF_SECONDS
        self.stderr.write(f"runstack: {self.name} exited with {code}; starting it again in {self.backoff:g} s")
        self.restart_at = now + self.backoff
        self.backoff = min(self.backoff * 2, MAX_BACKOFF_SECONDS)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Command(BaseCommand):
    help = "Serve the API with gunicorn beside a Celery worker and the beat scheduler, restarting any that dies."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args, port, host, **options):
        env = {**os.environ, "PORT": str(port), "HOST": host}
        python = sys.executable
        beat_schedule = str(settings.VAR_DIR / "celerybeat")
        commands = {
            "web": [python, "-m", "gunicorn", "-c", "nexus_server/gunicorn_conf.py", "nexus_server.wsgi:application"],
            "worker": [python, "-m", "celery", "-A", "nexus_server", "worker", "-l", "INFO", "--concurrency", "2"],
            "beat": [python, "-m", "celery", "-A", "nexus_server", "beat", "-l", "INFO", "-s", beat_schedule],
        }
        # The stack's processes share one metrics directory (web's /metrics shows the worker's too):
        # emptied first, so that its counters start at zero with the stack, as a restarted one's do.
        metrics = metrics_dir()
        shutil.rmtree(metrics, ignore_errors=True)
        metrics.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
        supervised = [_Supervised(name, command, env, self.stderr) for name, command in commands.items()]
        for one in supervised:
            one.start()
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            # A process that dies (a worker that lost its broker, an out-of-memory kill) is started
            # again; the others keep serving meanwhile. Only Ctrl-C or SIGTERM stops the stack.
            while not stopping:
                for one in supervised:
                    one.check()
                time.sleep(0.5)
        finally:
            for one in supervised:
                if one.alive():
                    one.process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for one in supervised:
                if one.process is None:
                    continue
                try:
                    one.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    one.process.kill()
        sys.exit(0)
