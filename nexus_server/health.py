"""`/healthz`, liveness: the process answers, nothing else is touched; `/readyz`, readiness: the
database, the broker, the storage, at least one worker and beat, each checked and reported on its
own; 503 while any is down, naming it (`"unavailable": [...]`)."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework.views import APIView

from blobs.selectors import blob_storage_check
from core.dialects import NEXUS, error_response
from core.openapi import Route, describes_plain_view

from .beat import last_tick


class Down(Exception):
    """A component that answered, but not as a ready one: reported by its message alone."""


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _broker() -> None:
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=3)


def _storage() -> None:
    blob_storage_check()


def _workers() -> None:
    from .celery import app

    timeout = settings.NEXUS_READYZ_WORKER_TIMEOUT_SECONDS
    # limit=1: the first answer is enough ("at least one worker"), no need to wait out the timeout.
    if not app.control.ping(timeout=timeout, limit=1):
        raise Down(f"no worker answered a ping within {timeout:g} s")


def _beat() -> None:
    at = last_tick()
    if at is None:
        raise Down("no tick recorded")
    limit = settings.NEXUS_READYZ_BEAT_MAX_AGE_SECONDS
    age = timezone.now() - at
    if age > timedelta(seconds=limit):
        raise Down(f"last tick {age.total_seconds():.0f} s ago (limit {limit:g} s)")


# Each check, and the check it needs first: without a broker no worker can be pinged, and beat's
# tick is read from the database; those are then reported as not checked, the cause named instead.
CHECKS = {
    "database": (_database, None),
    "broker": (_broker, None),
    "storage": (_storage, None),
    "workers": (_workers, "broker"),
    "beat": (_beat, "database"),
}


def refused_method(request):
    # A probe only reads: any other method is refused as DRF's views refuse one, in its shape.
    return error_response(
        request.path,
        status=405,
        message=f'Method "{request.method}" not allowed.',
        dialect=NEXUS,
        headers={"Allow": "GET, HEAD"},
    )


# Exempt so that any other method meets the 405 below, not CSRF's 403: a probe changes nothing.
@csrf_exempt
def healthz(request):
    """Liveness: answering is the whole check. A process whose database is down is still alive,
    and restarting it would not bring the database back."""
    if request.method not in ("GET", "HEAD"):
        return refused_method(request)
    return JsonResponse({"status": "ok"})


@csrf_exempt
def readyz(request):
    if request.method not in ("GET", "HEAD"):
        return refused_method(request)
    report = {}
    for name, (check, needs) in CHECKS.items():
        if needs is not None and report[needs] != "ok":
            report[name] = f"not checked ({needs} unavailable)"
            continue
        try:
            check()
            report[name] = "ok"
        except Down as down:
            report[name] = f"error: {down}"
        except Exception as error:  # a health check reports every failure, whatever it is
            report[name] = f"error: {type(error).__name__}: {error}"
    down = [name for name, value in report.items() if value.startswith("error")]
    if not down:
        return JsonResponse({"status": "ok", **report})
    return JsonResponse({"status": "error", **report, "unavailable": down}, status=503, headers={"Retry-After": "5"})


_LIVE_BODY = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}},
    "required": ["status"],
    "additionalProperties": False,
}

_COMPONENTS = {
    "database": "`ok`, or `error: <exception>: <message>`",
    "broker": "`ok`, or `error: <exception>: <message>`",
    "storage": "`ok`, or `error: <exception>: <message>`",
    "workers": "`ok` (a worker answered a ping), `error: no worker answered a ping within <n> s`, "
    "`error: <exception>: <message>`, or `not checked (broker unavailable)`",
    "beat": "`ok` (its last tick is recent), `error: no tick recorded`, "
    "`error: last tick <n> s ago (limit <m> s)`, `error: <exception>: <message>`, "
    "or `not checked (database unavailable)`",
}


def _ready_body(ready: bool) -> dict:
    properties = {
        "status": {"type": "string", "enum": ["ok" if ready else "error"]},
        **{name: {"type": "string", "description": text} for name, text in _COMPONENTS.items()},
    }
    if not ready:
        properties["unavailable"] = {
            "type": "array",
            "items": {"type": "string", "enum": list(CHECKS)},
            "minItems": 1,
            "description": "The components that are down.",
        }
    return {"type": "object", "properties": properties, "required": [*properties], "additionalProperties": False}


_LIVENESS = Route(
    "/healthz",
    "GET",
    {
        "summary": "Liveness: the process answers; no dependency is checked.",
        "operation_id": "healthz",
        "auth": [],
        "responses": {200: OpenApiResponse(_LIVE_BODY, description="The process answers.")},
    },
)

_READINESS = Route(
    "/readyz",
    "GET",
    {
        "summary": "Readiness: the database, the broker, the storage, at least one worker and beat, each checked.",
        "operation_id": "readyz",
        "auth": [],
        "responses": {
            200: OpenApiResponse(_ready_body(True), description="Every component answers."),
            503: OpenApiResponse(
                _ready_body(False),
                description="A component is down, named in `unavailable`.",
                # Retry-After, as every 503 of this server.
            ),
        },
    },
)


@describes_plain_view
class HealthSchema(APIView):
    """Only the OpenAPI document uses this class: it describes the plain views above."""

    openapi_routes = (_LIVENESS, _READINESS)
