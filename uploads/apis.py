"""HTTP endpoints of the uploads seed (list, create, detail, a sync task's upload) and the platform's upload."""

from rest_framework import status
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import Forbidden
from core.parsers import StreamingMultiPartParser

from .idempotency import (
    HEADER,
    REPLAYED_HEADER,
    idempotency_form_fingerprint,
    idempotency_key_parse,
    idempotency_owner,
    idempotency_run,
)
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
from .waits import upload_wait, upload_wait_seconds


def _staged_args(upload_file) -> dict:
    return {
        "client_filename": upload_file.name or "",
        "staged": upload_file.staged,
        "media_type": upload_file.content_type or "application/octet-stream",
    }


def _key(request) -> str | None:
    # Read before the body: an invalid key is a 400 without a byte of the upload stored.
    return idempotency_key_parse(request.headers.get(HEADER))


def _created(request, key, *, create, render) -> Response:
    """The 201 of an upload POST, once per Idempotency-Key: a retry gets the first answer, marked."""
    status_code, body, replayed = idempotency_run(
        key=key,
        owner=idempotency_owner(user=request.user, token=request.auth),
        # Only a keyed request needs its fingerprint.
        fingerprint=key and idempotency_form_fingerprint(method=request.method, path=request.path, form=request.data),
        create=create,
        render=render,
        status=status.HTTP_201_CREATED,
    )
    return Response(body, status=status_code, headers={REPLAYED_HEADER: "true"} if replayed else None)


class UploadListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [StreamingMultiPartParser, FormParser]

    @UPLOADS_LIST
    def get(self, request):
        base = absolute_base(request)
        return Response([upload_body(row, base=base) for row in uploads_latest_per_data_source(user=request.user)])

    @UPLOADS_CREATE
    def post(self, request):
        key = _key(request)
        form = UploadForm(data=request.data)
        form.is_valid(raise_exception=True)
        return _created(
            request,
            key,
            create=lambda recorded: upload_create(
                user=request.user,
                data_source_id=form.validated_data["datasource"],
                recorded=recorded,
                **_staged_args(form.validated_data["upload_file"]),
            ),
            render=lambda upload: UploadSerializer(upload_row(upload), context={"request": request}).data,
        )


class UploadDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @UPLOADS_RETRIEVE
    def get(self, request, pk: int):
        raw_wait = request.query_params.get("wait")
        if raw_wait is None:
            upload = upload_get(user=request.user, upload_id=pk)
            return Response(UploadDetailSerializer(upload_detail_row(upload), context={"request": request}).data)
        upload, ended = upload_wait(user=request.user, upload_id=pk, seconds=upload_wait_seconds(raw_wait))
        body = UploadDetailSerializer(upload_detail_row(upload), context={"request": request}).data
        # Still harvesting (the time passed, or every wait slot of this process was taken): ask again.
        return Response(body, headers=None if ended else {"Retry-After": "1"})


class SyncTaskUploadApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [StreamingMultiPartParser, FormParser]

    @SYNC_TASK_UPLOAD
    def post(self, request, pk: int):
        key = _key(request)
        form = SyncTaskUploadForm(data=request.data)
        form.is_valid(raise_exception=True)
        return _created(
            request,
            key,
            create=lambda recorded: upload_create_for_task(
                user=request.user, task_id=pk, recorded=recorded, **_staged_args(form.validated_data["upload_file"])
            ),
            render=lambda upload: UploadSerializer(upload_row(upload), context={"request": request}).data,
        )


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
        key = _key(request)
        form = SyncTaskUploadForm(data=request.data)
        form.is_valid(raise_exception=True)
        return _created(
            request,
            key,
            create=lambda recorded: upload_create_for_task(
                user=request.user,
                task_id=pk,
                uploadable_first=True,
                recorded=recorded,
                **_staged_args(form.validated_data["upload_file"]),
            ),
            render=lambda upload: task_upload_body(upload_row(upload), base=absolute_base(request)),
        )
