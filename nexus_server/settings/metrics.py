"""Metrics: who may scrape /metrics, which broker queues it reports, and the worker's own exporter."""

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from .base import env

# /metrics answers a request from these networks (the direct peer's address), or one that carries
# `Authorization: Bearer <NEXUS_METRICS_TOKEN>`; anyone else gets a 403.
NEXUS_METRICS_TOKEN = env("NEXUS_METRICS_TOKEN", default=None) or None
try:
    NEXUS_METRICS_NETWORKS = [
        ipaddress.ip_network(cidr.strip(), strict=False)
        for cidr in env.list("NEXUS_METRICS_NETWORKS", default=["127.0.0.0/8", "::1/128"])
        if cidr.strip()
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"NEXUS_METRICS_NETWORKS: {error}") from None
NEXUS_METRICS_QUEUES = env.list("NEXUS_METRICS_QUEUES", default=["celery"])
# A worker with a port here serves its own pool's metrics over HTTP (0: off; a worker sharing the
# web's metrics directory, as under `make run`, needs none).
NEXUS_WORKER_METRICS_PORT = env.int("NEXUS_WORKER_METRICS_PORT", default=0)
NEXUS_WORKER_METRICS_ADDR = env("NEXUS_WORKER_METRICS_ADDR", default="127.0.0.1")
