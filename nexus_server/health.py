"""`/healthz` and `/readyz`: the database, the broker and the storage, each checked and reported on its
own; 503 while any is down, naming it (`"unavailable": [...]`)."""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse
from rest_framework.views import APIView

from blobs.selectors import blob_storage_check
from core.dialects import NEXUS, error_response
from core.openapi import Route, describes_plain_view


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


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


# Exempt so that any other method meets the 405 below, not CSRF's 403: a probe changes nothing.
@csrf_exempt
def healthz(request):
    if request.method not in ("GET", "HEAD"):
        # A probe only reads: any other method is refused as DRF's views refuse one, in its shape.
        return error_response(
            request.path,
            status=405,
            message=f'Method "{request.method}" not allowed.',
            dialect=NEXUS,
            headers={"Allow": "GET, HEAD"},
        )
    report = {}
    for name, check in CHECKS.items():
        try:
            check()
            report[name] = "ok"
        except Exception as error:  # a health check reports every failure, whatever it is
            report[name] = f"error: {type(error).__name__}: {error}"
    down = [name for name, value in report.items() if value != "ok"]
    if not down:
        return JsonResponse({"status": "ok", **report})
    return JsonResponse({"status": "error", **report, "unavailable": down}, status=503, headers={"Retry-After": "5"})


# Readiness is the same question: can this server answer requests that need every dependency?
readyz = healthz


_HEALTH_BODY = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ok", "error"]},
        "database": {"type": "string", "description": "`ok`, or `error: <exception>: <message>`"},
        "broker": {"type": "string"},
        "storage": {"type": "string"},
        "unavailable": {
            "type": "array",
            "items": {"type": "string", "enum": list(CHECKS)},
            "description": "The components that are down (503 only).",
        },
    },
    "required": ["status", *CHECKS],
}


def _health_route(path: str, summary: str) -> Route:
    return Route(
        path,
        "GET",
        {
            "summary": summary,
            "operation_id": path.strip("/"),
            "auth": [],
            "responses": {
                200: OpenApiResponse(_HEALTH_BODY, description="Every dependency answers."),
                503: OpenApiResponse(
                    _HEALTH_BODY,
                    description="A dependency is down, named in `unavailable`.",
                    # Retry-After, as every 503 of this server.
                ),
            },
        },
    )


@describes_plain_view
class HealthSchema(APIView):
    """Only the OpenAPI document uses this class: it describes the plain views above."""

    openapi_routes = (
        _health_route("/healthz", "Liveness: the database, the broker and the storage, each checked."),
        _health_route("/readyz", "Readiness: the same checks (a server answers only with every dependency)."),
    )
