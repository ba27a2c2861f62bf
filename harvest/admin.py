"""Admin pages of what harvests and ingests leave: harvest runs (with a re-run), stored series with their
counts and last values, features, raster frames, documents; and the catalog's sync task and data
connection pages, extended here with "Harvest now" and with what each connection holds."""

import json

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.views.decorators.http import require_POST

from blobs.selectors import blob_download_url
from core.admin import ReadOnlyAdmin, ReportDisplay, first_error
from core.errors import NexusError
from synctasks import admin as catalog_admin
from synctasks.models import DataConnection, FeatureKind, SyncTask

from .models import Document, Feature, HarvestRun, RasterFrame, Series
from .runs import harvest_queue, harvest_rerun
from .selectors import harvest_runs_of, series_last_values, series_of, series_stats

# A series' page shows its newest LAST_VALUES measurements (a series may hold millions: never all).
LAST_VALUES = 50
# A timeseries connection's page lists its first SERIES_SHOWN series; the series list has them all.
SERIES_SHOWN = 50
# A sync task's page shows its RUNS_SHOWN latest harvest runs; the run list has them all.
RUNS_SHOWN = 10
# How much of a feature's properties a list column shows.
PROPERTIES_CHARS = 80


def _changelist(model, **filters) -> str:
    url = reverse(f"admin:harvest_{model._meta.model_name}_changelist")
    return url + "?" + "&".join(f"{key}={value}" for key, value in filters.items()) if filters else url


def _change(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True))


def _queue_each(request, items, queue) -> None:
    """`queue(item)` (a service that queues a harvest run) for each item; a refusal is a warning,
    and one message names the runs queued."""
    queued = []
    for item in items:
        try:
            queued.append(queue(item).pk)
        except NexusError as refused:
            messages.warning(request, refused.message)
    messages.success(request, f"Queued {len(queued)} harvest run(s): {', '.join(map(str, queued)) or 'none'}.")


# --- harvest runs ---------------------------------------------------------------------------------------


@admin.register(HarvestRun)
class HarvestRunAdmin(ReadOnlyAdmin, ReportDisplay, admin.ModelAdmin):
    """Runs are written by the harvest only; an admin reads them and re-runs a failed one."""

    # Fits a 1400 px screen beside the filters: the task is named by its data source (and filtered by).
    list_display = ("id", "source", "status", "attempts", "bytes", "created", "finished", "error")
    list_filter = ("status", "sync_task__data_source")
    search_fields = ("sync_task__data_source__name",)
    list_select_related = ("sync_task__data_source",)
    show_full_result_count = False
    fields = (
        "sync_task",
        "source",
        "status",
        "requested_by",
        "created",
        "started",
        "finished",
        "attempts",
        "bytes",
        "deliveries_lost",
        "dispatch_failed",
        "ingest_report",
    )
    readonly_fields = fields
    actions = ["rerun"]

    @admin.display(description="data source", ordering="sync_task__data_source__name")
    def source(self, run: HarvestRun):
        return run.sync_task.data_source

    @admin.action(description="Re-run the selected failed harvests (a new run of each one's task)")
    def rerun(self, request, queryset):
        runs = queryset.select_related("sync_task__data_source").order_by("pk")
        _queue_each(request, runs, lambda run: harvest_rerun(run=run, user=request.user))


# --- stored data ----------------------------------------------------------------------------------------


class SeriesChangeList(ChangeList):
    """The list's page of series, each with its measurement count and time range: one aggregate
    query for the page's series, never over the measurements table."""

    def get_results(self, request):
        super().get_results(request)
        stats = series_stats(series_ids=[series.pk for series in self.result_list])
        for series in self.result_list:  # evaluated here; the template reads the same rows
            series.stats = stats.get(series.pk, {})


