"""The OpenAPI description of the local storage's signed links (plain Django views, see blobs.views)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.views import APIView

from core.dialects import NEXUS
from core.openapi import Route, describes_plain_view, error_ref

_TEXT = {"type": "string", "description": "Why the link was refused, as plain text."}
_SIGNED = OpenApiParameter(
    "signed", OpenApiTypes.STR, OpenApiParameter.PATH, description="The signature the server handed out."
)
_ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description="The ETag of the bytes: their SHA-256 for a download, the object's or part's for a PUT (as S3).",
)


@describes_plain_view
class SignedLinksSchema(APIView):
    """Only the OpenAPI document uses this class. On local storage, the expiring links the dialects hand
    out (a download, a direct upload's PUT) point here; on S3 they are S3's pre-signed URLs instead."""

    openapi_routes = (
        Route(
            "/blobs/download/{signed}/{filename}",
            "GET",
            {
                "operation_id": "blobs_download",
                "summary": "A signed download link: the bytes, streamed, as an attachment.",
                "auth": [],
                "parameters": [
                    _SIGNED,
                    OpenApiParameter("filename", OpenApiTypes.STR, OpenApiParameter.PATH),
                    _ETAG,
                ],
                "responses": {
                    # Served under the media type the bytes were stored with, whatever it is.
                    (200, "*/*"): OpenApiResponse(
                        OpenApiTypes.BINARY,
                        description="The bytes, under their stored media type; ETag is their SHA-256.",
                    ),
                    (403, "text/plain"): OpenApiResponse(_TEXT, description="Bad signature, expired, or gone."),
                },
            },
        ),
        Route(
            "/blobs/direct/{signed}",
            "PUT",
            {
                "operation_id": "blobs_direct_put",
                "summary": "A pre-signed PUT of a direct upload: the whole object or one part, as S3 takes it.",
                "auth": [],
                "parameters": [_SIGNED, _ETAG],
                "request": {"application/octet-stream": OpenApiTypes.BINARY},
                "responses": {
                    200: OpenApiResponse(None, description="Stored; the ETag header names the bytes."),
                    (400, "text/plain"): OpenApiResponse(_TEXT, description="The body is not the size granted."),
                    (400, "application/json"): OpenApiResponse(error_ref(NEXUS), description="A malformed path."),
                    (403, "text/plain"): OpenApiResponse(_TEXT, description="Bad signature or expired."),
                    (404, "text/plain"): OpenApiResponse(_TEXT, description="The multipart upload is gone."),
                    (411, "text/plain"): OpenApiResponse(_TEXT, description="No Content-Length."),
                },
            },
        ),
    )
