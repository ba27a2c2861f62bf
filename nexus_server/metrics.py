"""`/metrics`: every process's Prometheus values summed, with the queues' state read at scrape time,
for scrapers the settings allow; and the worker's own exporter, for a worker on a machine of its own."""

import ipaddress
import logging
import secrets
import time

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from core.dialects import NEXUS, error_response
from core.metrics import task_ended
from harvest.selectors import harvest_runs_waiting
from uploads.selectors import uploads_pending_summary

from .embedded import metrics_dir
from .health import refused_method

logger = logging.getLogger(__name__)


class StateCollector:
    """Gauges of what is waiting, read when scraped (not kept in the processes' files): messages in
    the broker's queues, uploads pending their ingest and the age of the oldest, harvest runs
    waiting. A part that cannot be read is left out and `nexus_state_up{part}` says 0."""

    def collect(self):
        up = GaugeMetricFamily("nexus_state_up", "Whether the scrape could read a part of the state.", labels=["part"])
        for part, read in (("broker", self._broker), ("database", self._database)):
            try:
                families = list(read())
            except Exception as error:  # a scrape reports what it can; the outage is /readyz's to name
                logger.warning("metrics: could not read the %s: %s: %s", part, type(error).__name__, error)
                up.add_metric([part], 0)
                continue
            up.add_metric([part], 1)
            yield from families
        yield up

    def _broker(self):
        from .celery import app

        depth = GaugeMetricFamily("nexus_queue_messages", "Messages waiting in a broker queue.", labels=["queue"])
        with app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            channel = conn.default_channel
            for queue in settings.NEXUS_METRICS_QUEUES:
                try:
                    _, count, _ = channel.queue_declare(queue=queue, passive=True)
                except conn.channel_errors:  # not declared yet: no worker has consumed it, nothing sent
                    count = 0
                depth.add_metric([queue], count)
        yield depth

    def _database(self):
        count, oldest = uploads_pending_summary()
        yield GaugeMetricFamily("nexus_uploads_pending", "Uploads waiting for or in their ingest.", value=count)
        age = (timezone.now() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "nexus_upload_oldest_pending_age_seconds",
            "Age of the oldest upload waiting for its ingest (0 when none waits).",
            value=max(age, 0.0),
        )
        yield GaugeMetricFamily(
            "nexus_harvest_runs_waiting", "Harvest runs queued or running.", value=harvest_runs_waiting()
        )


def _registry(*, state: bool) -> CollectorRegistry:
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir()))
    if state:
        registry.register(StateCollector())
    return registry


def _allowed(request) -> bool:
    token = settings.NEXUS_METRICS_TOKEN
    given = request.META.get("HTTP_AUTHORIZATION", "")
    if token and secrets.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # The direct peer, never a forwarded-for header: a client could write that one itself.
    try:
        peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(peer in network for network in settings.NEXUS_METRICS_NETWORKS)


@csrf_exempt
def metrics(request):
    if request.method not in ("GET", "HEAD"):
        return refused_method(request)
    if not _allowed(request):
        return error_response(
            request.path,
            status=403,
            message="Metrics are for the scrapers of NEXUS_METRICS_NETWORKS or holders of NEXUS_METRICS_TOKEN.",
            dialect=NEXUS,
        )
    return HttpResponse(generate_latest(_registry(state=True)), content_type=CONTENT_TYPE_LATEST)


# --- the worker's side ---------------------------------------------------------------------------

_started: dict[str, float] = {}


def task_started(task_id: str) -> None:
    _started[task_id] = time.perf_counter()


def task_finished(task_id: str, task_name: str, state: str | None) -> None:
    began = _started.pop(task_id, None)
    task_ended(task=task_name, state=state or "UNKNOWN", seconds=None if began is None else time.perf_counter() - began)


def worker_exporter_start() -> None:
    """The worker's own /metrics on NEXUS_WORKER_METRICS_PORT (off when 0): its pool processes' values
    summed, for a worker whose metrics directory no web process shares (its own container)."""
    port = settings.NEXUS_WORKER_METRICS_PORT
    if port:
        start_http_server(port, addr=settings.NEXUS_WORKER_METRICS_ADDR, registry=_registry(state=False))
        logger.info("worker metrics on %s:%s", settings.NEXUS_WORKER_METRICS_ADDR, port)