def _stat(series: Series, key: str):
    stats = getattr(series, "stats", None)
    if stats is None:
        stats = series.stats = series_stats(series_ids=[series.pk]).get(series.pk, {})
    return stats.get(key, 0 if key == "count" else None)


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("id", "data_connection", "feature_key", "parameter", "measurements", "oldest", "newest")
    list_filter = ("data_connection",)
    search_fields = ("feature_key", "parameter")
    list_select_related = ("data_connection__feature_type",)
    show_full_result_count = False
    fields = ("data_connection", "feature_key", "parameter", "measurements", "oldest", "newest", "last_values")
    readonly_fields = fields

    def get_changelist(self, request, **kwargs):
        return SeriesChangeList

    @admin.display(description="measurements")
    def measurements(self, series: Series):
        return _stat(series, "count")

    @admin.display(description="oldest")
    def oldest(self, series: Series):
        return _stat(series, "oldest")

    @admin.display(description="newest")
    def newest(self, series: Series):
        return _stat(series, "newest")

    @admin.display(description=f"last {LAST_VALUES} values")
    def last_values(self, series: Series):
        rows = series_last_values(series=series, limit=LAST_VALUES)
        if not rows:
            return "No measurements."
        return format_html(
            '<table class="last-values"><thead><tr><th>timestamp</th><th>value</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", ((t.isoformat(), repr(v)) for t, v in rows)),
        )


@admin.register(Feature)
class FeatureAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("key", "data_connection", "geometry_type", "properties_short")
    list_filter = ("data_connection",)
    search_fields = ("key",)
    list_select_related = ("data_connection__feature_type",)
    show_full_result_count = False
    fields = ("data_connection", "key", "geometry_json", "properties_json")
    readonly_fields = fields

    @admin.display(description="geometry")
    def geometry_type(self, feature: Feature):
        return (feature.geometry or {}).get("type", "") if isinstance(feature.geometry, dict) else ""

    @admin.display(description="properties")
    def properties_short(self, feature: Feature):
        return Truncator(json.dumps(feature.properties, ensure_ascii=False, sort_keys=True)).chars(PROPERTIES_CHARS)

    @admin.display(description="geometry")
    def geometry_json(self, feature: Feature):
        return _pretty_json(feature.geometry)

    @admin.display(description="properties")
    def properties_json(self, feature: Feature):
        return _pretty_json(feature.properties)


@admin.register(RasterFrame)
class RasterFrameAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("timestamp", "data_connection", "width", "height", "bounds", "download")
    list_filter = ("data_connection",)
    list_select_related = ("data_connection__feature_type", "blob")
    date_hierarchy = "timestamp"
    show_full_result_count = False
    fields = ("data_connection", "timestamp", "width", "height", "bounds", "download")
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, frame: RasterFrame):
        url = blob_download_url(blob=frame.blob, filename=f"frame-{frame.timestamp:%Y%m%d%H%M%S}.tif")
        return format_html('<a href="{}">download</a>', url)


@admin.register(Document)
class DocumentAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ("filename", "data_connection", "media_type", "timestamp", "download")
    list_filter = ("data_connection",)
    search_fields = ("filename",)
    list_select_related = ("data_connection__feature_type", "blob")
    show_full_result_count = False
    fields = ("data_connection", "filename", "media_type", "timestamp", "download")
    readonly_fields = fields

    @admin.display(description="file")
    def download(self, document: Document):
        return format_html(
            '<a href="{}">download</a>', blob_download_url(blob=document.blob, filename=document.filename)
        )


# --- the catalog's pages, with what the harvest owns --------------------------------------------------


admin.site.unregister(SyncTask)


