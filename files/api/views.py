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
    org_at,
    org_get,
    org_list_readable,
    project_at,
    project_get,
    project_list_readable,
    storage_get,
    storage_list,
)
from ..services import (
    file_create,
    file_deprecate,
    file_tag,
    file_tag_delete,
    file_undeprecate,
    file_update,
    label_check,
    org_create,
    org_deprecate,
    org_update,
    project_create,
    project_deprecate,
    project_update,
)
from . import bodies, params, schema, schema_registry
from .base import DeltaView, base_uri
from .routing import file_route

READ = "resources/read"
WRITE = "files/write"
ORGS_READ = "orgs/read"
ORGS_CREATE = "orgs/create"
ORGS_WRITE = "orgs/write"
PROJECTS_READ = "projects/read"
PROJECTS_CREATE = "projects/create"
PROJECTS_WRITE = "projects/write"


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


# --- /v1/orgs, /v1/projects, /v1/storages, /v1/acls ---------------------------------------------


class OrgsApi(DeltaView):
    """The orgs on which (or on `/`) the caller holds `orgs/read`."""

    openapi_routes = schema.LazyRoutes(schema_registry.org_list_routes)

    def get(self, request):
        base = base_uri(request)
        orgs = org_list_readable(user=request.user, permission=ORGS_READ)[: settings.NEXUS_DELTA_LIST_SIZE_LIMIT]
        return Response(bodies.listing([bodies.org_body(org, base, context=False) for org in orgs]))


class OrgApi(DeltaView):
    """One org: fetch (`orgs/read`, `?rev=`), create (`orgs/create`), update (`?rev=`, `orgs/write`) and
    deprecate (`orgs/write`); in Delta's order: label and `rev` (400), permission (403), then the body."""

    openapi_routes = schema.LazyRoutes(schema_registry.org_routes)

    def get(self, request, label: str):
        acl_require(user=request.user, permission=ORGS_READ, org=label)
        org = org_at(label=label, rev=params.int_param(request, "rev"))
        return Response(bodies.org_body(org, base_uri(request)))

    def put(self, request, label: str):
        label_check(label)
        rev = params.int_param(request, "rev")
        acl_require(user=request.user, permission=ORGS_WRITE if rev is not None else ORGS_CREATE, org=label)
        description = params.org_payload(request)
        if rev is None:
            org = org_create(user=request.user, label=label, description=description)
            return _org_written(request, org, status.HTTP_201_CREATED)
        org = org_update(user=request.user, label=label, rev=rev, description=description)
        return _org_written(request, org)

    def delete(self, request, label: str):
        label_check(label)
        rev = params.int_param(request, "rev")
        if rev is None:
            raise errors.invalid_org_delete(label)
        acl_require(user=request.user, permission=ORGS_WRITE, org=label)
        return _org_written(request, org_deprecate(user=request.user, label=label, rev=rev))


def _org_written(request, org, code: int = status.HTTP_200_OK) -> Response:
    return Response(bodies.org_body(org, base_uri(request), metadata=True), status=code)


class ProjectsApi(DeltaView):
    """The projects (of one org) on which, on whose org or on `/` the caller holds `projects/read`."""

    openapi_routes = schema.LazyRoutes(schema_registry.project_list_routes)

    def get(self, request, org: str | None = None):
        base = base_uri(request)
        if org is not None:
            org_get(label=org)
        limit = settings.NEXUS_DELTA_LIST_SIZE_LIMIT
        projects = project_list_readable(user=request.user, permission=PROJECTS_READ, org=org)[:limit]
        return Response(bodies.listing([bodies.project_body(p, base, context=False) for p in projects]))


class ProjectApi(DeltaView):
    """One project: fetch (`projects/read`, `?rev=`), create with its default storage (`projects/create`),
    update (`?rev=`, `projects/write`; the payload replaces `description`, `base`, `vocab`, `apiMappings`)
    and deprecate (`projects/write`)."""

    openapi_routes = schema.LazyRoutes(schema_registry.project_routes)

    def get(self, request, org: str, label: str):
        acl_require(user=request.user, permission=PROJECTS_READ, org=org, project=label)
        project = project_at(org=org, label=label, rev=params.int_param(request, "rev"))
        return Response(bodies.project_body(project, base_uri(request)))

    def put(self, request, org: str, label: str):
        label_check(org)
        label_check(label)
        rev = params.int_param(request, "rev")
        permission = PROJECTS_WRITE if rev is not None else PROJECTS_CREATE
        acl_require(user=request.user, permission=permission, org=org, project=label)
        fields = params.project_payload(request)
        if rev is None:
            project = project_create(
                user=request.user,
                org=org,
                label=label,
                base=fields.base,
                vocab=fields.vocab,
                api_mappings=fields.api_mappings,
                description=fields.description,
            )
            return _project_written(request, project, status.HTTP_201_CREATED)
        project = project_update(user=request.user, org=org, label=label, rev=rev, fields=fields)
        return _project_written(request, project)

    def delete(self, request, org: str, label: str):
        label_check(org)
        label_check(label)
        rev = params.int_param(request, "rev", required=True)
        acl_require(user=request.user, permission=PROJECTS_WRITE, org=org, project=label)
        return _project_written(request, project_deprecate(user=request.user, org=org, label=label, rev=rev))


def _project_written(request, project, code: int = status.HTTP_200_OK) -> Response:
    return Response(bodies.project_body(project, base_uri(request), metadata=True), status=code)


class StoragesApi(DeltaView):
    """A project's storages (`resources/read`), so that clients find the ids `?storage=` takes."""

    openapi_routes = schema.LazyRoutes(schema_registry.storage_list_routes)

    def get(self, request, org: str, project: str):
        acl_require(user=request.user, permission=READ, org=org, project=project)
        storages = storage_list(project=project_get(org=org, label=project))[: settings.NEXUS_DELTA_LIST_SIZE_LIMIT]
        return Response(bodies.storage_listing(storages, base_uri(request)))


class StorageApi(DeltaView):
    """One storage by its id: a CURIE (`nxv:diskStorageDefault`, `defaultStorage`), a name relative to the
    project's `base`, or the full IRI %-encoded, as in `_self`."""

    openapi_routes = schema.LazyRoutes(schema_registry.storage_routes)

    def get(self, request, org: str, project: str, id: str):
        acl_require(user=request.user, permission=READ, org=org, project=project)
        base = base_uri(request)
        storage = storage_get(project=project_get(org=org, label=project), segment=id, base_uri=base)
        return Response(bodies.storage_body(storage, base))


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
