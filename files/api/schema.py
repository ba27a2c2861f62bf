"""The OpenAPI description of the Delta dialect: each real path (the sub-resources inside `{rest}` too),
its parameters, bodies and the statuses it answers, applied to the views as `openapi_routes`."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from core.dialects import DELTA
from core.openapi import Route, error_responses

from . import schema_bodies as b

FILES = "/v1/files/{org}/{project}"
FILE = FILES + "/{id}"
TAGS = FILE + "/tags"
PATH, QUERY, HEADER = OpenApiParameter.PATH, OpenApiParameter.QUERY, OpenApiParameter.HEADER
JSONLD = "application/ld+json"
INT32 = {"type": "integer", "format": "int32"}


class LazyRoutes:
    """`openapi_routes` built each time the document is generated, so the limits are the settings' then."""

    def __init__(self, build):
        self.build = build

    def __get__(self, obj, owner):
        return self.build()


# --- Parameters ------------------------------------------------------------------------------------
def path_parameter(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, OpenApiTypes.STR, PATH, description=description)


ORG = path_parameter("org", "The organization's label.")
PROJECT = path_parameter("project", "The project's label.")
ID = path_parameter(
    "id",
    "The file's id as one path segment: a CURIE of the project's `apiMappings` (`nxv:myfile`), a name relative "
    "to the project's `base`, or a full IRI %-encoded (`https:%2F%2F...`), as in `_self`. A trailing `/` after "
    "the path is ignored.",
)
TAG_NAME = path_parameter("tag", "The tag's name.")


def _int(name: str, description: str, *, required: bool = False, **limits) -> OpenApiParameter:
    return OpenApiParameter(name, {**INT32, **limits}, QUERY, required=required, description=description)


def _str(name: str, description: str, **schema) -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "string", **schema}, QUERY, description=description)


_TAG_VALUE = {"minLength": 1, "maxLength": 64, "pattern": "^[ -~]+$"}
REV_AT = _int("rev", "The revision to read (default: the latest). Not together with `tag`.", minimum=1)
TAG_AT = _str("tag", "The tagged revision to read. Not together with `rev`.", **_TAG_VALUE)
REV_NOW = _int("rev", "The file's current revision (optimistic locking): 409 if it is not.", required=True)
STORAGE = _str(
    "storage",
    "The storage's id (expanded like a file id, e.g. `nxv:mys3storage`); default: the project's default storage.",
)
TAG_NEW = _str("tag", "Tags the revision written with this name (`latest` is reserved).", **_TAG_VALUE)


def _list_parameters() -> list[OpenApiParameter]:
    from_limit, size_limit = settings.NEXUS_DELTA_LIST_FROM_LIMIT, settings.NEXUS_DELTA_LIST_SIZE_LIMIT
    return [
        _int(
            "from",
            f"The offset of the page (negative is 0; at most {from_limit}). Not with `after`.",
            minimum=0,
            maximum=from_limit,
            default=0,
        ),
        _int(
            "size",
            f"The page size (below 1 is 1; at most {size_limit}).",
            minimum=1,
            maximum=size_limit,
            default=settings.NEXUS_DELTA_LIST_SIZE_DEFAULT,
        ),
        _str("after", "The cursor of the next page, as `_next` gives it. Not with `from`."),
        OpenApiParameter(
            "deprecated",
            OpenApiTypes.BOOL,
            QUERY,
            description="Only deprecated (`true`) or only active (`false`) files; `yes`/`no`, `on`/`off`, `1`/`0` "
            "are read too.",
        ),
        _int("rev", "Only the files at this revision."),
        OpenApiParameter(
            "type",
            {"type": "array", "items": {"type": "string"}},
            QUERY,
            explode=True,
            description="Only files of these types (IRIs or CURIEs, repeatable): every file is a `File` "
            "(`https://bluebrain.github.io/nexus/vocabulary/File`).",
        ),
        _str("createdBy", "Only files created by this subject (its IRI, e.g. `{base}/v1/realms/local/users/alice`)."),
        _str("updatedBy", "Only files last updated by this subject (its IRI)."),
        _str("q", "Only files whose id, filename or media type contains this text (case-insensitive)."),
        _str("locate", "Only the file with this `@id` or `_self`."),
        _str("id", "Only the file with this id (an IRI or a CURIE)."),
    ]


# --- Responses -------------------------------------------------------------------------------------
def _types(*names: str) -> str:
    return "`@type` " + ", ".join(f"`{n}`" for n in names) + "."


# Every Delta operation: the input guard's 400 (a path not UTF-8, an over-long value) and the views' own
# for a parameter holding control characters.
_ANY_400 = ("MalformedRequest", "MalformedQueryParamRejection")


