"""The uploads seed's request form and response bodies, field for field."""

from django.utils import timezone
from rest_framework import serializers

from blobs.selectors import blob_download_url
from nexus_server.formats import utc_z

from .models import Upload


class UploadForm(serializers.Serializer):
    datasource = serializers.IntegerField()
    upload_file = serializers.FileField(allow_empty_file=True, use_url=False)


class SyncTaskUploadForm(serializers.Serializer):
    upload_file = serializers.FileField(allow_empty_file=True, use_url=False)


class UploadSerializer(serializers.ModelSerializer):
    uploader_name = serializers.SerializerMethodField()
    upload_file = serializers.SerializerMethodField()
    upload_date = serializers.SerializerMethodField()
    datasource = serializers.IntegerField(source="data_source_id")
    datasource_name = serializers.CharField(source="data_source.name")
    datasource_owner = serializers.CharField(source="data_source.organization.name")
    sync_last_finished = serializers.SerializerMethodField()

    class Meta:
        model = Upload
        fields = [
            "id",
            "filename",
            "uploader_name",
            "upload_file",
            "upload_date",
            "uploader",
            "datasource",
            "datasource_name",
            "datasource_owner",
            "sync_last_finished",
            "sync_status",
        ]

    def get_uploader_name(self, upload: Upload) -> str:
        return upload.uploader.display_name

    def get_upload_file(self, upload: Upload) -> str:
        """An absolute, temporary download link."""
        link = blob_download_url(blob=upload.blob, filename=upload.filename)
        request = self.context.get("request")
        return request.build_absolute_uri(link) if request is not None else link

    def get_upload_date(self, upload: Upload) -> str:
        """ISO 8601 with the offset of the server's time zone, as the seed shows it."""
        return timezone.localtime(upload.upload_date).isoformat()

    def get_sync_last_finished(self, upload: Upload) -> str | None:
        return utc_z(upload.data_source.sync_last_finished)


class UploadDetailSerializer(UploadSerializer):
    report = serializers.JSONField()

    class Meta(UploadSerializer.Meta):
        fields = [*UploadSerializer.Meta.fields, "report"]
