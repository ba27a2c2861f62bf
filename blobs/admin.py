"""Admin pages for blobs (read-only: bytes are written by the services only)."""

from django.contrib import admin

from .models import Blob, MultipartUpload


@admin.register(Blob)
class BlobAdmin(admin.ModelAdmin):
    list_display = ("key", "size", "sha256", "media_type", "created")
    search_fields = ("key", "sha256", "md5")
    readonly_fields = ("key", "size", "sha256", "md5", "media_type", "created")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(MultipartUpload)
class MultipartUploadAdmin(admin.ModelAdmin):
    list_display = ("key", "scope", "size", "part_size", "part_count", "created", "expires_at")
    search_fields = ("key", "scope")
    readonly_fields = ("token", "key", "scope", "size", "part_size", "part_count", "s3_upload_id", "created")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
