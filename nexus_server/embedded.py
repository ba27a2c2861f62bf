"""The embedded run's state directory (`var/`): where it is, and preparing it before Django starts."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    """`NEXUS_VAR_DIR`, or `var/` beside manage.py."""
    return Path(os.environ.get("NEXUS_VAR_DIR") or BASE_DIR / "var")


def is_embedded() -> bool:
    """True on the embedded default: the database is SQLite (DATABASE_URL unset or sqlite://), so every
    process runs on this machine and can share a key kept under var/. A server database (the full
    stack) may have processes on many machines: there SECRET_KEY must be given, never generated."""
    url = os.environ.get("DATABASE_URL", "")
    return not url or url.startswith("sqlite:")


def metrics_dir() -> Path:
    """Where the processes of one machine (or container) keep their Prometheus values: the
    PROMETHEUS_MULTIPROC_DIR given, else var/metrics."""
    return Path(os.environ.get("PROMETHEUS_MULTIPROC_DIR") or var_dir() / "metrics")


def prepare() -> None:
    """Creates the directories the embedded defaults use and a secret key kept under var/, and names
    the metrics directory for prometheus_client, which reads it once, when first imported.

    Called by every entry point (manage.py, wsgi, asgi, the test plugin, the benchmarks) before
    settings load, so that importing settings only reads: the settings of a server given
    SECRET_KEY and a database URL never write anything."""
    var = var_dir()
    for directory in (var, var / "static", var / "broker" / "queue", var / "broker" / "control"):
        directory.mkdir(parents=True, exist_ok=True)
    metrics = metrics_dir()
    metrics.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    secret = var / "secret_key"
    if is_embedded() and not os.environ.get("SECRET_KEY") and not secret.exists():
        # Written aside and renamed: two processes starting at once never read a half-written key.
        aside = var / f".secret_key.{os.getpid()}"
        aside.write_text(secrets.token_urlsafe(50))
        aside.chmod(0o600)
        try:
            os.link(aside, secret)
        except FileExistsError:
            pass
        finally:
            aside.unlink()
