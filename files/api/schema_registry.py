"""The OpenAPI description of the Delta registry: orgs, projects, storages and ACLs (see files.api.schema)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from core.openapi import Route

from . import schema_bodies as b
from . import schema_registry_bodies as rb
from .schema import FORBIDDEN, JSONLD, ORG, PROJECT, QUERY, errors, path_parameter


# --- /v1/orgs, /v1/projects, /v1/acls --------------------------------------------------------------
def _read(path: str, operation_id: str, summary: str, body, parameters=(), **codes) -> Route:
    if any(p.location == OpenApiParameter.PATH for p in parameters):
        # A label holding control characters names nothing: the route's 404.
        codes["e404"] = (*codes.get("e404", ()), "ResourceNotFound")
    return Route(
        path,
        "GET",
        {
            "operation_id": operation_id,
            "summary": summary,
            "parameters": list(parameters),
            "responses": {(200, JSONLD): OpenApiResponse(body, description=summary + "."), **errors(**codes)},
        },
    )


def _limited(text: str) -> str:
    return f"{text} (at most {settings.NEXUS_DELTA_LIST_SIZE_LIMIT})"


LABEL = path_parameter("label", "The organization's label (`[a-zA-Z0-9_-]{1,64}`).")
PROJECT_LABEL = path_parameter("label", "The project's label (`[a-zA-Z0-9_-]{1,64}`).")
REV_AT = OpenApiParameter(
    "rev", {"type": "integer", "format": "int32", "minimum": 1}, QUERY, description="The revision to read."
)
REV_UPDATE = OpenApiParameter(
    "rev",
    {"type": "integer", "format": "int32"},
    QUERY,
    description="Absent: create (201). The current revision: update (200; 409 `IncorrectRev` if it is not).",
)
REV_NOW = OpenApiParameter(
    "rev",
    {"type": "integer", "format": "int32"},
    QUERY,
    required=True,
    description="The current revision (optimistic locking): 409 `IncorrectRev` if it is not.",
)
_WRITE_400 = ("ValidationRejection", "MalformedQueryParamRejection")
_BODY_400 = ("RequestEntityExpectedRejection", "MalformedRequestContentRejection")


def _write(path: str, method: str, operation_id: str, summary: str, description: str, **more) -> Route:
    body, created = more.pop("body"), more.pop("created", False)
    responses = {(200, JSONLD): OpenApiResponse(body, description="Written: the new revision's metadata.")}
    if created:
        responses[(201, JSONLD)] = OpenApiResponse(body, description="Created at revision 1.")
    schema = {
        "operation_id": operation_id,
        "summary": summary,
        "description": description,
        "parameters": more.pop("parameters"),
        "responses": {**responses, **errors(**more.pop("codes"))},
    }
    if "request" in more:
        schema["request"] = more.pop("request")
    return Route(path, method, schema)


def org_list_routes() -> tuple[Route, ...]:
    return (
        _read("/v1/orgs", "delta_orgs", _limited("The organizations the caller may read"), rb.DeltaOrganizationListing),
    )


_ORG_CODES = {"e403": FORBIDDEN, "e404": ("OrganizationNotFound",), "e409": ("IncorrectRev",)}


def org_routes() -> tuple[Route, ...]:
    path = "/v1/orgs/{label}"
    return (
        _read(
            path,
            "delta_org",
            "One organization",
            rb.DeltaOrganization,
            [LABEL, REV_AT],
            e400=("MalformedQueryParamRejection",),
            e403=FORBIDDEN,
            e404=("OrganizationNotFound", "RevisionNotFound"),
        ),
        _write(
            path,
            "PUT",
            "delta_org_put",
            "Create an organization, or update its description (`rev`)",
            "Creating needs `orgs/create`, updating `orgs/write` (on the org or `/`).",
            body=rb.DeltaOrganizationMetadata,
            created=True,
            parameters=[LABEL, REV_UPDATE],
            request={"application/json": rb.DeltaOrganizationPayload},
            codes={
                **_ORG_CODES,
                "e400": (*_WRITE_400, *_BODY_400, "OrganizationIsDeprecated"),
                "e409": ("OrganizationAlreadyExists", "IncorrectRev"),
            },
        ),
        _write(
            path,
            "DELETE",
            "delta_org_deprecate",
            "Deprecate an organization",
            "No more writes to it, nor to its projects and their files. Needs `orgs/write`.",
            body=rb.DeltaOrganizationMetadata,
            parameters=[LABEL, REV_NOW],
            codes={**_ORG_CODES, "e400": (*_WRITE_400, "InvalidDeleteRequest", "OrganizationIsDeprecated")},
        ),
    )


def project_list_routes() -> tuple[Route, ...]:
    return (
        _read("/v1/projects", "delta_projects", _limited("The projects the caller may read"), rb.DeltaProjectListing),
        _read(
            "/v1/projects/{org}",
            "delta_org_projects",
            _limited("The organization's projects the caller may read"),
            rb.DeltaProjectListing,
            [ORG],
            e404=("OrganizationNotFound",),
        ),
    )


_PROJECT_404 = ("OrganizationNotFound", "ProjectNotFound")


def project_routes() -> tuple[Route, ...]:
    path = "/v1/projects/{org}/{label}"
    deprecated = ("OrganizationIsDeprecated", "ProjectIsDeprecated")
    return (
        _read(
            path,
            "delta_project",
            "One project",
            rb.DeltaProject,
            [ORG, PROJECT_LABEL, REV_AT],
            e400=("MalformedQueryParamRejection",),
            e403=FORBIDDEN,
            e404=("ProjectNotFound", "RevisionNotFound"),
        ),
        _write(
            path,
            "PUT",
            "delta_project_put",
            "Create a project with its default storage, or update it (`rev`)",
            "Creating needs `projects/create`, updating `projects/write` (on the project, its org or `/`). A "
            "new project gets its default disk storage `nxv:diskStorageDefault`. An update replaces "
            "`description`, `base`, `vocab` and `apiMappings`.",
            body=rb.DeltaProjectMetadata,
            created=True,
            parameters=[ORG, PROJECT_LABEL, REV_UPDATE],
            request={"application/json": rb.DeltaProjectPayload},
            codes={
                "e400": (*_WRITE_400, *_BODY_400, *deprecated),
                "e403": FORBIDDEN,
                "e404": _PROJECT_404,
                "e409": ("ProjectAlreadyExists", "IncorrectRev"),
            },
        ),
        _write(
            path,
            "DELETE",
            "delta_project_deprecate",
            "Deprecate a project",
            "No more writes to it nor to its files. Needs `projects/write`.",
            body=rb.DeltaProjectMetadata,
            parameters=[ORG, PROJECT_LABEL, REV_NOW],
            codes={
                "e400": (*_WRITE_400, "MissingQueryParam", *deprecated),
                "e403": FORBIDDEN,
                "e404": _PROJECT_404,
                "e409": ("IncorrectRev",),
            },
        ),
    )


def storage_list_routes() -> tuple[Route, ...]:
    return (
        _read(
            "/v1/storages/{org}/{project}",
            "delta_storages",
            _limited("A project's storages"),
            rb.DeltaStorageListing,
            [ORG, PROJECT],
            e403=FORBIDDEN,
            e404=("ProjectNotFound",),
        ),
    )


def storage_routes() -> tuple[Route, ...]:
    storage_id = path_parameter(
        "id",
        "The storage's id: a CURIE (`nxv:diskStorageDefault`, `defaultStorage`), a name relative to the "
        "project's `base`, or the full IRI %-encoded, as in `_self`.",
    )
    return (
        _read(
            "/v1/storages/{org}/{project}/{id}",
            "delta_storage",
            "One storage (needs `resources/read`)",
            rb.DeltaStorage,
            [ORG, PROJECT, storage_id],
            e403=FORBIDDEN,
            e404=("ProjectNotFound",),
        ),
    )


ANCESTORS = OpenApiParameter(
    "ancestors",
    OpenApiTypes.BOOL,
    QUERY,
    default=False,
    description="Also the lists of the ancestor paths (`/`, `/{org}`).",
)


def acl_routes() -> tuple[Route, ...]:
    summary = "Access control lists"
    return (
        _read("/v1/acls", "delta_acls", summary + " of `/`", b.DeltaAclListing, [ANCESTORS]),
        _read("/v1/acls/{org}", "delta_acls_org", summary + " of `/{org}`", b.DeltaAclListing, [ORG, ANCESTORS]),
        _read(
            "/v1/acls/{org}/{project}",
            "delta_acls_project",
            summary + " of `/{org}/{project}`",
            b.DeltaAclListing,
            [ORG, PROJECT, ANCESTORS],
        ),
    )
