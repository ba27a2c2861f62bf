"""Which upload dialect a request speaks, and each dialect's one error shape."""

import re

from django.http import JsonResponse

NEXUS = "nexus"
DELTA = "delta"
CDG = "cdg"
DATAVERSE = "dataverse"

DELTA_ERROR_CONTEXT = "https://bluebrain.github.io/nexus/contexts/error.json"

# The generic Delta `@type` for a status when the raiser named none.
_DELTA_TYPES = {
    400: "MalformedRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "ResourceAlreadyExists",
    413: "FileTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
    500: "UnexpectedError",
    503: "ServiceUnavailable",
}

# What each dialect says of a bug (the traceback goes to the log, never to the client).
UNEXPECTED = {
    NEXUS: "Internal server error",
    DELTA: "The system experienced an unexpected error, please try again later.",
    CDG: "Internal server error",
    DATAVERSE: "Internal server error. More details available at the server logs.",
}
NOT_FOUND = {
    NEXUS: "Not found.",
    DELTA: "The requested resource does not exist.",
    CDG: "Not found.",
    DATAVERSE: "API endpoint does not exist on this server.",
}


# Dataverse's server info, also under the doubled slash (/api//info/version) that one client writes.
_DATAVERSE_INFO = re.compile(r"/api/+(?:v1/+)?info(?:/|$)")


_DATAVERSE_ROOTS = tuple(
    f"/api/{v}{root}/" for v in ("", "v1/") for root in ("datasets", "files", "dataverses", "access")
)


def dialect_for_path(path: str) -> str:
    """The dialect a URL belongs to, by its root (see DESIGN.md's table)."""
    if path.startswith("/v1/"):
        return DELTA
    if path.startswith(_DATAVERSE_ROOTS):
        return DATAVERSE
    if _DATAVERSE_INFO.match(path):
        return DATAVERSE
    if path.startswith("/api/v1/dataset/") or (
        path.startswith("/api/v1/") and path.endswith(("/file.json", "/files.json"))
    ):
        return CDG
    return NEXUS


def error_body(dialect: str, *, status: int, message, type: str | None = None, field=None):
    """The JSON body of an error in the dialect's shape."""
    if dialect == DELTA:
        return {
            "@context": DELTA_ERROR_CONTEXT,
            "@type": type or _DELTA_TYPES.get(status, "UnexpectedError"),
            "reason": message,
        }
    if dialect == DATAVERSE:
        return {"status": "ERROR", "message": message}
    if dialect == CDG:
        return {"error": message}
    if field:
        return {field: [message]}
    return {"detail": message}


def error_response(
    path: str, *, status: int, message: str, type: str | None = None, dialect: str | None = None, headers=None
) -> JsonResponse:
    """A plain Django response for errors outside DRF's views (middleware, plain views, handlers)."""
    dialect = dialect or dialect_for_path(path)
    content_type = "application/ld+json" if dialect == DELTA else "application/json"
    return JsonResponse(
        error_body(dialect, status=status, message=message, type=type),
        status=status,
        content_type=content_type,
        headers=headers,
    )
