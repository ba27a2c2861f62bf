"""Every bound on input, in one place: each a setting with its environment variable, read by the code
at call time (so a test or an operator changes it in one spot). The README's Bounds table lists them."""

import re

from django.core.exceptions import ImproperlyConfigured

from .base import env
from .tasks import CELERY_BROKER_URL

MIB = 1024 * 1024

# --- Request bodies ---------------------------------------------------------------------------
NEXUS_MAX_UPLOAD_BYTES = env.int("NEXUS_MAX_UPLOAD_BYTES", default=500 * MIB)
NEXUS_MAX_JSON_BYTES = env.int("NEXUS_MAX_JSON_BYTES", default=100 * MIB)
# Room for the multipart envelope and form fields on top of the file itself.
NEXUS_MAX_REQUEST_OVERHEAD_BYTES = env.int("NEXUS_MAX_REQUEST_OVERHEAD_BYTES", default=MIB)
# Multipart files never touch memory or a temp file: the handler streams them to blob storage.
FILE_UPLOAD_HANDLERS = ["blobs.uploadhandler.BlobUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * MIB)
# A path segment or query parameter longer than this many characters is a 400 before any view runs.
NEXUS_MAX_PARAM_CHARS = env.int("NEXUS_MAX_PARAM_CHARS", default=2048)
# The events read (/api/v1/events/): most events in one answer (`count`), the farthest `startindex`
# (an offset is skipped row by row), and most buckets a reduced view may cut its range into.
NEXUS_EVENTS_MAX_COUNT = env.int("NEXUS_EVENTS_MAX_COUNT", default=1_000_000)
NEXUS_EVENTS_MAX_STARTINDEX = env.int("NEXUS_EVENTS_MAX_STARTINDEX", default=10_000_000)
NEXUS_EVENTS_MAX_BUCKETS = env.int("NEXUS_EVENTS_MAX_BUCKETS", default=1_000_000)
# Nexus Delta: a JSON body (links, tags), and the listing's `size` (default, most) and `from` (most).
NEXUS_DELTA_MAX_JSON_BODY_BYTES = env.int("NEXUS_DELTA_MAX_JSON_BODY_BYTES", default=64 * 1024)
NEXUS_DELTA_LIST_SIZE_DEFAULT = env.int("NEXUS_DELTA_LIST_SIZE_DEFAULT", default=20)
NEXUS_DELTA_LIST_SIZE_LIMIT = env.int("NEXUS_DELTA_LIST_SIZE_LIMIT", default=1000)
NEXUS_DELTA_LIST_FROM_LIMIT = env.int("NEXUS_DELTA_LIST_FROM_LIMIT", default=10_000)
# Dataverse: the body of a multipart upload's completion (its part ETags).
NEXUS_DATAVERSE_MAX_COMPLETE_BODY_BYTES = env.int("NEXUS_DATAVERSE_MAX_COMPLETE_BODY_BYTES", default=MIB)
# Dataverse's default :ZipUploadFilesLimit for a native zip upload; dvuploader recognises the refusal.
NEXUS_DATAVERSE_MAX_ZIP_MEMBERS = env.int("NEXUS_DATAVERSE_MAX_ZIP_MEMBERS", default=1000)
# Dataverse: a dataset lock older than this (left by a killed process) no longer shows in `.../locks`.
NEXUS_DATAVERSE_LOCK_STALE_SECONDS = env.int("NEXUS_DATAVERSE_LOCK_STALE_SECONDS", default=3600)
# Dataverse: a dataset's native JSON (create, editMetadata): its size, and how deep it may nest.
NEXUS_DATAVERSE_MAX_METADATA_BYTES = env.int("NEXUS_DATAVERSE_MAX_METADATA_BYTES", default=MIB)
NEXUS_DATAVERSE_MAX_METADATA_DEPTH = env.int("NEXUS_DATAVERSE_MAX_METADATA_DEPTH", default=12)
# Dataverse: the longest row (in characters, as tab-separated) a tabular ingest writes; a longer one
# ends the ingest and the file stays as uploaded.
NEXUS_DATAVERSE_MAX_TAB_LINE_CHARS = env.int("NEXUS_DATAVERSE_MAX_TAB_LINE_CHARS", default=MIB)

# --- Retries and waiting (uploads/idempotency.py, uploads/waits.py) --------------------------------
# An Idempotency-Key header's value has at most this many characters (the column holds 255).
NEXUS_IDEMPOTENCY_KEY_MAX_CHARS = min(env.int("NEXUS_IDEMPOTENCY_KEY_MAX_CHARS", default=255), 255)
# How long a key's first answer is replayed (the draft's suggested 24 h); then the key is free again.
NEXUS_IDEMPOTENCY_TTL_SECONDS = env.int("NEXUS_IDEMPOTENCY_TTL_SECONDS", default=24 * 3600)
# A key reserved by a request that has not answered for this long was left by a process that died
# (the reservation is taken after the body is in; recording an upload takes seconds): a retry takes it over.
NEXUS_IDEMPOTENCY_LEASE_SECONDS = env.int("NEXUS_IDEMPOTENCY_LEASE_SECONDS", default=120)
# GET /api/v1/uploads/{id}/?wait=N holds the answer at most this many seconds (N above it is a 400).
NEXUS_UPLOAD_WAIT_MAX_SECONDS = env.int("NEXUS_UPLOAD_WAIT_MAX_SECONDS", default=60)
# Waiting requests one web process holds at once; a wait beyond them answers at once (with Retry-After),
# so that waits never take every thread of a gthread worker. Default: half of GUNICORN_THREADS.
_GUNICORN_THREADS = env.int("GUNICORN_THREADS", default=4)
NEXUS_UPLOAD_WAIT_SLOTS = env.int("NEXUS_UPLOAD_WAIT_SLOTS", default=max(1, _GUNICORN_THREADS // 2))
# Without Redis (the embedded run) a waiting request looks at the upload this often; with Redis it is
# woken by the ingest's end and looks anyway this often, in case a wake-up was lost.
NEXUS_UPLOAD_WAIT_POLL_SECONDS = env.float("NEXUS_UPLOAD_WAIT_POLL_SECONDS", default=0.5)
NEXUS_UPLOAD_WAIT_RECHECK_SECONDS = env.float("NEXUS_UPLOAD_WAIT_RECHECK_SECONDS", default=5.0)

# --- Archives (blobs/archives.py) -----------------------------------------------------------------
# A zip's members may add up to this many bytes once uncompressed, and hold at most this many entries.
NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES = env.int("NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES", default=2 * 1024 * MIB)
NEXUS_MAX_ZIP_MEMBERS = env.int("NEXUS_MAX_ZIP_MEMBERS", default=10_000)
# The central directory's size bounds what listing it costs (zipfile holds one ZipInfo per entry).
NEXUS_MAX_ZIP_DIRECTORY_BYTES = env.int("NEXUS_MAX_ZIP_DIRECTORY_BYTES", default=64 * MIB)
NEXUS_MAX_ZIP_NAME_CHARS = env.int("NEXUS_MAX_ZIP_NAME_CHARS", default=1024)

# --- Parsers (harvest/parsers) ----------------------------------------------------------------------
# Text: one line (a quoted CSV record spanning lines counts whole), one CSV field, a header's columns.
NEXUS_MAX_LINE_CHARS = env.int("NEXUS_MAX_LINE_CHARS", default=MIB)
# The csv module's own default, set explicitly: it is what bounds a field.
NEXUS_MAX_FIELD_CHARS = env.int("NEXUS_MAX_FIELD_CHARS", default=131_072)
NEXUS_MAX_COLUMNS = env.int("NEXUS_MAX_COLUMNS", default=10_000)
# GeoJSON: nesting (a MultiPolygon needs 7 levels with the collection), values in one feature, one string.
NEXUS_MAX_JSON_DEPTH = env.int("NEXUS_MAX_JSON_DEPTH", default=64)
NEXUS_MAX_FEATURE_VALUES = env.int("NEXUS_MAX_FEATURE_VALUES", default=1_000_000)
NEXUS_MAX_JSON_STRING_CHARS = env.int("NEXUS_MAX_JSON_STRING_CHARS", default=MIB)
# KNMI: the station table is held while the rows stream (KNMI lists about 50).
NEXUS_MAX_KNMI_STATIONS = env.int("NEXUS_MAX_KNMI_STATIONS", default=10_000)
# TIFF: the first image directory's entries are read at once (a GeoTIFF header has a few dozen).
NEXUS_MAX_TIFF_IFD_ENTRIES = env.int("NEXUS_MAX_TIFF_IFD_ENTRIES", default=4096)
# An ingest report lists at most this many errors (then says how many more).
NEXUS_MAX_REPORT_ERRORS = env.int("NEXUS_MAX_REPORT_ERRORS", default=20)

# --- Rate limits (accounts/throttling.py) ---------------------------------------------------------
# DRF's rate syntax (`600/minute`, `10/second`, `5000/hour`, `off`): requests per API token, and per
# client address for requests without credentials. Plain Django views (signed links, health) have none.


def _rate(name: str, value: str) -> str:
    # Checked here, so that a typo stops the process at start instead of failing every request.
    value = value.strip()
    if value.lower() not in ("", "off") and not re.fullmatch(r"[1-9][0-9]*/[smhd][a-z]*", value):
        raise ImproperlyConfigured(f"{name}={value!r}: a rate is N/second, N/minute, N/hour, N/day or off")
    return value


NEXUS_THROTTLE_TOKEN_RATE = _rate("NEXUS_THROTTLE_TOKEN_RATE", env("NEXUS_THROTTLE_TOKEN_RATE", default="600/minute"))
NEXUS_THROTTLE_ANON_RATE = _rate("NEXUS_THROTTLE_ANON_RATE", env("NEXUS_THROTTLE_ANON_RATE", default="120/minute"))
# Proxies in front that append to X-Forwarded-For: 0 counts by the peer's address alone (a client
# cannot pick its own identity with the header).
NEXUS_THROTTLE_PROXIES = env.int("NEXUS_THROTTLE_PROXIES", default=0)

# The counters live in the cache every process shares: Redis on the full stack (the broker's server
# unless CACHE_URL names another), this process's memory on the embedded run (one web process).
CACHE_URL = env("CACHE_URL", default="") or (CELERY_BROKER_URL if CELERY_BROKER_URL.startswith("redis") else "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Django's own client: it needs only redis-py, which Celery's Redis transport installs.
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Beside the broker's keys in the same database; nothing here ever clears the cache.
            "KEY_PREFIX": "nexus-cache",
            # A cache that is down costs a request at most this long (then throttling fails open).
            "OPTIONS": {
                "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("CACHE_SOCKET_TIMEOUT", default=0.5),
            },
        }
    }
elif CACHE_URL:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "nexus"}}

# --- Resumable uploads (tus, /api/v1/uploads/tus/) ------------------------------------------------
# An incomplete upload untouched this long is gone (swept with its bytes); each PATCH moves it on.
NEXUS_TUS_EXPIRY_SECONDS = env.int("NEXUS_TUS_EXPIRY_SECONDS", default=24 * 3600)
# The Upload-Metadata header, in characters (it names a file and a data source).
NEXUS_TUS_MAX_METADATA_CHARS = env.int("NEXUS_TUS_MAX_METADATA_CHARS", default=4096)
# A PATCH without a checksum makes its bytes durable and records its offset every this many bytes, so
# that a client or server gone mid-request loses at most this much.
NEXUS_TUS_CHECKPOINT_BYTES = env.int("NEXUS_TUS_CHECKPOINT_BYTES", default=8 * MIB)
# How long a PATCH waits for another PATCH of the same upload to end (then 423).
NEXUS_TUS_LOCK_WAIT_SECONDS = env.float("NEXUS_TUS_LOCK_WAIT_SECONDS", default=10.0)
