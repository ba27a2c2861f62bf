"""Appliers: stored data changed set-wise inside the ingest's transaction, with connection stats."""

from django.db import connection

from synctasks.models import DataConnection

from ..parsers.common import ErrorLog
from .base import MeasurementStager, series_feature_count
from .portable import PortableMeasurementStager
from .postgres import PostgresMeasurementStager
from .stored import FeatureReplacer, document_store, frame_store, stats_from_rows

__all__ = [
    "FeatureReplacer",
    "MeasurementStager",
    "document_store",
    "frame_store",
    "measurement_stager",
    "series_feature_count",
    "stats_from_rows",
]


def measurement_stager(data_connection: DataConnection, log: ErrorLog | None = None) -> MeasurementStager:
    """The timeseries upsert of the database in use: PostgreSQL's, or the portable one."""
    if connection.vendor == "postgresql":
        return PostgresMeasurementStager(data_connection, log)
    return PortableMeasurementStager(data_connection, log)
