"""Admin pages for the catalog: data sources, sync tasks, data connections, feature types, grants."""

from django.contrib import admin

from .models import DataConnection, DataSource, FeatureType, SyncTask, UploadGrant


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
    list_display = ("id", "task_type", "data_source", "trigger", "harvest_last_success")
    list_filter = ("task_type",)
    inlines = [DataConnectionInline]


@admin.register(DataConnection)
class DataConnectionAdmin(admin.ModelAdmin):
    list_display = ("id", "sync_task", "feature_type", "name", "join_to")
    list_filter = ("feature_type",)


@admin.register(FeatureType)
class FeatureTypeAdmin(admin.ModelAdmin):
    list_display = ("alias", "name", "kind")
    search_fields = ("alias", "name")
