"""The OpenAPI description of the Delta registry reads: orgs, projects and ACLs (see files.api.schema)."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

from core.openapi import Route

from . import schema_bodies as b
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


LABEL = path_parameter("label", "The organization's label.")


def org_routes() -> tuple[Route, ...]:
    return (
        _read("/v1/orgs", "delta_orgs", _limited("The organizations the caller may read"), b.DeltaOrganizationListing),
        _read(
            "/v1/orgs/{label}",
            "delta_org",
            "One organization",
            b.DeltaOrganization,
            [LABEL],
            e403=FORBIDDEN,
            e404=("OrganizationNotFound",),
        ),
    )


def project_routes() -> tuple[Route, ...]:
    return (
        _read("/v1/projects", "delta_projects", _limited("The projects the caller may read"), b.DeltaProjectListing),
        _read(
            "/v1/projects/{org}",
            "delta_org_projects",
            _limited("The organization's projects the caller may read"),
            b.DeltaProjectListing,
            [ORG],
            e404=("OrganizationNotFound",),
        ),
        _read(
            "/v1/projects/{org}/{label}",
            "delta_project",
            "One project",
            b.DeltaProject,
            [ORG, path_parameter("label", "The project's label.")],
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