@admin.register(SyncTask)
class SyncTaskAdmin(catalog_admin.SyncTaskAdmin):
    """The catalog's sync task page, with "Harvest now" and the task's latest runs."""

    readonly_fields = (*catalog_admin.SyncTaskAdmin.readonly_fields, "latest_runs")
    actions = ["harvest_now"]
    change_form_template = "admin/harvest/synctask_change_form.html"

    def get_urls(self):
        harvest = self.admin_site.admin_view(require_POST(self.harvest_view))
        return [path("<int:task_id>/harvest/", harvest, name="synctasks_synctask_harvest"), *super().get_urls()]

    def harvest_view(self, request, task_id: int):
        """The change page's "Harvest now" button: one run of this task, then back to its page."""
        task = get_object_or_404(SyncTask.objects.select_related("data_source"), pk=task_id)
        if not self.has_change_permission(request, task):
            raise PermissionDenied
        _queue_each(request, [task], lambda task: harvest_queue(task=task, user=request.user))
        return HttpResponseRedirect(reverse("admin:synctasks_synctask_change", args=[task.pk]))

    @admin.action(description="Harvest now (queue a harvest run of each selected data source task)")
    def harvest_now(self, request, queryset):
        tasks = queryset.select_related("data_source").order_by("pk")
        _queue_each(request, tasks, lambda task: harvest_queue(task=task, user=request.user))

    @admin.display(description=f"latest {RUNS_SHOWN} harvest runs")
    def latest_runs(self, task: SyncTask):
        if task.pk is None:
            return ""
        runs = list(harvest_runs_of(task=task)[:RUNS_SHOWN])
        if not runs:
            return "No harvest runs yet."
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    _change(run),
                    run.pk,
                    run.status,
                    run.attempts,
                    run.bytes,
                    run.created.isoformat(),
                    first_error(run.report),
                )
                for run in runs
            ),
        )
        return format_html(
            '<table class="latest-runs"><thead><tr><th>run</th><th>status</th><th>attempts</th><th>bytes</th>'
            "<th>created</th><th>first error</th></tr></thead><tbody>{}</tbody></table>"
            '<p><a href="{}">all runs</a></p>',
            rows,
            _changelist(HarvestRun, sync_task__id__exact=task.pk),
        )


admin.site.unregister(DataConnection)


@admin.register(DataConnection)
class DataConnectionAdmin(catalog_admin.DataConnectionAdmin):
    """The catalog's data connection page, with what the connection holds."""

    readonly_fields = (*catalog_admin.DataConnectionAdmin.readonly_fields, "stored_data")

    @admin.display(description="stored data")
    def stored_data(self, dc: DataConnection):
        if dc.pk is None:
            return ""
        kind = dc.feature_type.kind
        if kind == FeatureKind.TIMESERIES:
            return self._series(dc)
        model, noun = {
            FeatureKind.SPATIAL: (Feature, "features"),
            FeatureKind.RASTER: (RasterFrame, "raster frames"),
            FeatureKind.DOCUMENT: (Document, "documents"),
        }[kind]
        # n_features is kept by the ingest with the rows: no count of a big table here.
        return format_html(
            '<a href="{}">{} {}</a>', _changelist(model, data_connection__id__exact=dc.pk), dc.n_features, noun
        )

    def _series(self, dc: DataConnection):
        series = list(series_of(dc=dc)[:SERIES_SHOWN])
        stats = series_stats(series_ids=[s.pk for s in series])
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (
                    _change(s),
                    s.feature_key,
                    s.parameter,
                    stats.get(s.pk, {}).get("count", 0),
                    _iso(stats.get(s.pk, {}).get("oldest")),
                    _iso(stats.get(s.pk, {}).get("newest")),
                )
                for s in series
            ),
        )
        return format_html(
            '<table class="stored-series"><thead><tr><th>feature</th><th>parameter</th><th>measurements</th>'
            '<th>oldest</th><th>newest</th></tr></thead><tbody>{}</tbody></table><p><a href="{}">all series</a>'
            " (the first {} are shown)</p>",
            rows,
            _changelist(Series, data_connection__id__exact=dc.pk),
            SERIES_SHOWN,
        )


def _iso(value) -> str:
    return value.isoformat() if value is not None else ""
