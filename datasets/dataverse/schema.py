"""The OpenAPI description of the Dataverse dialect's routes: each operation under /api/ and /api/v1/, as
Dataverse clients write them, with its parameters, form and every status it answers."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from accounts.schema import BY_DIALECT
from core.dialects import DATAVERSE
from core.openapi import Route, error_responses

from . import schema_bodies as bodies

PID = "doi:10.5072/FK27U7YBV"

IDENT = OpenApiParameter(
    "ident",
    {"type": "string", "pattern": "^([0-9]+|:persistentId)$"},
    OpenApiParameter.PATH,
    description="The dataset's numeric id, or the literal `:persistentId` to name it by the `persistentId` "
    "query parameter.",
    examples=[
        OpenApiExample("by persistent id", value=":persistentId"),
        OpenApiExample("by id", value="2"),
    ],
)
PERSISTENT_ID = OpenApiParameter(
    "persistentId",
    OpenApiTypes.STR,
    OpenApiParameter.QUERY,
    description="The dataset's persistent id; required when `ident` is `:persistentId` (else a 400), ignored "
    "otherwise.",
    examples=[OpenApiExample("the seed's dataset", value=PID)],
)
FILE_ID = OpenApiParameter(
    "ident", {"type": "integer", "minimum": 0}, OpenApiParameter.PATH, description="The file's id (`dataFile.id`)."
)
SIZE = OpenApiParameter(
    "size",
    {"type": "integer", "minimum": 0, "maximum": settings.NEXUS_MAX_UPLOAD_BYTES},
    OpenApiParameter.QUERY,
    required=True,
    description="The file's size in bytes; over the upload limit (NEXUS_MAX_UPLOAD_BYTES) is a 400.",
)
_MP = "Taken from the ticket's `complete` / `abort` URL, as written there."
MULTIPART = [
    OpenApiParameter("globalid", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description=_MP),
    OpenApiParameter("uploadid", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description=_MP),
    OpenApiParameter("storageidentifier", OpenApiTypes.STR, OpenApiParameter.QUERY, required=True, description=_MP),
]

# Calls that need a user: the dialect's placements, without the anonymous alternative AllowAny would add.
KEY_REQUIRED = [{name: []} for name in BY_DIALECT[DATAVERSE]]

E401 = "A bad API key (`Bad API key`), or none where the call needs a user."
E404_DATASET = "No such dataset, or none the caller may see."
E413 = "The body is larger than the upload limit (its Content-Length, the file, or a form field)."
E415 = "The body is not a form (multipart/form-data or application/x-www-form-urlencoded)."


def _routes(tail: str, method: str, name: str, schema: dict) -> tuple[Route, Route]:
    """The operation under /api/ (dvuploader) and under /api/v1/ (pyDataverse), with distinct ids."""
    return (
        Route(f"/api/{tail}", method, {**schema, "operation_id": f"dataverse_{name}"}),
        Route(f"/api/v1/{tail}", method, {**schema, "operation_id": f"dataverse_v1_{name}"}),
    )


def _errors(*statuses: int, **descriptions: str) -> dict:
    texts = {"e401": E401, "e404": E404_DATASET, "e413": E413, "e415": E415} | descriptions
    return error_responses(DATAVERSE, *statuses, **texts)


_DATASET_GET = {
    "summary": "Get a dataset",
    "description": "The dataset with its `latestVersion`: the draft for its writers, else the newest released "
    "version. dvuploader and pyDataverse write this path with a trailing slash; both forms are served.",
    "parameters": [IDENT, PERSISTENT_ID],
    "responses": {200: bodies.DatasetAnswer, **_errors(404)},
}
_DATASET_DELETE = {
    "summary": "Delete a dataset never published",
    "description": "The dataset goes with its draft, its files and their bytes. A published dataset is a 403: "
    "delete its draft (`versions/:draft`) instead. pyDataverse writes this path with a trailing slash.",
    "auth": KEY_REQUIRED,
    "parameters": [IDENT, PERSISTENT_ID],
    "responses": {
        200: OpenApiResponse(bodies.MessageAnswer, description="`Dataset <persistent id> deleted`."),
        **_errors(401, 403, 404, e403="The caller may not delete this dataset, or it has been published."),
    },
}
DATASET_ROUTES = (
    *_routes("datasets/{ident}", "GET", "dataset_get", _DATASET_GET),
    *_routes("datasets/{ident}/", "GET", "dataset_get_slash", _DATASET_GET),
    *_routes("datasets/{ident}", "DELETE", "dataset_delete", _DATASET_DELETE),
    *_routes("datasets/{ident}/", "DELETE", "dataset_delete_slash", _DATASET_DELETE),
)

INFO_VERSION_ROUTES = _routes(
    "info/version",
    "GET",
    "info_version",
    {
        "summary": "The server's version",
        "description": "The Dataverse API version this server answers as (`version`) and this server's own "
        "(`build`). Also served at `/api//info/version`, the path one client writes.",
        "responses": {200: bodies.ServerVersionAnswer},
    },
)
INFO_SERVER_ROUTES = _routes(
    "info/server",
    "GET",
    "info_server",
    {
        "summary": "The server's host name",
        "description": "`data.message` is the host name the request was sent to, as Dataverse names its server.",
        "responses": {200: bodies.MessageAnswer},
    },
)

LOCKS_ROUTES = _routes(
    "datasets/{ident}/locks",
    "GET",
    "dataset_locks",
    {
        "summary": "List a dataset's locks",
        "description": "Empty when the dataset is not locked: clients wait for that before registering files.",
        "parameters": [IDENT, PERSISTENT_ID],
        "responses": {200: bodies.LocksAnswer, **_errors(404)},
    },
)

UPLOAD_URLS_ROUTES = _routes(
    "datasets/{ident}/uploadurls",
    "GET",
    "upload_urls",
    {
        "summary": "Request direct upload of a file",
        "description": "Pre-signed PUT URL(s) for `size` bytes and the storage identifier to register the upload "
        "under: one `url` when the size fits one part, else `urls` with `complete` and `abort`.",
        "auth": KEY_REQUIRED,
        "parameters": [IDENT, PERSISTENT_ID, SIZE],
        "responses": {
            200: bodies.UploadUrlsAnswer,
            **_errors(
                400,
                401,
                403,
                404,
                e400="`size` is not a whole number, or is over the upload limit; or no `persistentId`.",
                e403="The caller may not upload files to this dataset.",
                e404="No such dataset, or direct upload is not supported for it (clients then upload natively).",
            ),
        },
    },
)

_MP_404 = "No multipart upload matches the parameters (completed, aborted or expired)."
MULTIPART_ROUTES = (
    *_routes(
        "datasets/mpupload",
        "PUT",
        "mpupload_complete",
        {
            "summary": "Complete a multipart direct upload",
            "description": "The body is read as JSON whatever its Content-Type (dvuploader sends none), at most "
            f"{settings.NEXUS_DATAVERSE_MAX_COMPLETE_BODY_BYTES} bytes.",
            "auth": KEY_REQUIRED,
            "parameters": MULTIPART,
            "request": {"application/json": bodies.ETAGS},
            "responses": {
                200: OpenApiResponse(bodies.MessageAnswer, description="`Multipart Upload completed`."),
                **_errors(
                    400,
                    401,
                    403,
                    404,
                    413,
                    e400="Not a JSON object of every part's number to its ETag, or an ETag that does not match.",
                    e403="The caller may not complete file uploads with these parameters.",
                    e413="A declared Content-Length over the upload limit (the body is not read).",
                    e404=_MP_404,
                ),
            },
        },
    ),
    *_routes(
        "datasets/mpupload",
        "DELETE",
        "mpupload_abort",
        {
            "summary": "Abort a multipart direct upload",
            "description": "The parts uploaded are removed.",
            "auth": KEY_REQUIRED,
            "parameters": MULTIPART,
            "responses": {
                204: OpenApiResponse(None, description="Aborted."),
                **_errors(
                    401, 403, 404, e403="The caller may not abort file uploads with these parameters.", e404=_MP_404
                ),
            },
        },
    ),
)

_ADD_400 = (
    "A refused file (a wrong checksum, no storageIdentifier, an unsafe zip...), bad jsonData, or no `persistentId`."
)
ADD_ROUTES = _routes(
    "datasets/{ident}/add",
    "POST",
    "add",
    {
        "summary": "Add a file to a dataset (native or direct)",
        "description": "Native: a `file` part (a zip is unpacked, its paths becoming directory labels). Direct: no "
        "`file`, and `jsonData` names the uploaded object by `storageIdentifier` with its name, type and checksum.",
        "auth": KEY_REQUIRED,
        "parameters": [IDENT, PERSISTENT_ID],
        "request": {"multipart/form-data": bodies.DataverseAddForm},
        "responses": {
            200: OpenApiResponse(bodies.FilesAnswer, description="Added; `message` warns of a duplicate content."),
            **_errors(
                400,
                401,
                403,
                404,
                413,
                415,
                e400=_ADD_400,
                e403="The caller may not add files to this dataset.",
            ),
        },
    },
)

_FORMS = {
    "multipart/form-data": bodies.DataverseFilesForm,
    "application/x-www-form-urlencoded": bodies.DataverseFilesForm,
}


def _bulk(tail: str, name: str, summary: str, verb: str):
    return _routes(
        tail,
        "POST",
        name,
        {
            "summary": summary,
            "description": f"All the files are {verb}, or none: unlike Dataverse (a 200 with per-file errors), a "
            "refusal is a 400 whose `data` reports each file.",
            "auth": KEY_REQUIRED,
            "parameters": [IDENT, PERSISTENT_ID],
            "request": _FORMS,
            "responses": {
                200: bodies.RegistrationAnswer,
                # Every 400 of the document is DataverseError (tests/test_openapi.py); a refused file's
                # report rides beside it in `data`, which DataverseError leaves open.
                **_errors(
                    400,
                    401,
                    403,
                    404,
                    413,
                    415,
                    e400="Bad jsonData; or a file was refused, and then none is registered and `data` reports "
                    "each file as a 200 would (`DataverseRegistration`, with `errorMessage`).",
                    e403="The caller may not add files to this dataset.",
                ),
            },
        },
    )


ADD_FILES_ROUTES = _bulk("datasets/{ident}/addFiles", "add_files", "Add files uploaded directly", "added")
REPLACE_FILES_ROUTES = _bulk(
    "datasets/{ident}/replaceFiles", "replace_files", "Replace files with ones uploaded directly", "replaced"
)

REPLACE_ROUTES = _routes(
    "files/{ident}/replace",
    "POST",
    "file_replace",
    {
        "summary": "Replace a file (native or direct)",
        "description": "Native: a `file` part. Direct: `jsonData` names the uploaded object by `storageIdentifier`. "
        "The same content only updates the metadata (`message` says so).",
        "auth": KEY_REQUIRED,
        "parameters": [FILE_ID],
        "request": {"multipart/form-data": bodies.DataverseAddForm},
        "responses": {
            200: bodies.FilesAnswer,
            **_errors(
                400,
                401,
                403,
                413,
                415,
                e400="No file of that id (`Replacement file not found...`), a refused file, or bad jsonData.",
                e403="The caller may not add files to the file's dataset.",
            ),
        },
    },
)

METADATA_ROUTES = _routes(
    "files/{ident}/metadata",
    "POST",
    "file_metadata",
    {
        "summary": "Update a file's metadata",
        "description": "Description, label, directory, categories and restriction, changed in the draft.",
        "auth": KEY_REQUIRED,
        "parameters": [FILE_ID],
        "request": {
            "multipart/form-data": bodies.DataverseMetadataForm,
            "application/x-www-form-urlencoded": bodies.DataverseMetadataForm,
        },
        "responses": {
            200: OpenApiResponse(bodies.MessageAnswer, description="`File Metadata update has been completed: ...`"),
            **_errors(
                400,
                401,
                403,
                404,
                413,
                415,
                e400="Bad jsonData, a name already taken, or the file is not in the draft.",
                e403="The caller may not edit files of this dataset.",
                e404="No such file, or none the caller may see.",
            ),
        },
    },
)
