"""HTTP endpoints of the Climate Data Gateway file API: upload, delete, list, download, publish."""

from django.http import HttpResponseRedirect
from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from blobs.selectors import blob_download_url
from core.dialects import CDG
from core.parsers import StreamingMultiPartParser

from ..selectors import dataset_get, version_file_readable, version_files, version_get
from ..services import dataset_file_delete, dataset_file_put, dataset_version_publish
from . import schema
from .access import cdg_require_token, cdg_version_readable
from .bodies import file_body


class CdgView(APIView):
    dialect = CDG
    permission_classes = [AllowAny]  # each method says what it needs, in the gateway's error shape
    parser_classes = [StreamingMultiPartParser, FormParser]


class FileUploadApi(CdgView):
    """POST and PUT behave the same: the file goes into the version (the dataset-level URL means the
    latest published version, else the pre-published one); a file of that name is replaced."""

    openapi_routes = schema.UPLOAD_ROUTES

    def post(self, request, short_name: str, version_id: str | None = None):
        cdg_require_token(user=request.user)
        dataset = dataset_get(short_name=short_name)
        version = version_get(dataset=dataset, identifier=version_id)
        form = schema.GatewayFileForm(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        file, replaced = dataset_file_put(
            user=request.user,
            dataset=dataset,
            version=version,
            client_filename=upload.name or "",
            staged=upload.staged,
            media_type=upload.content_type or "application/octet-stream",
        )
        body = {
            "dataset": dataset.short_name,
            "version": version.identifier,
            "state": version.state,
            **file_body(request, version, file),
            "replaced": replaced,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    put = post


class FileApi(CdgView):
    openapi_routes = schema.FILE_ROUTES

    def get(self, request, short_name: str, filename: str, version_id: str | None = None):
        version = version_get(dataset=dataset_get(short_name=short_name), identifier=version_id)
        version = cdg_version_readable(user=request.user, version=version)
        file = version_file_readable(user=request.user, version=version, name=filename)
        return HttpResponseRedirect(blob_download_url(blob=file.blob, filename=file.name))

    def delete(self, request, short_name: str, filename: str, version_id: str | None = None):
        cdg_require_token(user=request.user)
        version = version_get(dataset=dataset_get(short_name=short_name), identifier=version_id)
        file = version_file_readable(user=request.user, version=version, name=filename)
        dataset_file_delete(user=request.user, file=file)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FileListApi(CdgView):
    openapi_routes = schema.LIST_ROUTES

    def get(self, request, short_name: str, version_id: str | None = None):
        dataset = dataset_get(short_name=short_name)
        version = cdg_version_readable(user=request.user, version=version_get(dataset=dataset, identifier=version_id))
        return Response(
            {
                "dataset": dataset.short_name,
                "version": version.identifier,
                "state": version.state,
                "files": [
                    file_body(request, version, file) for file in version_files(version=version, user=request.user)
                ],
            }
        )


class PublishApi(CdgView):
    openapi_routes = schema.PUBLISH_ROUTES

    def post(self, request, short_name: str, version_id: str):
        cdg_require_token(user=request.user)
        version = version_get(dataset=dataset_get(short_name=short_name), identifier=version_id)
        version = dataset_version_publish(user=request.user, version=version)
        return Response(
            {
                "dataset": short_name,
                "version": version.identifier,
                "state": version.state,
                "published_at": version.published_at.isoformat(),
            }
        )
