"""`manage.py runstack`: gunicorn, a Celery worker and beat together, all stopped by one Ctrl-C."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the API with gunicorn beside a Celery worker and the beat scheduler."

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
        processes = {name: subprocess.Popen(cmd, env=env, cwd=settings.BASE_DIR) for name, cmd in commands.items()}  # noqa: S603
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping the rest.")
                        exit_code, stopping = process.returncode or 1, True
                        break
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
        sys.exit(exit_code)
