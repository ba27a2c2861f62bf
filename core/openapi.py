"""The OpenAPI document's shared parts: tags by dialect, each dialect's error body, the statuses every
operation can answer, and the routes a view documents itself (aliases, sub-resources, plain views)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view

from .dialects import CDG, DATAVERSE, DELTA, NEXUS, dialect_for_path

# Tag names are the contract of the issue (grouping in Swagger UI and ReDoc); each links its README section.
NEXUS_UPLOADS = "Nexus uploads"
SYNC_TASKS = "Sync tasks"
DELTA_FILES = "Nexus Delta files"
GATEWAY = "Climate Data Gateway"
DATAVERSE_TAG = "Dataverse"
OPERATIONS = "Operations"

TAGS = [
    {
        "name": NEXUS_UPLOADS,
        "description": "Uploads of a data source's files, their ingest status and the stored data read back. "
        "See the README, section [Nexus uploads](README.md#nexus-uploads).",
    },
    {
        "name": SYNC_TASKS,
        "description": "The catalog of sync tasks, their uploads and on-demand harvests. "
        "See the README, section [Sync tasks](README.md#sync-tasks).",
    },
    {
        "name": DELTA_FILES,
        "description": "Nexus Delta's files API: files with revisions and tags, orgs, projects, storages, ACLs. "
        "See the README, section [Nexus Delta files](README.md#nexus-delta-files).",
    },
    {
        "name": GATEWAY,
        "description": "The Climate Data Gateway file API: dataset and version files. "
        "See the README, section [Climate Data Gateway file API](README.md#climate-data-gateway-file-api).",
    },
    {
        "name": DATAVERSE_TAG,
        "description": "Dataverse direct and native upload, registration and dataset reads, under /api/ and "
        "/api/v1/. See the README, section [Dataverse direct upload](README.md#dataverse-direct-upload).",
    },
    {
        "name": OPERATIONS,
        "description": "Health and readiness, and the local storage's signed links. "
        "See the README, section [Operations](README.md#operations-the-worker-and-its-outages).",
    },
]


def tag_for_path(path: str) -> str:
    """The tag of a documented path: its dialect, with Nexus split into uploads and the catalog."""
    if path in ("/healthz", "/readyz") or path.startswith(("/blobs/", "/api/schema", "/api/docs", "/api/redoc")):
        return OPERATIONS
    dialect = dialect_for_path(path)
    if dialect == DELTA:
        return DELTA_FILES
    if dialect == CDG:
        return GATEWAY
    if dialect == DATAVERSE:
        return DATAVERSE_TAG
    if path.startswith(("/api/v1/sync_tasks", "/api/v1/data_sources")):
        return SYNC_TASKS
    return NEXUS_UPLOADS


# --- Error bodies, one per dialect (core.dialects.error_body writes them) ------------------------------
# The fixed values are components of their own: drf-spectacular's enum hook would otherwise name them
# after the property (`@contextEnum` is no valid component name) and rewrite this dict in place, so
# that a second generation in the same process would miss the components it refers to.
ERROR_SCHEMAS = {
    "DeltaErrorContext": {"type": "string", "enum": ["https://bluebrain.github.io/nexus/contexts/error.json"]},
    "DataverseErrorStatus": {"type": "string", "enum": ["ERROR"]},
    "NexusError": {
        "type": "object",
        "description": "DRF's error body: `detail`, or for a refused field `{field: [messages]}`.",
        "properties": {"detail": {"type": "string"}},
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
    },
    "DeltaError": {
        "type": "object",
        "description": "Nexus Delta's JSON-LD error: its `@type` names the refusal, `reason` says why.",
        "properties": {
            "@context": {"$ref": "#/components/schemas/DeltaErrorContext"},
            "@type": {"type": "string", "example": "ResourceNotFound"},
            "reason": {"type": "string"},
            "details": {"type": "string"},
        },
        "required": ["@context", "@type", "reason"],
    },
    "GatewayError": {
        "type": "object",
        "description": "The Climate Data Gateway's error body.",
        "properties": {"error": {"type": "string"}},
        "required": ["error"],
    },
    "DataverseError": {
        "type": "object",
        "description": "Dataverse's error body; the Access API's (`/api/access/...`) adds `code`, `requestUrl` "
        "(without any key) and `requestMethod`.",
        "properties": {
            "status": {"$ref": "#/components/schemas/DataverseErrorStatus"},
            "code": {"type": "integer"},
            "message": {"type": "string"},
            "requestUrl": {"type": "string"},
            "requestMethod": {"type": "string"},
        },
        "required": ["status", "message"],
    },
}
ERROR_COMPONENT = {NEXUS: "NexusError", DELTA: "DeltaError", CDG: "GatewayError", DATAVERSE: "DataverseError"}
ERROR_MEDIA_TYPE = {NEXUS: "application/json", DELTA: "application/ld+json", CDG: "application/json"}
ERROR_MEDIA_TYPE[DATAVERSE] = "application/json"

# What a status means, when an operation does not say more of it.
STATUS_TEXT = {
    400: "The request is refused: a parameter, the path or the body is not valid.",
    401: "The token given is unknown, revoked or expired (or none was given where one is needed).",
    403: "The token's user may not do this.",
    404: "No such resource (or not one the caller may see).",
    405: "The method is not allowed here.",
    406: "No acceptable representation.",
    409: "The request conflicts with the resource's state.",
    413: "The body is larger than the limit.",
    415: "The body's media type is not accepted.",
    422: "The request is well-formed but cannot be processed as sent.",
    429: "Too many requests for this token (or, without one, this address); `Retry-After` says when to retry.",
    500: "An unexpected error: the server's log has the details.",
    503: "A dependency (database, broker or storage) is unavailable; `Retry-After` says when to retry.",
}


def error_ref(dialect: str) -> dict:
    return {"$ref": f"#/components/schemas/{ERROR_COMPONENT[dialect]}"}


def error_responses(dialect: str, *statuses: int, **descriptions: str) -> dict:
    """`extend_schema(responses=...)` entries for errors in the dialect's shape and media type;
    `descriptions` overrides the text by status (`e404="No such dataset."`)."""
    media_type = ERROR_MEDIA_TYPE[dialect]
    return {
        (status, media_type): OpenApiResponse(
            response=error_ref(dialect), description=descriptions.get(f"e{status}", STATUS_TEXT.get(status, ""))
        )
        for status in statuses
    }


# --- Documented routes ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Route:
    """One documented operation of a view: its path as clients write it (Dataverse's /api/v1/ alias, a
    Delta sub-resource inside the raw id, no trailing slash where the dialect has none) and the
    `extend_schema` arguments describing it."""

    path: str
    method: str
    schema: dict = field(default_factory=dict)


# Plain Django views (health, signed links) are not DRF views, so the generator never sees them: each is
# described by a DRF view class that only the schema uses, registered here with its routes.
_PLAIN_VIEWS: list[type] = []


def describes_plain_view(cls: type) -> type:
    """Registers a schema-only DRF view class whose `openapi_routes` describe a plain Django view."""
    _PLAIN_VIEWS.append(cls)
    return cls


def _endpoints_of(cls, routes: Iterable[Route], regex: str) -> list[tuple]:
    endpoints = []
    for route in routes:
        method = route.method.lower()
        namespace = {"__module__": cls.__module__, "__doc__": cls.__doc__}
        if not hasattr(cls, method):
            # A schema-only class (a plain view's description) has no handler: the generator needs one.
            # A fresh function each time: extend_schema marks the function it decorates.
            namespace[method] = _never_called()
        described = extend_schema_view(**{method: extend_schema(**route.schema)})(type(cls.__name__, (cls,), namespace))
        endpoints.append((route.path, regex, route.method.upper(), described.as_view()))
    return endpoints


def _never_called():
    def handler(self, request, *args, **kwargs):
        raise AssertionError("a schema-only view is never routed")

    return handler


def documented_endpoints(endpoints):
    """drf-spectacular preprocessing hook: a view with `openapi_routes` is documented by exactly those
    routes (none for a catch-all, several for one view serving aliases or sub-resources); the plain
    views registered above are added; every other endpoint stays as discovered."""
    result, expanded = [], set()
    for path, regex, method, callback in endpoints:
        cls = getattr(callback, "cls", None)
        routes = getattr(cls, "openapi_routes", None)
        if routes is None:
            result.append((path, regex, method, callback))
            continue
        if cls not in expanded:
            expanded.add(cls)
            result.extend(_endpoints_of(cls, routes, regex))
    for cls in _PLAIN_VIEWS:
        result.extend(_endpoints_of(cls, cls.openapi_routes, ""))
    return result


# --- Statuses every operation can answer ------------------------------------------------------------
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def common_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook: every operation gets its dialect's tag and, unless it says
    otherwise, the errors any request can meet in its dialect's shape: 400 (the input guard refuses a
    malformed path or parameter before any view runs), 401 (a token that is given but wrong is refused
    even where none is needed), 429 (the rate limits, on DRF's views: not on the signed links), 500 and 503."""
    for path, item in result.get("paths", {}).items():
        dialect = dialect_for_path(path)
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operation["tags"] = [tag_for_path(path)]
            # No requirement listed is a public operation: said explicitly, whatever a global default.
            operation.setdefault("security", [])
            responses = operation.setdefault("responses", {})
            if tag_for_path(path) == OPERATIONS and path in ("/healthz", "/readyz"):
                continue
            throttled = () if path.startswith("/blobs/") else (429,)
            for status in (400, 401, *throttled, 500, 503):
                responses.setdefault(str(status), _error_response(dialect, status))
            for status, header in _HEADERS.items():
                if str(status) in responses:
                    responses[str(status)].setdefault("headers", header)
    return result


def _error_response(dialect: str, status: int) -> dict:
    return {
        "description": STATUS_TEXT[status],
        "content": {ERROR_MEDIA_TYPE[dialect]: {"schema": error_ref(dialect)}},
    }


_RETRY_AFTER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds until a retry may work."}
}
# The headers core.exceptions sets on these statuses, whichever dialect.
_HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string", "enum": ["Token"]}, "description": "The scheme."}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}
