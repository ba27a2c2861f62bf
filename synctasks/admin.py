"""Admin pages for the catalog: data sources, sync tasks, data connections, feature types, grants."""

from django.contrib import admin

from .models import (
    Analysis,
    Calculation,
    DataConnection,
    DataSource,
    FeatureType,
    Scenario,
    Subscription,
    SyncTask,
    UploadGrant,
    UserPreference,
    World,
)
from .services import sync_task_schedule_apply


class UploadGrantInline(admin.TabularInline):
    model = UploadGrant
    extra = 0
    autocomplete_fields = ["user", "organization"]


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization", "ext", "uploadable", "private", "sync_last_finished")
    list_filter = ("uploadable", "private", "organization")
    search_fields = ("name",)
    inlines = [UploadGrantInline]


class DataConnectionInline(admin.TabularInline):
    model = DataConnection
    fk_name = "sync_task"
    extra = 0


@admin.register(SyncTask)
class SyncTaskAdmin(admin.ModelAdmin):
    list_display = ("id", "task_type", "data_source", "calculation", "scenario", "trigger", "harvest_last_success")
    list_filter = ("task_type",)
    inlines = [DataConnectionInline]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sync_task_schedule_apply(task=obj)


class SubscriptionInline(admin.TabularInline):
    model = Subscription
    extra = 0


@admin.register(DataConnection)
class DataConnectionAdmin(admin.ModelAdmin):
    list_display = ("id", "sync_task", "feature_type", "name", "join_to", "n_features", "oldest_time", "newest_time")
    list_filter = ("feature_type",)
    readonly_fields = ("n_features", "oldest_time", "newest_time")
    inlines = [SubscriptionInline]


@admin.register(World)
class WorldAdmin(admin.ModelAdmin):
    list_display = ("alias", "name", "locale")
    search_fields = ("alias", "name")
    inlines = [SubscriptionInline]


@admin.register(Calculation)
class CalculationAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "organization", "function", "input_connection", "input_parameter", "pending_since")
    readonly_fields = ("pending_since",)
    search_fields = ("name",)


@admin.register(Analysis)
class AnalysisAdmin(admin.ModelAdmin):
    list_display = ("id", "__str__")


@admin.register(Scenario)
class ScenarioAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "analysis", "created_by", "organization")
    list_filter = ("organization",)


@admin.register(UserPreference)
class UserPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "default_world")


@admin.register(FeatureType)
class FeatureTypeAdmin(admin.ModelAdmin):
    list_display = ("alias", "name", "kind")
    search_fields = ("alias", "name")
