"""The stack every benchmark runs against: PostgreSQL and Redis on loopback, local storage, and the
server under gunicorn with docker-compose.yml's worker settings (never the dev server)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
# The full stack requires a secret (nexus_server/settings/base.py); the benchmarks have their own.
SECRET_KEY = "bench-only-" + TOKEN
# docker-compose.yml's web service: WEB_CONCURRENCY 4, GUNICORN_THREADS 4; its worker: concurrency 2.
WEB_CONCURRENCY, GUNICORN_THREADS, WORKER_CONCURRENCY = "4", "4", "2"


def db_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nexus_bench")


def broker_url() -> str:
    return os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")


def fresh_database() -> None:
    """Drops and creates the bench database: every run starts from the same empty state."""
    import psycopg2

    url = db_url()
    name = url.rsplit("/", 1)[1]
    admin = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def setup_django(var_dir: Path) -> None:
    """This process on the bench database (for preparing data and counting queries)."""
    os.environ["DATABASE_URL"] = db_url()
    os.environ["CELERY_BROKER_URL"] = broker_url()
    os.environ["NEXUS_VAR_DIR"] = str(var_dir)
    os.environ["MEDIA_ROOT"] = str(var_dir / "media")
    os.environ["NEXUS_DEMO_TOKEN"] = TOKEN
    os.environ.setdefault("SECRET_KEY", SECRET_KEY)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexus_server.settings")
    import django

    from nexus_server.embedded import prepare

    prepare()

    django.setup()


def env(var_dir: Path, **extra) -> dict:
    """The environment of the server processes: the full stack, files under `var_dir`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "STORAGE_"))}
    return {
        **base,
        "DATABASE_URL": db_url(),
        "CELERY_BROKER_URL": broker_url(),
        "STORAGE_BACKEND": "local",
        "NEXUS_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(var_dir / "media"),
        "NEXUS_DEMO_TOKEN": TOKEN,
        "SECRET_KEY": os.environ.get("SECRET_KEY", SECRET_KEY),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(environment: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, check=True, capture_output=True)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(app: str, environment: dict) -> tuple[subprocess.Popen, str]:
    """gunicorn with the project's config file and docker-compose's worker settings; returns once it
    answers, after one request to each worker has loaded the application."""
    port = _port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "nexus_server/gunicorn_conf.py", app],
        cwd=ROOT,
        env={
            **environment,
            "PORT": str(port),
            "WEB_CONCURRENCY": WEB_CONCURRENCY,
            "GUNICORN_THREADS": GUNICORN_THREADS,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(url + "/healthz", timeout=10)
                break
            except requests.RequestException:  # not listening yet, or still loading the application
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"gunicorn for {app} did not start") from None
                time.sleep(0.3)
        for _ in range(4 * int(WEB_CONCURRENCY)):
            requests.get(url + "/healthz", timeout=60)
    except BaseException:
        stop(process)  # never left running behind a failed run
        raise
    return process, url


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def workers_of(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in out.split()]


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def start_worker(environment: dict, log: Path) -> subprocess.Popen:
    """A Celery worker as docker-compose runs it (prefork, concurrency 2), purged first."""
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "nexus_server", "worker", "-l", "INFO", "--purge",
             "--concurrency", WORKER_CONCURRENCY, "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the Celery worker did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.2)
    return process
