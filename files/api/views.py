"""The Delta dialect's views: each parses the request, calls one service or selector, renders the answer."""

from django.conf import settings
from django.http import StreamingHttpResponse
from rest_framework import status
from rest_framework.response import Response

from .. import errors
from ..selectors import (
    acl_list_visible,
    acl_require,
    file_content_open,
    file_get,
    file_iri,
    file_page,
    file_state,
    file_state_at,
    file_tags,
    org_get,
    org_list_readable,
    project_get,
    project_list_readable,
)
from ..services import (
    file_create,
    file_deprecate,
    file_tag,
    file_tag_delete,
    file_undeprecate,
    file_update,
)
from . import bodies, params, schema, schema_registry
from .base import DeltaView, base_uri
from .routing import file_route

READ = "resources/read"
WRITE = "files/write"
ORGS_READ = "orgs/read"
PROJECTS_READ = "projects/read"


def _metadata(request, file, *, created: bool = False) -> Response:
    body = bodies.file_body(file_state(file), base_uri=base_uri(request))
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _write_access(request, org: str, project: str) -> None:
    """Tag, untag, deprecate, undeprecate: `files/write` comes before `rev` and the body (403 first)."""
    acl_require(user=request.user, permission=WRITE, org=org, project=project)


# --- /v1/files/{org}/{project} --------------------------------------------------------------------


class FilesApi(DeltaView):
    """POST creates a file with a generated id; GET lists the project's files."""

    openapi_routes = schema.LazyRoutes(schema.files_routes)

    def post(self, request, org: str, project: str):
        params.no_rev_on_create(request)
        file = file_create(
            user=request.user,
            org=org,
            project=project,
            segment=None,
            storage_segment=request.query_params.get("storage"),
            tag=request.query_params.get("tag"),
            base_uri=base_uri(request),
            read_content=params.content_reader(request),
        )
        return _metadata(request, file, created=True)

    def get(self, request, org: str, project: str):
        acl_require(user=request.user, permission=READ, org=org, project=project)
        project_row = project_get(org=org, label=project)
        base = base_uri(request)
        window = params.list_window(request)
        query = params.file_query(request, project_row, base)
        page = file_page(project=project_row, query=query, offset=window.offset, size=window.size, after=window.after)
        return Response(
            bodies.file_listing_body(page, params=request.query_params, base_uri=base, org=org, project=project)
        )


# --- /v1/files/{org}/{project}/{id}[/tags[/{tag}] | /undeprecate] --------------------------------