def errors(**by_status: tuple[str, ...] | str) -> dict:
    """The operation's error statuses, each described by the Delta `@type`s it can carry
    (`e404=("ResourceNotFound", ...)`) or a text of its own; 400 always."""
    by_status["e400"] = tuple(dict.fromkeys((*_ANY_400, *by_status.get("e400", ()))))
    statuses = sorted(int(key[1:]) for key in by_status)
    texts = {key: names if isinstance(names, str) else _types(*names) for key, names in by_status.items()}
    return error_responses(DELTA, *statuses, **texts)


def metadata(status: int, description: str) -> dict:
    return {(status, JSONLD): OpenApiResponse(b.DeltaFile, description=description)}


_QUERY_400 = ("MalformedQueryParamRejection",)
FORBIDDEN = ("AuthorizationFailed",)
_WRITE_400 = (
    "MalformedQueryParamRejection",
    "ProjectIsDeprecated",
    "StorageIsDeprecated",
    "InvalidMultipartFieldName",
    "RequestEntityExpectedRejection",
    "MalformedRequestContentRejection",
    "InvalidFileLink",
    "UnsupportedOperation",
    "LinkRejection",
)
_TOO_LARGE = ("FileTooLarge",)
_UNSUPPORTED = ("UnsupportedRequestContentTypeRejection",)
_CHANGE_400 = ("MissingQueryParam", "MalformedQueryParamRejection", "InvalidFileId", "ProjectIsDeprecated")
_CHANGE_404 = ("ProjectNotFound", "ResourceNotFound")

# A file's bytes or link: the same two bodies on POST and PUT.
CONTENT = {"multipart/form-data": b.DeltaFileUpload, "application/json": b.DeltaFileLink}
_CONTENT_TEXT = (
    " The body is a multipart upload (the part `file`) or a link payload: any body that is not multipart is "
    "read as the link's JSON."
)
_FETCHED = (
    "An `Accept` naming exactly `application/ld+json`, `application/json`, `application/n-triples`, "
    "`application/n-quads` or `text/vnd.graphviz` gets the metadata (JSON-LD); any other (none is `*/*`) gets "
    "the bytes, with the stored media type, if it accepts that type (406 otherwise)."
)
_CONTENT_HEADERS = [
    OpenApiParameter(
        "Content-Disposition",
        OpenApiTypes.STR,
        HEADER,
        response=[200],
        description='The bytes only: `attachment; filename="=?UTF-8?B?<base64 of the filename>?="`.',
    ),
    OpenApiParameter("Vary", OpenApiTypes.STR, HEADER, response=[200], description="`Accept,Accept-Encoding`."),
]


# --- /v1/files/{org}/{project} ---------------------------------------------------------------------
def files_routes() -> tuple[Route, ...]:
    return (
        Route(
            FILES,
            "GET",
            {
                "operation_id": "delta_files_list",
                "summary": "List a project's files",
                "description": "Needs `resources/read` on the project. Unknown parameters (`sort`, "
                "`aggregations`...) are ignored. A trailing `/` is accepted.",
                "parameters": [ORG, PROJECT, *_list_parameters()],
                "responses": {
                    (200, JSONLD): OpenApiResponse(b.DeltaFileListing, description="A page of the files."),
                    **errors(e400=_QUERY_400, e403=FORBIDDEN, e404=("ProjectNotFound", "ResourceNotFound")),
                },
            },
        ),
        Route(
            FILES,
            "POST",
            {
                "operation_id": "delta_files_create",
                "summary": "Create a file with a generated id (upload or link)",
                "description": "The id is the project's `base` and a UUID; needs the storage's write permission "
                "(`files/write` by default); `rev` is refused. A trailing `/` is accepted." + _CONTENT_TEXT,
                "parameters": [ORG, PROJECT, STORAGE, TAG_NEW],
                "request": CONTENT,
                "responses": {
                    **metadata(201, "Created at revision 1."),
                    **errors(
                        e400=_WRITE_400,
                        e403=FORBIDDEN,
                        e404=("ProjectNotFound", "ResourceNotFound", "DefaultStorageNotFound"),
                        e413=_TOO_LARGE,
                        e415=_UNSUPPORTED,
                    ),
                },
            },
        ),
    )


# --- /v1/files/{org}/{project}/{id}[/tags[/{tag}] | /undeprecate] ----------------------------------
def _change(path: str, method: str, operation_id: str, summary: str, description: str, **more) -> Route:
    """A new revision that only needs `files/write` and `?rev=`: deprecate, undeprecate, tag, untag."""
    codes = {"e400": _CHANGE_400, "e403": FORBIDDEN, "e404": _CHANGE_404, "e409": ("IncorrectRev",)}
    codes.update(more.pop("codes", {}))
    return Route(
        path,
        method,
        {
            "operation_id": operation_id,
            "summary": summary,
            "description": description + " Needs `files/write` on the project.",
            "parameters": [ORG, PROJECT, ID, *more.pop("parameters", []), REV_NOW],
            "responses": {**metadata(more.pop("status", 200), "The file at its new revision."), **errors(**codes)},
            **more,
        },
    )


