"""Settings, all from environment variables, with embedded defaults that need no server."""

import secrets
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
VAR_DIR = Path(env("NEXUS_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _kept_secret(name: str) -> str:
    """A random value generated once and kept under var/, for the embedded run."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env("SECRET_KEY", default=None) or _kept_secret("secret_key")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "nexus_server",
    "accounts",
    "blobs",
    "synctasks",
    "harvest",
    "uploads",
    "files",
    "datasets",
]

MIDDLEWARE = [
    # Outermost: a view's exception nothing else answered is JSON in its dialect's shape (503, 500).
    "nexus_server.failsafe.ErrorShapeMiddleware",
    # Then: refuse an over-size body before anything (CSRF, sessions) can read it.
    "blobs.middleware.RequestSizeLimitMiddleware",
    "nexus_server.middleware.RequestLogMiddleware",
    "nexus_server.input_guard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "blobs.middleware.DiscardUnrecordedUploadsMiddleware",
]

ROOT_URLCONF = "nexus_server.urls"
WSGI_APPLICATION = "nexus_server.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

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

LANGUAGE_CODE = "en-us"
# upload_date and the like are rendered with this zone's offset (the seeds show +01:00, +02:00).
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)

# --- Blob storage -------------------------------------------------------------------------
STORAGE_BACKEND = env("STORAGE_BACKEND", default="local")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
AWS_S3_ENDPOINT_URL = env("AWS_S3_ENDPOINT_URL", default=None)
# Where clients reach S3 when it differs from the server's own view (docker-compose: minio).
AWS_S3_PUBLIC_ENDPOINT_URL = env("AWS_S3_PUBLIC_ENDPOINT_URL", default=None)
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME", default="nexus")
AWS_ACCESS_KEY_ID = env("AWS_ACCESS_KEY_ID", default=None)
AWS_SECRET_ACCESS_KEY = env("AWS_SECRET_ACCESS_KEY", default=None)
AWS_S3_REGION_NAME = env("AWS_S3_REGION_NAME", default="us-east-1")

if STORAGE_BACKEND == "s3":
    _blob_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": AWS_S3_ENDPOINT_URL,
            "access_key": AWS_ACCESS_KEY_ID,
            "secret_key": AWS_SECRET_ACCESS_KEY,
            "region_name": AWS_S3_REGION_NAME,
            "addressing_style": "path",
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
elif STORAGE_BACKEND == "local":
    _blob_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(MEDIA_ROOT)},
    }
else:
    raise environ.ImproperlyConfigured(f"STORAGE_BACKEND must be 'local' or 's3', not {STORAGE_BACKEND!r}")

STORAGES = {
    "default": _blob_storage,
    "blobs": _blob_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Upload limits --------------------------------------------------------------------------
NEXUS_MAX_UPLOAD_BYTES = env.int("NEXUS_MAX_UPLOAD_BYTES", default=500 * 1024 * 1024)
NEXUS_MAX_JSON_BYTES = env.int("NEXUS_MAX_JSON_BYTES", default=100 * 1024 * 1024)
# Room for the multipart envelope and form fields on top of the file itself.
NEXUS_MAX_REQUEST_OVERHEAD_BYTES = env.int("NEXUS_MAX_REQUEST_OVERHEAD_BYTES", default=1024 * 1024)
NEXUS_LINK_TTL_SECONDS = env.int("NEXUS_LINK_TTL_SECONDS", default=3600)
# Direct uploads: files up to this size get one pre-signed PUT, larger ones parts of this size
# (rounded down to whole MiB, at least 5 MiB: S3's minimum, and what dvuploader's reads need).
NEXUS_DIRECT_UPLOAD_PART_BYTES = env.int("NEXUS_DIRECT_UPLOAD_PART_BYTES", default=64 * 1024 * 1024)
# Bytes no row references are removed by the sweep once they are this old.
NEXUS_ORPHAN_GRACE_SECONDS = env.int("NEXUS_ORPHAN_GRACE_SECONDS", default=24 * 3600)
NEXUS_DEMO_TOKEN = env("NEXUS_DEMO_TOKEN", default=None)

FILE_UPLOAD_HANDLERS = ["blobs.uploadhandler.BlobUploadHandler"]
# Multipart files never touch memory or a temp file: the handler streams them to blob storage.
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
        "polling_interval": 0.5,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # A task not acknowledged within this time is delivered again: longer than the longest ingest.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=6 * 3600),
        # A broker that is down or unreachable fails a publish in seconds, never hangs a request.
        "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=2.0),
        "socket_timeout": env.float("CELERY_BROKER_SOCKET_TIMEOUT", default=10.0),
    }
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's transport with the fix for a worker that exits when Redis goes mid-task (see there).
        CELERY_BROKER_TRANSPORT = "nexus_server.redis_transport:Transport"
# A publish (the POST's ingest) tries twice more within a second, then the upload is left for the
# worker's requeue of undispatched ingests (NEXUS_REQUEUE_UNDISPATCHED_SECONDS).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# Every task ends within these: past the soft limit an ingest ends failed with nothing applied; past
# the hard limit its pool process is killed (which counts as a delivery that stopped its worker).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("NEXUS_TASK_SOFT_TIME_LIMIT", default=3600)
CELERY_TASK_TIME_LIMIT = env.int("NEXUS_TASK_HARD_TIME_LIMIT", default=3900)
CELERY_TASK_ALWAYS_EAGER = False  # never: an upload's ingest never runs inside its request
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Django's LOGGING (with its redaction filter) stays in charge of the worker's log lines too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "blobs-sweep-orphans": {"task": "blobs.tasks.sweep_orphans", "schedule": 3600.0},
    "uploads-requeue-stalled": {"task": "uploads.requeue_stalled", "schedule": 300.0},
    "uploads-requeue-undispatched": {
        "task": "uploads.requeue_undispatched",
        "schedule": env.float("NEXUS_REQUEUE_UNDISPATCHED_SECONDS", default=30.0),
    },
    "harvest-retention": {"task": "harvest.retention", "schedule": 24 * 3600.0},
}

# --- REST framework --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # DRF's defaults, with a JSON parser that answers a too-deeply nested body 400 (not 500).
    "DEFAULT_PARSER_CLASSES": [
        "nexus_server.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "nexus_server.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Nexus Upload Server",
    "DESCRIPTION": "Uploads, sync tasks, Nexus Delta files, Climate Data Gateway and Dataverse direct upload.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Logging ---------------------------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "nexus_server.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}

# Static files (admin, Swagger UI) are served from the apps themselves: no collectstatic step.
WHITENOISE_USE_FINDERS = True
# A zip upload's members may add up to this many bytes once uncompressed.
NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES = env.int("NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES", default=2 * 1024 * 1024 * 1024)
# ... and hold at most this many entries (blobs/archives.py).
NEXUS_MAX_ZIP_MEMBERS = env.int("NEXUS_MAX_ZIP_MEMBERS", default=10_000)
# Descriptions are shown in this locale when neither the request nor the user's world names one.
NEXUS_DEFAULT_LOCALE = env("NEXUS_DEFAULT_LOCALE", default="nl-NL")
# The locales a request may name (besides the default and the worlds' locales); others are a 400.
NEXUS_LOCALES = env.list("NEXUS_LOCALES", default=["nl-NL", "en-IE", "en-GB", "en-US", "de-DE", "fr-FR"])
# A path segment or query parameter longer than this many characters is a 400 before any view runs.
NEXUS_MAX_PARAM_CHARS = env.int("NEXUS_MAX_PARAM_CHARS", default=2048)

# Harvests: attempts before a run is failed, the first retry's delay (doubling after), HTTP timeouts.
NEXUS_HARVEST_MAX_ATTEMPTS = env.int("NEXUS_HARVEST_MAX_ATTEMPTS", default=3)
NEXUS_HARVEST_RETRY_SECONDS = env.float("NEXUS_HARVEST_RETRY_SECONDS", default=30.0)
NEXUS_HARVEST_TIMEOUT_SECONDS = env.float("NEXUS_HARVEST_TIMEOUT_SECONDS", default=60.0)
# Ingests (uploads and harvest runs): deliveries that stopped their worker (killed, out of memory,
# hard time limit) before the ingest is failed; the wait before a delivery that finds the source's
# ingest lock taken tries again.
NEXUS_INGEST_MAX_DELIVERIES = env.int("NEXUS_INGEST_MAX_DELIVERIES", default=3)
NEXUS_INGEST_LOCK_RETRY_SECONDS = env.float("NEXUS_INGEST_LOCK_RETRY_SECONDS", default=5.0)
# KNMI daily data: days asked again before the newest stored day, and the first harvest's window.
NEXUS_KNMI_OVERLAP_DAYS = env.int("NEXUS_KNMI_OVERLAP_DAYS", default=3)
NEXUS_KNMI_FIRST_DAYS = env.int("NEXUS_KNMI_FIRST_DAYS", default=30)
