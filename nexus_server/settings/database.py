"""The database: SQLite under var/ by default, any DATABASE_URL otherwise."""

from .base import VAR_DIR, env

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker share the file: WAL lets readers run beside one writer,
    # IMMEDIATE takes the write lock up front instead of failing a transaction half-way.
    # A file, not memory, so that a Celery worker started by the tests sees the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # A backend whose client died (a killed worker process) notices within seconds even mid-query,
    # and ends its transaction, releasing its locks (the source's ingest lock among them); keepalives
    # do the same for a client whose host went away. 0 turns the check off (e.g. behind pgbouncer,
    # which refuses startup options).
    _check_ms = env.int("NEXUS_DB_CLIENT_CHECK_MS", default=2000)
    if _check_ms:
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
            f"-c client_connection_check_interval={_check_ms} "
            "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
        )