_FETCH_404 = ("ProjectNotFound", "ResourceNotFound", "RevisionNotFound", "TagNotFound")

_DEPRECATE = ("Deprecates the file: no update until it is undeprecated.", {"e400": (*_CHANGE_400, "FileIsDeprecated")})


def file_routes() -> tuple[Route, ...]:
    return (
        Route(
            FILE,
            "GET",
            {
                "operation_id": "delta_file_fetch",
                "summary": "Fetch a file's metadata or its bytes",
                "description": _FETCHED + " Metadata needs `resources/read`, the bytes the storage's read "
                "permission. `rev` and `tag` cannot be given together (400).",
                "parameters": [ORG, PROJECT, ID, REV_AT, TAG_AT, *_CONTENT_HEADERS],
                "responses": {
                    (200, JSONLD): OpenApiResponse(b.DeltaFile, description="The metadata, or the bytes."),
                    (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The metadata, or the bytes."),
                    **errors(
                        e400=(*_QUERY_400, "InvalidFileId"),
                        e403=FORBIDDEN,
                        e404=_FETCH_404,
                        e406=("UnacceptedResponseContentTypeRejection",),
                        e500="`@type` `FetchRejection`: the storage no longer holds the bytes; or `UnexpectedError`.",
                    ),
                },
            },
        ),
        Route(
            FILE,
            "PUT",
            {
                "operation_id": "delta_file_put",
                "summary": "Create a file with this id, or update it (`rev`)",
                "description": "Without `rev`: creates the file (201; 409 if the id exists). With `rev`, the "
                "current revision: writes the next revision with the new bytes or link (200). Needs the "
                "storage's write permission." + _CONTENT_TEXT,
                "parameters": [
                    ORG,
                    PROJECT,
                    ID,
                    _int("rev", "The current revision, to update (absent: create)."),
                    STORAGE,
                    TAG_NEW,
                ],
                "request": CONTENT,
                "responses": {
                    **metadata(200, "Updated: the next revision."),
                    **metadata(201, "Created at revision 1."),
                    **errors(
                        e400=(*_WRITE_400, "InvalidFileId", "FileIsDeprecated"),
                        e403=FORBIDDEN,
                        e404=("ProjectNotFound", "ResourceNotFound", "DefaultStorageNotFound"),
                        e409=("ResourceAlreadyExists", "IncorrectRev"),
                        e413=_TOO_LARGE,
                        e415=_UNSUPPORTED,
                    ),
                },
            },
        ),
        _change(FILE, "DELETE", "delta_file_deprecate", "Deprecate a file", _DEPRECATE[0], codes=_DEPRECATE[1]),
        Route(
            TAGS,
            "GET",
            {
                "operation_id": "delta_file_tags",
                "summary": "A file's tags",
                "description": "The tags as they were at `rev` or `tag` (default: the latest revision). Needs "
                "`resources/read`.",
                "parameters": [ORG, PROJECT, ID, REV_AT, TAG_AT],
                "responses": {
                    (200, JSONLD): OpenApiResponse(b.DeltaTags, description="The tags."),
                    **errors(e400=(*_QUERY_400, "InvalidFileId"), e403=FORBIDDEN, e404=_FETCH_404),
                },
            },
        ),
        _change(
            TAGS,
            "POST",
            "delta_file_tag",
            "Tag a revision of a file",
            "Names revision `rev` of the body `tag` (a deprecated file can be tagged too); a new revision.",
            status=201,
            request={"application/json": b.DeltaTag},
            codes={
                "e400": (*_CHANGE_400, "RequestEntityExpectedRejection", "MalformedRequestContentRejection"),
                "e404": (*_CHANGE_404, "RevisionNotFound"),
                "e413": _TOO_LARGE,
            },
        ),
        _change(
            TAGS,
            "DELETE",
            "delta_file_deprecate_by_tags",
            "Deprecate a file (the seed's `/tags` path)",
            _DEPRECATE[0] + " The same as `DELETE /v1/files/{org}/{project}/{id}`.",
            codes=_DEPRECATE[1],
        ),
        _change(
            TAGS + "/{tag}",
            "DELETE",
            "delta_file_tag_delete",
            "Remove a tag from a file",
            "Removes the tag; a new revision.",
            parameters=[TAG_NAME],
            codes={"e404": (*_CHANGE_404, "TagNotFound")},
        ),
        _change(
            FILE + "/undeprecate",
            "PUT",
            "delta_file_undeprecate",
            "Undeprecate a file",
            "Makes a deprecated file writable again; a new revision. A body is ignored.",
            codes={"e400": (*_CHANGE_400, "FileIsNotDeprecated")},
            request=None,
        ),
    )
