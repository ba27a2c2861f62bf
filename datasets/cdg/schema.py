"""The OpenAPI description of the Climate Data Gateway file API: its upload form, answer bodies and routes."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema_field
from rest_framework import serializers

from accounts.schema import BY_DIALECT
from core.dialects import CDG
from core.openapi import Route, error_responses

from ..models import VersionState


class GatewayFileForm(serializers.Serializer):
    """The upload's multipart form, as the seed's `curl -F file=@...` sends it (the view parses with it)."""

    file = serializers.FileField(
        allow_empty_file=True, use_url=False, help_text="The file; its name in the part is the name it is stored under."
    )


# --- Answer bodies: the dicts datasets.cdg.bodies and the views build, key for key ----------------------
@extend_schema_field({"type": "string", "enum": list(VersionState.values)})
class _StateField(serializers.CharField):
    """`draft` (pre-published) or `published`."""


class GatewayFileSerializer(serializers.Serializer):
    """A file of a version (datasets.cdg.bodies.file_body)."""

    name = serializers.CharField()
    directory_label = serializers.CharField(allow_blank=True, help_text="Empty for a file at the top level.")
    size = serializers.IntegerField(min_value=0, help_text="Bytes.")
    sha256 = serializers.CharField(help_text="Hex SHA-256 of the bytes.")
    md5 = serializers.CharField(help_text="Hex MD5 of the bytes.")
    media_type = serializers.CharField()
    download_url = serializers.URLField(
        help_text="This file's GET URL in the version form (it redirects to the bytes)."
    )


class GatewayUploadSerializer(GatewayFileSerializer):
    """The answer to an upload: the version it went into, the file, and whether it replaced one."""

    dataset = serializers.CharField(help_text="The dataset's short name.")
    version = serializers.CharField(help_text="The version's identifier (`1.0`).")
    state = _StateField()
    replaced = serializers.BooleanField(help_text="Whether a file of that name was replaced.")


class GatewayFileListSerializer(serializers.Serializer):
    """A version's files (those the caller may see)."""

    dataset = serializers.CharField(help_text="The dataset's short name.")
    version = serializers.CharField(help_text="The version's identifier.")
    state = _StateField()
    files = GatewayFileSerializer(many=True)


class GatewayPublishSerializer(serializers.Serializer):
    """A published version."""

    dataset = serializers.CharField(help_text="The dataset's short name.")
    version = serializers.CharField(help_text="The version's identifier.")
    state = _StateField()
    published_at = serializers.DateTimeField()


# --- Parameters and routes -------------------------------------------------------------------------------
SHORT_NAME = OpenApiParameter(
    "short_name",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The dataset's short name.",
    examples=[OpenApiExample("the seed's dataset", value="ncl.630.0")],
)
VERSION_ID = OpenApiParameter(
    "version_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The dataset version's identifier.",
    examples=[OpenApiExample("a second version", value="2.0")],
)
FILENAME = OpenApiParameter(
    "filename",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The file's name; a file in a directory is named by its path (`data/readme.txt`).",
    examples=[OpenApiExample("the seed's file", value="readme.txt")],
)
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[302],
    description="A temporary download link: S3's pre-signed GET, or the local storage's signed link.",
)

# Writes need a token: the dialect's placements, without the anonymous alternative AllowAny would add.
TOKEN_REQUIRED = [{name: []} for name in BY_DIALECT[CDG]]

DATASET = "/api/v1/dataset/{short_name}"
VERSION = DATASET + "/version/{version_id}"

_LATEST = (
    "The dataset form means the latest published version, or the pre-published one when none is published; "
    "the version form names the version."
)
_E404_VERSION = "No such dataset or version."
_E404_FILE = "No such dataset, version or file (a restricted file is not found for who may not see it)."


def _upload(path: str, method: str, operation_id: str, summary: str, parameters: list) -> Route:
    return Route(
        path,
        method,
        {
            "operation_id": operation_id,
            "summary": summary,
            "description": "POST and PUT do the same: the file goes into the version and replaces a file of "
            "its name. " + _LATEST,
            "auth": TOKEN_REQUIRED,
            "parameters": parameters,
            "request": {"multipart/form-data": GatewayFileForm},
            "responses": {
                201: OpenApiResponse(GatewayUploadSerializer, description="Stored (HTTP/1.1 201 Created)."),
                **error_responses(
                    CDG,
                    400,
                    401,
                    403,
                    404,
                    413,
                    415,
                    e400="No `file` part, a name with nothing usable, or a malformed form.",
                    e401="No api-token (header `authorization: api-token <token>`, or `?api-token=`), or a bad one.",
                    e403="The token's user may not write to this dataset.",
                    e404=_E404_VERSION,
                    e413="The body (its Content-Length, or the file) is larger than the upload limit.",
                    e415="The body is not multipart/form-data.",
                ),
            },
        },
    )


