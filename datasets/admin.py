"""Admin pages for datasets: Dataverse collections, versions (create the next one, publish), files,
grants, change history."""

from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from core.errors import NexusError

from .models import Collection, Dataset, DatasetFile, DatasetLock, DatasetVersion, FileChange, WriteGrant
from .selectors import version_next_identifier
from .services import dataset_version_create, dataset_version_publish


class VersionInline(admin.TabularInline):
    model = DatasetVersion
    extra = 0
    fields = ("identifier", "state", "published_at")
    readonly_fields = ("state", "published_at")
    show_change_link = True


class WriteGrantInline(admin.TabularInline):
    model = WriteGrant
    extra = 0


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):
    """Collections made here or by POST /api/dataverses/{parent}; their admins may create datasets in them."""

    list_display = ("alias", "name", "parent", "organization", "direct_upload", "created")
    list_select_related = ("parent", "organization")
    search_fields = ("alias", "name")
    filter_horizontal = ("admins",)
    readonly_fields = ("created",)


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ("short_name", "persistent_id", "title", "collection", "organization", "direct_upload")
    list_select_related = ("collection", "organization")
    search_fields = ("short_name", "persistent_id", "title")
    inlines = [VersionInline, WriteGrantInline]


class FileInline(admin.TabularInline):
    """Files change through the API only (every change is recorded), never by editing here."""

    model = DatasetFile
    extra = 0
    fields = ("directory_label", "name", "media_type", "blob")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ChangeInline(admin.TabularInline):
    model = FileChange
    extra = 0
    fields = ("at", "action", "name", "user", "blob", "previous_blob")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ("dataset", "identifier", "state", "created", "published_at")
    list_filter = ("state",)
    readonly_fields = ("state", "published_at")
    inlines = [FileInline, ChangeInline]
    actions = ["publish", "create_next_version"]

    @admin.action(description="Publish the selected versions")
    def publish(self, request, queryset):
        for version in queryset:
            try:
                dataset_version_publish(user=request.user, version=version)
                messages.success(request, f"Published {version}.")
            except NexusError as refused:
                messages.error(request, refused.message)

    @admin.action(description="Create the next version from the selected one (copies the file list, not the bytes)")
    def create_next_version(self, request, queryset):
        for version in queryset:
            # The dataset's next identifier (as a Dataverse draft takes), whichever version it copies.
            identifier = version_next_identifier(dataset=version.dataset)
            try:
                created = dataset_version_create(dataset=version.dataset, identifier=identifier, source=version)
                messages.success(request, f"Created version {created.identifier} of {version.dataset}.")
            except NexusError as refused:
                messages.error(request, refused.message)


@admin.register(FileChange)
class FileChangeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The change history: written by the file services only."""

    list_display = ("at", "version", "action", "name", "user")
    list_filter = ("action",)
    list_select_related = ("version__dataset", "user")
    show_full_result_count = False
    readonly_fields = ("version", "action", "name", "user", "at", "blob", "previous_blob")


@admin.register(DatasetLock)
class DatasetLockAdmin(admin.ModelAdmin):
    """Locks come and go with registrations; one left by a killed process can be deleted here."""

    list_display = ("dataset", "lock_type", "user", "message", "created")
    readonly_fields = ("dataset", "lock_type", "user", "message", "created")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
