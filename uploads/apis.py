"""HTTP endpoints of the uploads seed (list, create, detail, a sync task's upload) and the platform's upload."""

from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Forbidden
from core.parsers import StreamingMultiPartParser

from .schema import SYNC_TASK_PLATFORM_UPLOAD, SYNC_TASK_UPLOAD, UPLOADS_CREATE, UPLOADS_LIST, UPLOADS_RETRIEVE
from .selectors import upload_detail_row, upload_get, upload_row, uploads_latest_per_data_source
from .serializers import (
    SyncTaskUploadForm,
    UploadDetailSerializer,
    UploadForm,
    UploadSerializer,
    absolute_base,
    task_upload_body,
    upload_body,
)
from .services import upload_create, upload_create_for_task


def _staged_args(upload_file) -> dict:
    return {
        "client_filename": upload_file.name or "",
        "staged": upload_file.staged,
        "media_type": upload_file.content_type or "application/octet-stream",
    }


class UploadListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [StreamingMultiPartParser, FormParser]

    @UPLOADS_LIST
    def get(self, request):
        base = absolute_base(request)
        return Response([upload_body(row, base=base) for row in uploads_latest_per_data_source(user=request.user)])

    @UPLOADS_CREATE
    def post(self, request):
        form = UploadForm(data=request.data)
        form.is_valid(raise_exception=True)
        upload = upload_create(
            user=request.user,
            data_source_id=form.validated_data["datasource"],
            **_staged_args(form.validated_data["upload_file"]),
        )
        body = UploadSerializer(upload_row(upload), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class UploadDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @UPLOADS_RETRIEVE
    def get(self, request, pk: int):
        upload = upload_get(user=request.user, upload_id=pk)
        return Response(UploadDetailSerializer(upload_detail_row(upload), context={"request": request}).data)


class SyncTaskUploadApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [StreamingMultiPartParser, FormParser]

    @SYNC_TASK_UPLOAD
    def post(self, request, pk: int):
        form = SyncTaskUploadForm(data=request.data)
        form.is_valid(raise_exception=True)
        upload = upload_create_for_task(
            user=request.user, task_id=pk, **_staged_args(form.validated_data["upload_file"])
        )
        body = UploadSerializer(upload_row(upload), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class SyncTaskPlatformUploadApi(APIView):
    """/api/v1/sync_tasks/{id}/upload/: the platform's answers (403 without a token, 400 for a task that
    takes no upload)."""

    permission_classes = [AllowAny]
    parser_classes = [StreamingMultiPartParser, FormParser]

    @SYNC_TASK_PLATFORM_UPLOAD
    def post(self, request, pk: int):
        if not request.user.is_authenticated:
            # The platform answers 403 here, where the seed's endpoints answer 401; the body is not read.
            raise Forbidden("Authentication credentials were not provided.")
        form = SyncTaskUploadForm(data=request.data)
        form.is_valid(raise_exception=True)
        upload = upload_create_for_task(
            user=request.user,
            task_id=pk,
            uploadable_first=True,
            **_staged_args(form.validated_data["upload_file"]),
        )
        return Response(
            task_upload_body(upload_row(upload), base=absolute_base(request)), status=status.HTTP_201_CREATED
        )
