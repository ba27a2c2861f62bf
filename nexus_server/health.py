"""`/healthz` and `/readyz`: the database, the broker and the storage, each checked and reported on its
own; 503 while any is down, naming it (`"unavailable": [...]`)."""

from django.db import connection
from django.http import JsonResponse

from blobs.selectors import blob_storage_check


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


def healthz(request):
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
