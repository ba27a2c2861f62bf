"""The ingest engine and scheduled harvests: parsers, appliers, stored data and their Celery tasks."""