def _uploads() -> tuple:
    forms = (
        (DATASET + "/file.json", "", "Upload a file to a dataset", [SHORT_NAME]),
        (VERSION + "/file.json", "_version", "Upload a file to a dataset version", [SHORT_NAME, VERSION_ID]),
        # The seed's query-parameter example leaves /dataset/ out of the path.
        ("/api/v1/{short_name}/file.json", "_short", "Upload a file to a dataset (short form)", [SHORT_NAME]),
    )
    return tuple(
        _upload(path, method, f"gateway_upload{suffix}{'_put' if method == 'PUT' else ''}", summary, parameters)
        for path, suffix, summary, parameters in forms
        for method in ("POST", "PUT")
    )


UPLOAD_ROUTES = _uploads()


def _list(path: str, operation_id: str, parameters: list) -> Route:
    return Route(
        path,
        "GET",
        {
            "operation_id": operation_id,
            "summary": "List a version's files",
            "description": "A published version is public; a pre-published one is listed to the dataset's "
            "writers only. Restricted files are listed to the writers only. " + _LATEST,
            "parameters": parameters,
            "responses": {
                200: GatewayFileListSerializer,
                **error_responses(
                    CDG,
                    401,
                    403,
                    404,
                    e401="The version is not published and no api-token was given (or a bad one).",
                    e403="The version is not published and the token's user does not write to the dataset.",
                    e404=_E404_VERSION,
                ),
            },
        },
    )


LIST_ROUTES = (
    _list(DATASET + "/files.json", "gateway_files", [SHORT_NAME]),
    _list(VERSION + "/files.json", "gateway_version_files", [SHORT_NAME, VERSION_ID]),
)

PUBLISH_ROUTES = (
    Route(
        VERSION + "/publish.json",
        "POST",
        {
            "operation_id": "gateway_version_publish",
            "summary": "Publish a dataset version",
            "description": "Publishing a published version changes nothing and answers the same.",
            "auth": TOKEN_REQUIRED,
            "parameters": [SHORT_NAME, VERSION_ID],
            "request": None,
            "responses": {
                200: GatewayPublishSerializer,
                **error_responses(
                    CDG,
                    401,
                    403,
                    404,
                    e403="The token's user may not write to this dataset.",
                    e404=_E404_VERSION,
                ),
            },
        },
    ),
)


def _download(path: str, operation_id: str, parameters: list) -> Route:
    return Route(
        path,
        "GET",
        {
            "operation_id": operation_id,
            "summary": "Download a file (a redirect to a temporary link)",
            "description": "Answers 302 to a temporary link to the bytes. " + _LATEST,
            "parameters": [*parameters, LOCATION],
            "responses": {
                302: OpenApiResponse(None, description="Found: `Location` is the download link."),
                **error_responses(
                    CDG,
                    401,
                    403,
                    404,
                    e401="The version is not published and no api-token was given (or a bad one).",
                    e403="The version is not published and the token's user does not write to the dataset.",
                    e404=_E404_FILE,
                ),
            },
        },
    )


def _delete(path: str, operation_id: str, parameters: list) -> Route:
    return Route(
        path,
        "DELETE",
        {
            "operation_id": operation_id,
            "summary": "Delete a file from a version",
            "description": "Only this version loses the file; other versions keep theirs. " + _LATEST,
            "auth": TOKEN_REQUIRED,
            "parameters": parameters,
            "responses": {
                204: OpenApiResponse(None, description="Deleted."),
                **error_responses(
                    CDG, 401, 403, 404, e403="The token's user may not write to this dataset.", e404=_E404_FILE
                ),
            },
        },
    )


FILE_ROUTES = (
    _download(DATASET + "/file/{filename}", "gateway_file_download", [SHORT_NAME, FILENAME]),
    _delete(DATASET + "/file/{filename}", "gateway_file_delete", [SHORT_NAME, FILENAME]),
    _download(VERSION + "/file/{filename}", "gateway_version_file_download", [SHORT_NAME, VERSION_ID, FILENAME]),
    _delete(VERSION + "/file/{filename}", "gateway_version_file_delete", [SHORT_NAME, VERSION_ID, FILENAME]),
)
