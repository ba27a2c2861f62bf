"""Wiring of the Nexus Upload Server: settings, URLs, the Celery app and DRF plumbing."""

from .celery import app as celery_app

__all__ = ["celery_app"]
