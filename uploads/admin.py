"""Admin pages for uploads: browse by data source and status, read the report, download, re-run."""

from django.contrib import admin, messages
from django.utils.html import format_html

from blobs.selectors import blob_download_url
from core.admin import ReadOnlyAdmin, ReportDisplay
from core.errors import NexusError

from .models import Upload
from .services import upload_requeue


@admin.register(Upload)
class UploadAdmin(ReadOnlyAdmin, ReportDisplay, admin.ModelAdmin):
    """Uploads are written by the API and the ingest only: the pages show them (no Save), and the
    one thing an admin does is the re-run of a failed ingest (the action)."""

    list_display = ("id", "filename", "data_source", "uploader", "upload_date", "sync_status", "error", "download")
    list_filter = ("sync_status", "data_source")
    search_fields = ("filename", "data_source__name", "uploader__username")
    date_hierarchy = "upload_date"
    list_select_related = ("data_source", "uploader", "blob")
    show_full_result_count = False
    fields = (
        "data_source",
        "uploader",
        "filename",
        "download",
        "upload_date",
        "sync_status",
        "ingest_started",
        "ingest_finished",
        "ingest_report",
    )
    readonly_fields = fields
    actions = ["rerun_ingest"]

    @admin.display(description="file")
    def download(self, upload: Upload):
        return format_html('<a href="{}">download</a>', blob_download_url(blob=upload.blob, filename=upload.filename))

    @admin.action(description="Re-run the ingest of the selected failed uploads")
    def rerun_ingest(self, request, queryset):
        queued = 0
        for upload in queryset.order_by("pk"):
            try:
                upload_requeue(upload=upload)
                queued += 1
            except NexusError as refused:
                messages.warning(request, refused.message)
        messages.success(request, f"Queued {queued} ingest(s) again.")