class FileApi(DeltaView):
    """One file: fetch (metadata or content), create with id / update, deprecate, tags, undeprecate."""

    openapi_routes = schema.LazyRoutes(schema.file_routes)

    def get(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        if tag_name is not None or suffix not in (None, "tags"):
            raise errors.route_not_found()
        metadata = params.wants_metadata(request, suffix)
        # Metadata and tags need `resources/read` first; the content only the storage's read
        # permission, checked once the file (and so its storage) is known, as the reference does.
        if metadata:
            acl_require(user=request.user, permission=READ, org=org, project=project)
        rev, tag = params.rev_or_tag(request)
        project_row = project_get(org=org, label=project)
        base = base_uri(request)
        file = file_get(project=project_row, iri=file_iri(project=project_row, segment=segment, base_uri=base))
        state = file_state_at(file=file, rev=rev, tag=tag)
        if suffix == "tags":
            return Response(bodies.tags_body(file_tags(state=state)), headers=bodies.VARY)
        if metadata:
            return Response(bodies.file_body(state, base_uri=base), headers=bodies.VARY)
        acl_require(user=request.user, permission=state.storage.read_permission, org=org, project=project)
        if not params.accepts(request, state.media_type):
            raise errors.not_acceptable(state.media_type.split(";", 1)[0].strip())
        # Opened before the response starts, so that missing bytes are an error body, not a cut reply.
        reader = file_content_open(state=state)
        response = StreamingHttpResponse(bodies.Chunks(reader), content_type=state.media_type)
        response["Content-Length"] = str(state.blob.size)
        response["Content-Disposition"] = bodies.content_disposition(state.filename)
        response["Vary"] = bodies.VARY["Vary"]
        return response

    def put(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        base = base_uri(request)
        if suffix == "undeprecate" and tag_name is None:
            _write_access(request, org, project)
            rev = params.int_param(request, "rev", required=True)
            file = file_undeprecate(
                user=request.user, org=org, project=project, segment=segment, rev=rev, base_uri=base
            )
            return _metadata(request, file)
        if suffix is not None:
            raise errors.route_not_found()
        rev = params.int_param(request, "rev")
        common = {
            "user": request.user,
            "org": org,
            "project": project,
            "segment": segment,
            "storage_segment": request.query_params.get("storage"),
            "tag": request.query_params.get("tag"),
            "base_uri": base,
            "read_content": params.content_reader(request),
        }
        if rev is None:
            return _metadata(request, file_create(**common), created=True)
        return _metadata(request, file_update(rev=rev, **common))

    def post(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        if suffix != "tags" or tag_name is not None:
            raise errors.route_not_found()
        _write_access(request, org, project)
        rev = params.int_param(request, "rev", required=True)
        tag, tag_rev = params.tag_payload(request)
        file = file_tag(
            user=request.user,
            org=org,
            project=project,
            segment=segment,
            rev=rev,
            tag=tag,
            tag_rev=tag_rev,
            base_uri=base_uri(request),
        )
        return _metadata(request, file, created=True)

    def delete(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        base = base_uri(request)
        if suffix == "tags" and tag_name is not None:
            _write_access(request, org, project)
            rev = params.int_param(request, "rev", required=True)
            file = file_tag_delete(
                user=request.user, org=org, project=project, segment=segment, rev=rev, tag=tag_name, base_uri=base
            )
            return _metadata(request, file)
        # The seed's deprecation example is `DELETE .../{id}/tags?rev=N` (no tag name): it deprecates too.
        if suffix not in (None, "tags"):
            raise errors.route_not_found()
        _write_access(request, org, project)
        rev = params.int_param(request, "rev", required=True)
        file = file_deprecate(user=request.user, org=org, project=project, segment=segment, rev=rev, base_uri=base)
        return _metadata(request, file)


class RouteNotFoundApi(DeltaView):
    """Any other /v1/ path (e.g. `/v1/files/{org}`, `/v1/resources/...`): the reference's 404."""

    openapi_routes = ()  # a catch-all: no operation of its own

    def _not_found(self, request, *args, **kwargs):
        raise errors.route_not_found()

    get = post = put = patch = delete = head = options = _not_found


# --- /v1/orgs, /v1/projects, /v1/acls (reads; writes are admin pages) ----------------------------


class OrgsApi(DeltaView):
    """`orgs/read` on the org (or `/`), as Delta: one org 403 without it, listings show only those."""

    openapi_routes = schema.LazyRoutes(schema_registry.org_routes)

    def get(self, request, label: str | None = None):
        base = base_uri(request)
        if label is not None:
            acl_require(user=request.user, permission=ORGS_READ, org=label)
            return Response(bodies.one(bodies.org_body(org_get(label=label), base)))
        orgs = org_list_readable(user=request.user, permission=ORGS_READ)[: settings.NEXUS_DELTA_LIST_SIZE_LIMIT]
        return Response(bodies.listing([bodies.org_body(org, base) for org in orgs]))


class ProjectsApi(DeltaView):
    """`projects/read` on the project (or its org, or `/`); listings show only those."""

    openapi_routes = schema.LazyRoutes(schema_registry.project_routes)

    def get(self, request, org: str | None = None, label: str | None = None):
        base = base_uri(request)
        if label is not None:
            acl_require(user=request.user, permission=PROJECTS_READ, org=org, project=label)
            return Response(bodies.one(bodies.project_body(project_get(org=org, label=label), base)))
        if org is not None:
            org_get(label=org)
        limit = settings.NEXUS_DELTA_LIST_SIZE_LIMIT
        projects = project_list_readable(user=request.user, permission=PROJECTS_READ, org=org)[:limit]
        return Response(bodies.listing([bodies.project_body(p, base) for p in projects]))


class AclsApi(DeltaView):
    """GET /v1/acls/{path}[?ancestors=true]: with `acls/read` on the path every entry, otherwise only
    the caller's own (as the reference server does)."""

    openapi_routes = schema.LazyRoutes(schema_registry.acl_routes)

    def get(self, request, path: str = ""):
        base = base_uri(request)
        acl_path = params.acl_path(path)
        ancestors = params.parse_bool("ancestors", request.query_params.get("ancestors")) or False
        acls = acl_list_visible(user=request.user, path=acl_path, ancestors=ancestors)
        return Response(bodies.acls_body(acls, base))
