"""Stored data per data connection: features, timeseries measurements, raster frames and documents."""

from django.conf import settings
from django.db import models


class Feature(models.Model):
    """A spatial feature; a data connection's set is replaced wholesale by each spatial ingest."""

    data_connection = models.ForeignKey("synctasks.DataConnection", on_delete=models.CASCADE, related_name="features")
    key = models.CharField(max_length=255)
    geometry = models.JSONField(null=True, blank=True)  # GeoJSON geometry
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["data_connection", "key"], name="feature_unique_key")]

    def __str__(self) -> str:
        return f"feature {self.key} of dc {self.data_connection_id}"


class Series(models.Model):
    """One timeseries of a data connection: a feature and a parameter. Measurements refer to it by a
    small integer, which keeps their unique index narrow (the ingest's upsert lives in that index)."""

    id = models.AutoField(primary_key=True)
    data_connection = models.ForeignKey("synctasks.DataConnection", on_delete=models.CASCADE, related_name="series")
    feature_key = models.CharField(max_length=255)
    parameter = models.CharField(max_length=255)
    # The newest timestamp stored in the series, kept by the ingest: staged points newer than it
    # need no lookup (only speed depends on it: a stale value costs a retry of the chunk).
    newest_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "series"
        constraints = [
            models.UniqueConstraint(fields=["data_connection", "feature_key", "parameter"], name="series_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.feature_key}/{self.parameter} of dc {self.data_connection_id}"


class Measurement(models.Model):
    """One timeseries value; the newest upload wins per (series, timestamp), i.e. per (connection,
    feature, parameter, timestamp)."""

    pk = models.CompositePrimaryKey("series", "timestamp")
    # No database-level foreign key: PostgreSQL would check it row by row (millions of rows per
    # ingest). Rows are only written for a series the ingest holds, and deleted with it.
    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="measurements", db_index=False, db_constraint=False
    )
    timestamp = models.DateTimeField()
    value = models.FloatField()

    def __str__(self) -> str:
        return f"series {self.series_id}@{self.timestamp}={self.value}"


class RasterFrame(models.Model):
    data_connection = models.ForeignKey(
        "synctasks.DataConnection", on_delete=models.CASCADE, related_name="raster_frames"
    )
    timestamp = models.DateTimeField()
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="raster_frames")
    width = models.IntegerField()
    height = models.IntegerField()
    bounds = models.JSONField(null=True, blank=True)  # [min_x, min_y, max_x, max_y] when georeferenced

    class Meta:
        constraints = [models.UniqueConstraint(fields=["data_connection", "timestamp"], name="frame_unique_time")]

    def __str__(self) -> str:
        return f"frame {self.timestamp} of dc {self.data_connection_id}"


class Document(models.Model):
    data_connection = models.ForeignKey("synctasks.DataConnection", on_delete=models.CASCADE, related_name="documents")
    filename = models.CharField(max_length=255)
    blob = models.ForeignKey("blobs.Blob", on_delete=models.PROTECT, related_name="documents")
    media_type = models.CharField(max_length=255)
    timestamp = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["data_connection", "filename"], name="document_unique_name")]

    def __str__(self) -> str:
        return self.filename


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCESSFUL = "successful", "Successful"
    FAILED = "failed", "Failed"


class HarvestRun(models.Model):
    """One harvest of a data source task: fetch its endpoint, then ingest what came back."""

    sync_task = models.ForeignKey("synctasks.SyncTask", on_delete=models.CASCADE, related_name="harvest_runs")
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    bytes = models.BigIntegerField(default=0)
    # Deliveries that found the run still `running` (the one before stopped its worker mid-run).
    deliveries_lost = models.PositiveIntegerField(default=0)
    # Its message could not be published (broker down): the worker's requeue sends it once it can.
    dispatch_failed = models.BooleanField(default=False)
    # What was asked of the endpoint, the ingest report, or the reason it failed.
    report = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["sync_task", "status", "id"], name="harvestrun_pending")]

    def __str__(self) -> str:
        return f"harvest {self.pk} of task {self.sync_task_id} ({self.status})"
