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


class Calculation(models.Model):
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="calculations")
    # What it computes: a function of the harvest app's registry, over one parameter of an input
    # connection, written as `output_parameter` into the calculation's own timeseries connection.
    function = models.CharField(max_length=50, blank=True, help_text="daily_mean or daily_sum")
    input_connection = models.ForeignKey(
        "DataConnection", null=True, blank=True, on_delete=models.SET_NULL, related_name="calculations_fed"
    )
    input_parameter = models.CharField(max_length=255, blank=True)
    output_parameter = models.CharField(max_length=255, blank=True)
    # Set when an input changed and a run is due; cleared when the run starts (one run per change).
    pending_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Analysis(models.Model):
    """What a scenario analyses; name and description are localized: {"nl-NL": "...", "en-IE": "..."}."""

    name = models.JSONField(default=dict)
    description = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "analyses"

    def __str__(self) -> str:
        return next(iter(self.name.values()), f"analysis {self.pk}")


class Scenario(models.Model):
    name = models.CharField(max_length=300)
    analysis = models.ForeignKey(Analysis, on_delete=models.PROTECT, related_name="scenarios")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="scenarios")
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="scenarios")

    def __str__(self) -> str:
        return self.name


class TriggerKind(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    ON_DEMAND = "on_demand", "On demand"
    ON_INPUT_CHANGE = "on_input_change", "On input change"


class SyncTask(models.Model):
    task_type = models.CharField(max_length=20, choices=TaskType.choices, default=TaskType.DATA_SOURCE)
    data_source = models.OneToOneField(
        DataSource, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_task"
    )
    calculation = models.OneToOneField(
        Calculation, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_task"
    )
    scenario = models.OneToOneField(Scenario, null=True, blank=True, on_delete=models.CASCADE, related_name="sync_task")
    # The trigger is stored as a schedule (a daily time, in UTC) or an event, and rendered as text.
    trigger_kind = models.CharField(max_length=20, choices=TriggerKind.choices, default=TriggerKind.ON_DEMAND)
    schedule_hour = models.PositiveSmallIntegerField(null=True, blank=True)
    schedule_minute = models.PositiveSmallIntegerField(null=True, blank=True)
    harvest_last_success = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(task_type=TaskType.DATA_SOURCE) | Q(data_source__isnull=False),
                name="synctask_data_source_task_has_source",
            ),
            models.CheckConstraint(
                condition=~Q(task_type=TaskType.CALCULATION) | Q(calculation__isnull=False),
                name="synctask_calculation_task_has_calculation",
            ),
            models.CheckConstraint(
                condition=~Q(task_type=TaskType.SCENARIO) | Q(scenario__isnull=False),
                name="synctask_scenario_task_has_scenario",
            ),
            models.CheckConstraint(
                condition=~Q(trigger_kind=TriggerKind.SCHEDULE)
                | Q(schedule_hour__isnull=False, schedule_minute__isnull=False),
                name="synctask_schedule_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_type} task {self.pk}"

    @property
    def trigger(self) -> str:
        """The seed's text: "Every day at 12:00 UTC", "On demand", "On input change"."""
        if self.trigger_kind == TriggerKind.SCHEDULE:
            return f"Every day at {self.schedule_hour:02d}:{self.schedule_minute:02d} UTC"
        return TriggerKind(self.trigger_kind).label


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


class World(models.Model):
    alias = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    locale = models.CharField(max_length=20, default="en-IE")

    class Meta:
        ordering = ["alias"]

    def __str__(self) -> str:
        return self.alias


class Subscription(models.Model):
    """A world's subscription to a data connection, with how long its history is kept."""

    world = models.ForeignKey(World, on_delete=models.CASCADE, related_name="subscriptions")
    data_connection = models.ForeignKey(DataConnection, on_delete=models.CASCADE, related_name="subscriptions")
    retention_time = models.BigIntegerField(help_text="seconds of history kept")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["world", "data_connection"], name="subscription_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.world} ← dc {self.data_connection_id}"


class UserPreference(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference")
    default_world = models.ForeignKey(World, null=True, blank=True, on_delete=models.SET_NULL)

    def __str__(self) -> str:
        return f"preferences of {self.user}"


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
