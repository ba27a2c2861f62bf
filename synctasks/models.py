"""The catalog: data sources, their sync tasks, data connections, feature types and upload grants."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FeatureKind(models.TextChoices):
    """How stored data of a feature type behaves on ingest (DESIGN.md, Nexus uploads semantics)."""

    TIMESERIES = "timeseries", "Timeseries (appended, newest wins)"
    SPATIAL = "spatial", "Spatial features (replaced atomically)"
    RASTER = "raster", "Raster frames (appended by timestamp)"
    DOCUMENT = "document", "Documents (appended by filename)"


class FeatureType(models.Model):
    alias = models.SlugField(max_length=100, unique=True, help_text="e.g. timeseries, weather_station")
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, choices=FeatureKind.choices, default=FeatureKind.SPATIAL)

    class Meta:
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias


class DataSource(models.Model):
    name = models.CharField(max_length=300)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="data_sources")
    # Localized: {"nl-NL": "...", "en-IE": "..."}.
    description = models.JSONField(default=dict, blank=True)
    endpoint = models.URLField(max_length=500, blank=True)
    ext = models.CharField(max_length=20, help_text="Expected file extension, e.g. csv, geojson, txt, tif")
    private = models.BooleanField(default=False)
    uploadable = models.BooleanField(default=False)
    # Naive timestamps in this source's files are in this time zone.
    time_zone = models.CharField(max_length=64, default="UTC")
    sync_last_finished = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaskType(models.TextChoices):
    DATA_SOURCE = "data_source", "Data source"
    CALCULATION = "calculation", "Calculation"
    SCENARIO = "scenario", "Scenario"


class SyncTask(models.Model):
    task_type = models.CharField(max_length=20, choices=TaskType.choices, default=TaskType.DATA_SOURCE)
    data_source = models.OneToOneField(
        DataSource, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_task"
    )
    trigger = models.CharField(max_length=100, default="On demand")
    harvest_last_success = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(task_type=TaskType.DATA_SOURCE) | Q(data_source__isnull=False),
                name="synctask_data_source_task_has_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_type} task {self.pk}"


class DataConnection(models.Model):
    """One table of stored data produced by a sync task; `dc_id` in the API is its primary key."""

    sync_task = models.ForeignKey(SyncTask, on_delete=models.CASCADE, related_name="dataconnections")
    feature_type = models.ForeignKey(FeatureType, on_delete=models.PROTECT, related_name="dataconnections")
    name = models.CharField(max_length=200, null=True, blank=True, help_text="table name")
    join_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    join_prop = models.CharField(max_length=100, null=True, blank=True)
    join_dtype = models.CharField(max_length=50, null=True, blank=True)
    output_props = models.JSONField(default=list, blank=True)
    output_params = models.JSONField(default=list, blank=True)
    # Kept current by the ingest, in the same transaction as the data.
    n_features = models.IntegerField(default=0)
    oldest_time = models.DateTimeField(null=True, blank=True)
    newest_time = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"dc {self.pk} ({self.feature_type})"


class UploadGrant(models.Model):
    """Upload rights beyond the owning organization's uploaders: one user, or every member of one
    organization."""

    data_source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="upload_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    organization = models.ForeignKey("accounts.Organization", null=True, blank=True, on_delete=models.CASCADE)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, organization__isnull=True)
                | Q(user__isnull=True, organization__isnull=False),
                name="uploadgrant_user_xor_organization",
            ),
        ]

    def __str__(self) -> str:
        return f"upload to {self.data_source} by {self.user or self.organization}"
