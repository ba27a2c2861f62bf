"""The OpenAPI description of the Dataverse dialect's lifecycle routes: collections, dataset creation,
metadata edits, publishing, versions and their files, draft deletion, and file access."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

from . import schema_bodies as bodies
from .schema import FILE_ID, IDENT, KEY_REQUIRED, PERSISTENT_ID, _errors, _routes

COLLECTION = OpenApiParameter(
    "alias",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The collection's alias (`:root`, `root` and `Root` name the root collection) or its id.",
    examples=[OpenApiExample("the root collection", value="root")],
)
_JSON_400 = "The body is not the JSON described, or is nested too deep."
_JSON_413 = (
    f"The body is over {settings.NEXUS_DATAVERSE_MAX_METADATA_BYTES} bytes (NEXUS_DATAVERSE_MAX_METADATA_BYTES)."
)
_NO_COLLECTION = "No such collection."
COLLECTION_ROUTES = (
    *_routes(
        "dataverses/{alias}",
        "GET",
        "collection_get",
        {
            "summary": "Get a collection",
            "parameters": [COLLECTION],
            "responses": {200: bodies.CollectionAnswer, **_errors(404, e404=_NO_COLLECTION)},
        },
    ),
    *_routes(
        "dataverses/{alias}",
        "POST",
        "collection_create",
        {
            "summary": "Create a collection in a collection",
            "description": "By a superuser or an admin of the parent collection (or one above it), who becomes the "
            "new collection's admin. The body is read as JSON whatever its Content-Type.",
            "auth": KEY_REQUIRED,
            "parameters": [COLLECTION],
            "request": {"application/json": bodies.NATIVE_COLLECTION},
            "responses": {
                201: bodies.CollectionAnswer,
                **_errors(
                    401,
                    403,
                    404,
                    409,
                    413,
                    e400=_JSON_400 + " Or a bad alias or no name.",
                    e403="The caller administers neither this collection nor one above it.",
                    e404=_NO_COLLECTION,
                    e409="The alias is taken.",
                    e413=_JSON_413,
                ),
            },
        },
    ),
)
COLLECTION_CONTENTS_ROUTES = _routes(
    "dataverses/{alias}/contents",
    "GET",
    "collection_contents",
    {
        "summary": "List a collection's contents",
        "description": "The collections below it, then its datasets the caller sees (released, or any for their "
        "writers).",
        "parameters": [COLLECTION],
        "responses": {200: bodies.ContentsAnswer, **_errors(404, e404=_NO_COLLECTION)},
    },
)
COLLECTION_DATASETS_ROUTES = _routes(
    "dataverses/{alias}/datasets",
    "POST",
    "dataset_create",
    {
        "summary": "Create a dataset in a collection",
        "description": "From Dataverse's native JSON (read whatever its Content-Type), with a draft version 1.0 "
        "and a new persistent id `doi:<NEXUS_DATAVERSE_PID_AUTHORITY>/<NEXUS_DATAVERSE_PID_SHOULDER><6 characters>`. "
        "By a superuser or an admin of the collection (or one above it); the creator may write to the dataset.",
        "auth": KEY_REQUIRED,
        "parameters": [COLLECTION],
        "request": {"application/json": bodies.NATIVE_DATASET},
        "responses": {
            201: bodies.CreatedDatasetAnswer,
            **_errors(
                401,
                403,
                404,
                413,
                e400=_JSON_400 + " Or a required citation field is missing.",
                e403="The caller may not add datasets to this collection.",
                e404=_NO_COLLECTION,
                e413=_JSON_413,
            ),
        },
    },
)

EDIT_METADATA_ROUTES = _routes(
    "datasets/{ident}/editMetadata",
    "PUT",
    "edit_metadata",
    {
        "summary": "Edit a dataset's metadata",
        "description": "The fields are set in the draft (made from the newest version when there is none). A field "
        "that has a value already is refused unless `replace=true` (or it takes several values: they are added).",
        "auth": KEY_REQUIRED,
        "parameters": [
            IDENT,
            PERSISTENT_ID,
            OpenApiParameter(
                "replace", OpenApiTypes.BOOL, OpenApiParameter.QUERY, description="Replace fields that have a value."
            ),
        ],
        "request": {"application/json": bodies.EDIT_METADATA},
        "responses": {
            200: OpenApiResponse(bodies.VersionAnswer, description="The draft, edited."),
            **_errors(
                401,
                403,
                404,
                413,
                e400=_JSON_400 + " Or a field that has a value, without `replace=true`.",
                e403="The caller may not edit this dataset.",
                e413=_JSON_413,
            ),
        },
    },
)
PUBLISH_ROUTES = _routes(
    "datasets/{ident}/actions/:publish",
    "POST",
    "publish",
    {
        "summary": "Publish a dataset's draft",
        "description": "`type=major` releases the draft as the next major version (1.0, 2.0...), `type=minor` as the "
        "next minor one (1.1); a first release is major.",
        "auth": KEY_REQUIRED,
        "request": None,
        "parameters": [
            IDENT,
            PERSISTENT_ID,
            OpenApiParameter(
                "type", {"type": "string", "enum": ["major", "minor"]}, OpenApiParameter.QUERY, required=True
            ),
        ],
        "responses": {
            200: OpenApiResponse(bodies.DatasetAnswer, description="The dataset, with the version released."),
            **_errors(
                401,
                403,
                404,
                e400="No draft, a `type` other than major or minor, or a first release as minor.",
                e403="The caller may not publish this dataset.",
            ),
        },
    },
)
VERSION = OpenApiParameter(
    "version",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="`:latest`, `:draft` (the dataset's writers), `:latest-published`, or a released version's number.",
    examples=[OpenApiExample("the latest", value=":latest"), OpenApiExample("a number", value="1.0")],
)
_NO_VERSION = "No such dataset or version, or none the caller may see."
VERSIONS_ROUTES = _routes(
    "datasets/{ident}/versions",
    "GET",
    "versions",
    {
        "summary": "List a dataset's versions",
        "description": "Newest first; the draft for the dataset's writers only.",
        "parameters": [IDENT, PERSISTENT_ID],
        "responses": {200: bodies.VersionsAnswer, **_errors(404)},
    },
)
VERSION_ROUTES = (
    *_routes(
        "datasets/{ident}/versions/{version}",
        "GET",
        "version_get",
        {
            "summary": "Get a dataset version",
            "parameters": [IDENT, PERSISTENT_ID, VERSION],
            "responses": {200: bodies.VersionAnswer, **_errors(404, e404=_NO_VERSION)},
        },
    ),
    *_routes(
        "datasets/{ident}/versions/{version}",
        "DELETE",
        "draft_delete",
        {
            "summary": "Delete a dataset's draft",
            "description": "Only `:draft`. The draft's files go, and their bytes where no released version has "
            "them; a dataset that had only the draft goes with it.",
            "auth": KEY_REQUIRED,
            "parameters": [IDENT, PERSISTENT_ID, VERSION],
            "responses": {
                200: OpenApiResponse(bodies.MessageAnswer, description="`Draft version of dataset deleted`."),
                **_errors(
                    401,
                    403,
                    404,
                    e400="A version other than `:draft`.",
                    e403="The caller may not delete this dataset's draft.",
                    e404="No such dataset, or it has no draft.",
                ),
            },
        },
    ),
)
VERSION_FILES_ROUTES = _routes(
    "datasets/{ident}/versions/{version}/files",
    "GET",
    "version_files",
    {
        "summary": "List a dataset version's files",
        "description": "The files the caller may see (restricted ones for the dataset's writers only).",
        "parameters": [IDENT, PERSISTENT_ID, VERSION],
        "responses": {200: bodies.FileListAnswer, **_errors(404, e404=_NO_VERSION)},
    },
)

ACCESS_DATAFILE_ROUTES = _routes(
    "access/datafile/{ident}",
    "GET",
    "access_datafile",
    {
        "summary": "Download a file",
        "description": "The bytes, streamed, with `Content-Disposition: attachment; filename=...`. A file of a draft, "
        "or a restricted one, for the dataset's writers only. Errors carry Dataverse's Access API keys "
        "`code`, `requestUrl` (without any key) and `requestMethod`.",
        "parameters": [
            FILE_ID,
            OpenApiParameter(
                "format",
                {"type": "string", "enum": ["original"]},
                OpenApiParameter.QUERY,
                description="`original`: an ingested table's upload as it was sent (the `.csv`), not its `.tab`.",
            ),
        ],
        "responses": {
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="The file's bytes."),
            **_errors(404, e404="No such file, or none the caller may see."),
        },
    },
)
