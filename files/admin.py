"""Admin pages for the Delta dialect: orgs, projects (with storages), storages, ACLs, files and revisions."""

from django.contrib import admin

from .models import Acl, File, FileRevision, Org, Project, Storage
from .services import project_create


@admin.register(Org)
class OrgAdmin(admin.ModelAdmin):
    list_display = ("label", "description", "deprecated", "created_at")
    search_fields = ("label",)


class StorageInline(admin.TabularInline):
    model = Storage
    extra = 0
    fields = ("iri", "type", "default", "max_file_size", "read_permission", "write_permission", "deprecated", "rev")


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("label", "org", "base", "deprecated", "created_at")
    list_filter = ("org", "deprecated")
    search_fields = ("label", "org__label")
    inlines = [StorageInline]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new project gets its default disk storage, as through the service.
        created = project_create(
            org=obj.org,
            label=obj.label,
            base=obj.base,
            vocab=obj.vocab,
            api_mappings=obj.api_mappings,
            description=obj.description,
        )
        obj.pk = created.pk


@admin.register(Storage)
class StorageAdmin(admin.ModelAdmin):
    list_display = ("iri", "type", "project", "default", "max_file_size", "read_permission", "write_permission")
    list_filter = ("type", "default", "deprecated")
    search_fields = ("iri", "project__label")


@admin.register(Acl)
class AclAdmin(admin.ModelAdmin):
    list_display = ("path", "identity", "user", "group", "permissions")
    list_filter = ("identity",)
    search_fields = ("path", "user__username", "group__name")


class RevisionInline(admin.TabularInline):
    """Revisions are history: read only."""

    model = FileRevision
    extra = 0
    fields = ("rev", "action", "deprecated", "filename", "media_type", "blob", "storage", "tags", "updated_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    """Files change through the API only (each change is a revision), never by editing here."""

    list_display = ("iri", "project", "rev", "deprecated", "filename", "media_type", "updated_at")
    list_filter = ("deprecated", "project")
    search_fields = ("iri", "filename")
    inlines = [RevisionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
