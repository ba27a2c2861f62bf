"""The uploads seed's request form and response bodies, field for field."""

import re

from django.utils import timezone
from rest_framework import serializers

from core.formats import utc_z

from .models import SyncStatus, Upload


class AsciiIntegerField(serializers.IntegerField):
    """DRF's IntegerField, but ASCII digits only: int() reads an Arabic-Indic one as 1, which names a
    data source the sender never wrote."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"\s*-?[0-9]+\s*", data):
            self.fail("invalid")
        return super().to_internal_value(data)


class UploadForm(serializers.Serializer):
    datasource = AsciiIntegerField()
    upload_file = serializers.FileField(allow_empty_file=True, use_url=False)


class SyncTaskUploadForm(serializers.Serializer):
    upload_file = serializers.FileField(allow_empty_file=True, use_url=False)


class TaskUploadSerializer(serializers.Serializer):
    """An upload as the platform's "Upload (new)" page answers it (task_upload_body writes it)."""

    uploader = serializers.CharField(help_text="The uploader's display name (the uploads seed's `uploader_name`)")
    filename = serializers.CharField(help_text="The sanitised filename")
    upload_date = serializers.DateTimeField(help_text="UTC, to the second, ending in Z")
    download_link = serializers.URLField(help_text="An absolute, temporary download link to the uploaded file")


class UploadSerializer(serializers.ModelSerializer):
    """An upload: the file's sanitised name and temporary download link, its data source, its ingest status."""

    # These fields document the schema; upload_body renders them from the row a selector prepared
    # (uploads.selectors.upload_row), the instance this serializer is given.

    uploader_name = serializers.CharField(help_text="the uploader's display name")
    upload_file = serializers.URLField(help_text="an absolute, temporary download link")
    upload_date = serializers.DateTimeField(help_text="ISO 8601 with the offset of the server's time zone")
    datasource = serializers.IntegerField(source="data_source_id")
    datasource_name = serializers.CharField(source="data_source.name")
    datasource_owner = serializers.CharField(source="data_source.organization.name")
    sync_last_finished = serializers.DateTimeField(allow_null=True, help_text="UTC, ending in Z")
    sync_status = serializers.ChoiceField(
        choices=SyncStatus.choices, help_text="The ingest: `harvesting` until it ends, then its outcome"
    )

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

    def to_representation(self, row: dict) -> dict:
        return upload_body(row, base=absolute_base(self.context.get("request")))


class UploadDetailSerializer(UploadSerializer):
    """An upload with its ingest report."""

    # Given uploads.selectors.upload_detail_row.

    report = serializers.DictField(help_text="What the ingest did (rows, features, errors), once it ended")

    class Meta(UploadSerializer.Meta):
        fields = [*UploadSerializer.Meta.fields, "report"]

    def to_representation(self, row: dict) -> dict:
        return {**super().to_representation(row), "report": row["report"]}


def absolute_base(request) -> str:
    """`scheme://host` of the request: links are made absolute once per request, not per row."""
    return request.build_absolute_uri("/")[:-1] if request is not None else ""


def _local_iso(value) -> str:
    """In the server's zone; in UTC where that zone would leave years 1 to 9999 (a stored edge value)."""
    try:
        return timezone.localtime(value).isoformat()
    except OverflowError:
        return value.isoformat()


def uploader_display_name(row: dict) -> str:
    """The uploader as the uploads seed names them (`uploader_name`): name, else full name, else username."""
    full_name = f"{row['uploader__first_name']} {row['uploader__last_name']}".strip()
    return row["uploader__name"] or full_name or row["uploader__username"]


def _absolute(link: str, *, base: str) -> str:
    """A local storage's signed path made absolute; an S3 pre-signed link already is."""
    return base + link if link.startswith("/") else link


def upload_body(row: dict, *, base: str = "") -> dict:
    """The seed's fields of one upload, from a row of uploads.selectors.ROW_FIELDS and its
    `download_url`: built directly, so a list of 1,000 uploads renders in milliseconds (the
    serializer's fields document the schema)."""
    return {
        "id": row["id"],
        "filename": row["filename"],
        "uploader_name": uploader_display_name(row),
        "upload_file": _absolute(row["download_url"], base=base),
        # ISO 8601 with the offset of the server's time zone, as the seed shows it.
        "upload_date": _local_iso(row["upload_date"]),
        "uploader": row["uploader_id"],
        "datasource": row["data_source_id"],
        "datasource_name": row["data_source__name"],
        "datasource_owner": row["data_source__organization__name"],
        "sync_last_finished": utc_z(row["data_source__sync_last_finished"]),
        "sync_status": row["sync_status"],
    }


def task_upload_body(row: dict, *, base: str) -> dict:
    """The platform's four fields of one upload, from a row of uploads.selectors.ROW_FIELDS and its link."""
    return {
        "uploader": uploader_display_name(row),
        "filename": row["filename"],
        "upload_date": utc_z(row["upload_date"]),
        "download_link": _absolute(row["download_url"], base=base),
    }
