"""The OpenAPI description of the uploads seed: the list, the multipart create, one upload, the sync task's upload."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from accounts.schema import BY_DIALECT
from core.dialects import NEXUS
from core.openapi import error_responses

from .serializers import SyncTaskUploadForm, TaskUploadSerializer, UploadDetailSerializer, UploadForm, UploadSerializer

_MIB = 1024 * 1024

# The seed's example body (uploads seed, "Uploading a new file").
_EXAMPLE = {
    "id": 104,
    "filename": "dataset.csv",
    "uploader_name": "Data supplier X",
    "upload_file": "https://nexus.example/blobs/download/<signed>/dataset.csv",
    "upload_date": "2021-01-18T12:55:11.930943+01:00",
    "uploader": 648464,
    "datasource": 56516245,
    "datasource_name": "Dummy",
    "datasource_owner": "Organization Y",
    "sync_last_finished": "2021-01-12T13:01:18Z",
    "sync_status": "harvesting",
}


def _limits() -> str:
    return (
        f"Uploads up to {settings.NEXUS_MAX_UPLOAD_BYTES // _MIB} MiB; a zip archive may hold several files of the "
        f"data source's format; a JSON file (alone or in a zip) up to {settings.NEXUS_MAX_JSON_BYTES // _MIB} MiB. "
        "The filename keeps only A-Z, a-z, 0-9, `-`, `.` and `_`. The ingest runs after the answer: "
        "`sync_status` is `harvesting` until it ends (see `GET /api/v1/uploads/{id}/`)."
    )


_TOO_LARGE = (
    "The body (its Content-Length, or the bytes streamed) is over the upload limit, or a JSON file in it is over "
    "the JSON limit; nothing is recorded."
)
_NOT_MULTIPART = "The body is neither multipart/form-data nor a urlencoded form (which carries no file)."


_E400_KEY = " An `Idempotency-Key` header that is not a quoted string of printable ASCII (or a bare token) or is "
_E409 = "A request with the same `Idempotency-Key` (and token) is still being processed: retry once it has answered."
_E422 = (
    "The `Idempotency-Key` was already used (with this token, within its 24 h) for another request: another file, "
    "other form fields or another endpoint. Nothing is recorded."
)


def _upload_responses(body, *, e400: str, e403: str, e404: str) -> dict:
    """An upload's 201 with `body`, and its refusals in the Nexus shape (413 and 415 alike for every upload;
    409 and 422 of the Idempotency-Key)."""
    e400 += _E400_KEY + f"longer than {settings.NEXUS_IDEMPOTENCY_KEY_MAX_CHARS} characters."
    refusals = error_responses(
        NEXUS,
        400,
        403,
        404,
        409,
        413,
        415,
        422,
        e400=e400,
        e403=e403,
        e404=e404,
        e409=_E409,
        e413=_TOO_LARGE,
        e415=_NOT_MULTIPART,
        e422=_E422,
    )
    description = (
        "Recorded; its ingest is queued. With an `Idempotency-Key` already answered: that first answer again "
        "(`Idempotent-Replayed: true`), and nothing recorded."
    )
    return {201: OpenApiResponse(body, description=description), **refusals}


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="draft-ietf-httpapi-idempotency-key-header: a key (a UUID, say) in double quotes, "
    '`"8e03978e-40d5-43e8-bc93-6894a57f9324"` (a bare one is taken too). A repeat of the same request with the '
    "same key and token within 24 h answers the first answer, without a second upload or ingest; a failed "
    "request (any 4xx or 5xx) stores nothing, so its retry runs again.",
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    enum=["true"],
    description="Present (`true`) when the answer is the stored first answer of the request's `Idempotency-Key`.",
)
_KEYED = [IDEMPOTENCY_KEY, REPLAYED]


_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The upload's id.")
_TASK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The sync task's id.")

UPLOADS_LIST = extend_schema(
    operation_id="uploads_list",
    summary="The most recent upload of each data source the caller may upload to.",
    description="A list (not paginated): one upload per uploadable data source, with a temporary download link.",
    responses={200: UploadSerializer(many=True)},
)

UPLOADS_CREATE = extend_schema(
    operation_id="uploads_create",
    summary="Upload a new version of a data source.",
    description="Multipart form: `datasource` (the data source's id) and `upload_file` (the file). " + _limits(),
    parameters=_KEYED,
    request={"multipart/form-data": UploadForm},
    responses=_upload_responses(
        UploadSerializer,
        e400="A field is missing or not valid (`{field: [messages]}`), the file is not of the data source's "
        "format or not a readable zip, or the data source does not accept uploads (`detail`).",
        e403="The caller may see the data source but not upload to it.",
        e404="No such data source (or a private one of another organization).",
    ),
    examples=[OpenApiExample("The seed's answer", value=_EXAMPLE, response_only=True, status_codes=["201"])],
)

UPLOADS_RETRIEVE = extend_schema(
    operation_id="uploads_retrieve",
    summary="One upload, with its ingest report.",
    description="The caller's own uploads and those to data sources it may upload to. `sync_status` says whether "
    "the ingest is still running (`harvesting`), and `report` what it did once it ended. With `?wait=N` the answer "
    "is held until the ingest ends (`successful` or `failed`) or N seconds pass, whichever is first.",
    parameters=[
        _ID,
        OpenApiParameter(
            "wait",
            OpenApiTypes.INT,
            OpenApiParameter.QUERY,
            description="Seconds to wait for the ingest to end, 0 (no wait, the default) to "
            f"{settings.NEXUS_UPLOAD_WAIT_MAX_SECONDS}. The answer comes within a second of the ingest's end; while "
            "still `harvesting` after it (or when the server's wait slots are all taken) it carries `Retry-After`.",
        ),
        OpenApiParameter(
            "Retry-After",
            OpenApiTypes.INT,
            OpenApiParameter.HEADER,
            response=[200],
            description="With `wait`, when the ingest has not ended yet: seconds until asking again is worth it.",
        ),
    ],
    responses={
        200: UploadDetailSerializer,
        **error_responses(
            NEXUS,
            400,
            404,
            e400="`wait` is not a whole number of seconds from 0 to "
            f'{settings.NEXUS_UPLOAD_WAIT_MAX_SECONDS} (`{{"wait": [message]}}`).',
            e404="No such upload (or not one the caller may see).",
        ),
    },
)

SYNC_TASK_UPLOAD = extend_schema(
    operation_id="sync_tasks_upload",
    summary="Upload a file to a sync task's data source.",
    description="Multipart form with `upload_file` only: the task must be a `data_source` task whose data source "
    "is uploadable. " + _limits(),
    parameters=[_TASK_ID, *_KEYED],
    request={"multipart/form-data": SyncTaskUploadForm},
    responses=_upload_responses(
        UploadSerializer,
        e400="No file, a file not of the data source's format, or a task that takes no upload (a calculation "
        "or scenario, or a data source that is not uploadable).",
        e403="The caller may see the task's data source but not upload to it.",
        e404="No such sync task (or its data source is a private one of another organization).",
    ),
)

# The platform's "Upload (new)" answer, as its page shows it.
_TASK_UPLOAD_EXAMPLE = {
    "uploader": "Data supplier X",
    "filename": "dataset.csv",
    "upload_date": "2021-01-18T11:55:11Z",
    "download_link": "https://nexus.example/blobs/download/<signed>/dataset.csv",
}

SYNC_TASK_PLATFORM_UPLOAD = extend_schema(
    operation_id="sync_tasks_platform_upload",
    summary="Upload a file to a sync task's data source (the platform's recommended upload).",
    description="Multipart form with `upload_file` only; the task's id is listed by "
    "`GET /api/v1/sync_tasks/?uploadable=true`. The same upload as `POST /api/v1/uploads/` (same checks, same "
    "ingest), answered with the platform's four fields. " + _limits(),
    parameters=[_TASK_ID, *_KEYED],
    # Anonymous callers are refused (403): a token is the only way in.
    auth=[{name: []} for name in BY_DIALECT[NEXUS]],
    request={"multipart/form-data": SyncTaskUploadForm},
    responses=_upload_responses(
        TaskUploadSerializer,
        e400="The task has no data source (a calculation or scenario), its data source is not uploadable, "
        "no file, or a file not of the data source's format.",
        e403="No token, or the caller may not upload to the task's data source.",
        e404="No such sync task (or its data source is a private one of another organization).",
    ),
    examples=[
        OpenApiExample("The platform's answer", value=_TASK_UPLOAD_EXAMPLE, response_only=True, status_codes=["201"])
    ],
)
