"""HTTP endpoints of the Nexus Delta files API (/v1/files) and its minimal orgs, projects and ACLs reads."""

import base64
import json
import logging
import math
import re
from urllib.parse import quote, unquote, urlencode, urlsplit

from django.http import StreamingHttpResponse
from rest_framework import status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from blobs.services import BlobTooLarge
from blobs.uploadhandler import BlobUploadHandler
from core.dialects import DELTA
from core.errors import InvalidInput
from core.exceptions import exception_handler
from core.input_guard import parse_int
from core.parsers import StreamingMultiPartParser

from . import errors
from .errors import DeltaError
from .iris import expand_type, file_self, project_base, project_vocab, subject_from_iri, subject_iri
from .models import Acl, Org, Project, Storage, StorageType
from .selectors import (
    FileQuery,
    FileState,
    acl_list,
    acl_permissions,
    acl_require,
    file_content_open,
    file_get,
    file_iri,
    file_list,
    file_state,
    file_state_at,
    file_tags,
    org_get,
    org_list_readable,
    project_get,
    project_list_readable,
    tag_is_valid,
)
from .services import (
    file_create,
    file_deprecate,
    file_link_content,
    file_tag,
    file_tag_delete,
    file_undeprecate,
    file_update,
    file_upload_content,
    file_write_limit,
)

RESOURCE_CONTEXT = "https://bluebrain.github.io/nexus/contexts/resource.json"
SEARCH_CONTEXT = "https://bluebrain.github.io/nexus/contexts/search.json"
TAGS_CONTEXT = "https://bluebrain.github.io/nexus/contexts/tags.json"
FILE_SCHEMA = "https://bluebrain.github.io/nexus/schemas/file.json"
READ = "resources/read"
WRITE = "files/write"
ORGS_READ = "orgs/read"
PROJECTS_READ = "projects/read"
# Accept ranges that ask for metadata; any other asks for the content (reference §5: exact match).
METADATA_TYPES = {
    "application/ld+json",
    "application/json",
    "application/n-triples",
    "application/n-quads",
    "text/vnd.graphviz",
}
JSON_BODY_LIMIT = 64 * 1024
LIST_SIZE_DEFAULT = 20
LIST_SIZE_LIMIT = 1000
LIST_FROM_LIMIT = 10000

logger = logging.getLogger(__name__)


# --- plumbing: JSON-LD rendering whatever the Accept, errors with their extra fields --------------


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class AcceptAnything(DefaultContentNegotiation):
    """Files are negotiated by the view itself (metadata, content or 406); JSON is always JSON-LD,
    or plain JSON for a client that asks only for that."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "")
        ranges = _ranges(accept)
        media_type = (
            "application/json" if "application/json" in ranges and "application/ld+json" not in ranges else None
        )
        return renderers[0], media_type or renderers[0].media_type


def delta_exception_handler(exc, context):
    # The shared handler answers every exception (an outage 503, a bug a logged 500 UnexpectedError).
    response = exception_handler(exc, context)
    if isinstance(exc, DeltaError):
        response.data.update(exc.extra)
    return response


class DeltaView(APIView):
    dialect = DELTA
    # Tokens only, as Delta: session authentication's CSRF check would read request.POST (parse the
    # upload under the server's limit) before the view sets the storage's own limit.
    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [AllowAny]  # every operation checks its ACL permission itself
    renderer_classes = [JsonLdRenderer]
    parser_classes = [StreamingMultiPartParser, JSONParser]
    content_negotiation_class = AcceptAnything

    def get_exception_handler(self):
        return delta_exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Control characters are never part of a label, id, IRI, tag or search text, and PostgreSQL
        # cannot hold NUL: refuse them before any query.
        for name in ("org", "project", "label", "path"):
            if _CONTROL.search(kwargs.get(name) or ""):
                raise errors.route_not_found()
        # C0 and DEL in a file id are refused by the IRI check; C1 controls are no IRI characters either.
        if _CONTROL.search(kwargs.get("rest") or ""):
            raise errors.invalid_file_id(file_route(request, kwargs["rest"])[0])
        for name, values in request.query_params.lists():
            if _CONTROL.search(name) or any(_CONTROL.search(value) for value in values):
                raise errors.malformed_query_param(name, "The value holds control characters.")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _ranges(accept: str) -> list[str]:
    return [part.split(";", 1)[0].strip().lower() for part in accept.split(",") if part.strip()]


def _base_uri(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _timestamp(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _int_param(request, name: str, *, required: bool = False) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        if required:
            raise errors.missing_query_param(name)
        return None
    # ASCII digits within 32 bits, as Delta's Int: int() would take '١٢', and 20 digits overflow the driver.
    try:
        return parse_int(raw, name=name, minimum=-(2**31), maximum=2**31 - 1)
    except InvalidInput:
        raise errors.malformed_query_param(name, f"'{raw}' is not a valid Int.") from None


def _rev_or_tag(request) -> tuple[int | None, str | None]:
    rev, tag = _int_param(request, "rev"), request.query_params.get("tag")
    if rev is not None and tag is not None:
        raise errors.malformed_query_param("tag", "tag and rev query parameters cannot be present simultaneously")
    if tag is not None and not tag_is_valid(tag):
        raise errors.malformed_query_param("tag", "Tag must be 1 to 64 printable ASCII characters and not 'latest'.")
    return rev, tag


def _write_access(request, org: str, project: str) -> None:
    """Tag, untag, deprecate, undeprecate: `files/write` comes before `rev` and the body (403 first)."""
    acl_require(user=request.user, permission=WRITE, org=org, project=project)


def _read_json(request):
    """A small JSON body (link payload, tag), read with a bound: never an unbounded body in memory."""
    stream = request.stream
    raw = stream.read(JSON_BODY_LIMIT + 1) if stream is not None else b""
    if not raw:
        raise errors.entity_expected()
    if len(raw) > JSON_BODY_LIMIT:
        raise errors.malformed_content(f"The JSON body is larger than {JSON_BODY_LIMIT} bytes.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.malformed_content(f"The body is not JSON: {exc}") from None
    except RecursionError:
        raise errors.malformed_content("The body is not JSON: nested too deeply.") from None


# --- response bodies --------------------------------------------------------------------------------


def file_body(state: FileState, *, base_uri: str, listing: bool = False) -> dict:
    file = state.file
    project = file.project
    self_url = file_self(project, file.iri, base_uri=base_uri)
    body = {} if listing else {"@context": RESOURCE_CONTEXT}
    body.update(
        {
            "@id": file.iri,
            "@type": "File",
            "_bytes": state.blob.size,
            "_digest": {"_algorithm": "SHA-256", "_value": state.blob.sha256},
            "_filename": state.filename,
        }
    )
    if state.storage.type == StorageType.S3:
        # Delta's show-location, without the bucket's internal key: an opaque, stable address of this
        # revision's bytes.
        body["_location"] = f"file:///{state.storage.uuid}/{file.uuid}/{state.rev}"
    body.update(
        {
            "_mediaType": state.media_type,
            "_storage": {"@id": state.storage.iri, "@type": state.storage.type, "_rev": state.storage_rev},
            "_incoming": f"{self_url}/incoming",
            "_outgoing": f"{self_url}/outgoing",
            "_self": self_url,
            "_constrainedBy": FILE_SCHEMA,
            "_project": f"{base_uri}/v1/projects/{project.org.label}/{project.label}",
            "_rev": state.rev,
            "_deprecated": state.deprecated,
            "_createdAt": _timestamp(file.created_at),
            "_createdBy": subject_iri(file.created_by, base_uri=base_uri),
            "_updatedAt": _timestamp(state.updated_at),
            "_updatedBy": subject_iri(state.updated_by, base_uri=base_uri),
        }
    )
    if not listing:
        body["_origin"] = state.origin
    body["_uuid"] = str(file.uuid)
    return body


def _metadata(request, file, *, created: bool = False) -> Response:
    body = file_body(file_state(file), base_uri=_base_uri(request))
    return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _content_disposition(filename: str) -> str:
    encoded = base64.b64encode(filename.encode("utf-8")).decode("ascii")
    return f'attachment; filename="=?UTF-8?B?{encoded}?="'


def _accepts(ranges: list[str], media_type: str) -> bool:
    wanted = media_type.split(";", 1)[0].strip().lower()
    main = wanted.split("/", 1)[0]
    return any(r in ("*/*", "*", wanted) or r == f"{main}/*" for r in ranges)


# --- the body of a create or update: multipart upload or JSON link --------------------------------


def _content_reader(request):
    """Reads the body once the service's checks have passed: a multipart `file` part streams into blob
    storage within the storage's limit; any other body is a link payload."""

    def read(storage: Storage, iri: str):
        content_type = request.META.get("CONTENT_TYPE", "")
        if content_type.startswith("multipart/form-data"):
            limit = file_write_limit(storage=storage)
            for handler in request._request.upload_handlers:
                if isinstance(handler, BlobUploadHandler):
                    handler.max_bytes = limit
            try:
                upload = request.FILES.get("file")
            except BlobTooLarge:
                raise errors.file_too_large(limit) from None
            if upload is None:
                raise errors.invalid_multipart_field(iri)
            return file_upload_content(
                storage=storage,
                staged=upload.staged,
                filename=upload.name,
                part_type=upload.content_type,
                charset=upload.charset,
            )
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length == 0:
            raise errors.entity_expected()
        is_json = "json" in content_type
        try:
            payload = _read_json(request)
        except DeltaError:
            if is_json:
                raise
            raise errors.unsupported_content_type(content_type) from None
        keys = set(payload) if isinstance(payload, dict) else set()
        if "path" not in keys or not keys <= {"path", "filename", "mediaType"}:
            if is_json:
                raise errors.malformed_content('A link payload is {"path", "filename"?, "mediaType"?}.')
            raise errors.unsupported_content_type(content_type)
        # Delta decodes the payload strictly: every field a string (the optional ones may be null).
        if not isinstance(payload["path"], str) or any(
            payload.get(name) is not None and not isinstance(payload[name], str) for name in ("filename", "mediaType")
        ):
            raise errors.malformed_content(
                'A link payload is {"path": <string>, "filename"?: <string>, "mediaType"?: <string>}.'
            )
        return file_link_content(
            storage=storage,
            iri=iri,
            path=payload["path"],
            filename=payload.get("filename"),
            media_type=payload.get("mediaType"),
        )

    return read


# --- /v1/files/{org}/{project} --------------------------------------------------------------------


def _parse_bool(name: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    raise errors.malformed_query_param(name, f"'{raw}' is not a valid Boolean.")


class FilesApi(DeltaView):
    """POST creates a file with a generated id; GET lists the project's files."""

    def post(self, request, org: str, project: str):
        if "rev" in request.query_params:
            raise errors.malformed_query_param("rev", "A file is created without 'rev'.")
        file = file_create(
            user=request.user,
            org=org,
            project=project,
            segment=None,
            storage_segment=request.query_params.get("storage"),
            tag=request.query_params.get("tag"),
            base_uri=_base_uri(request),
            read_content=_content_reader(request),
        )
        return _metadata(request, file, created=True)

    def get(self, request, org: str, project: str):
        acl_require(user=request.user, permission=READ, org=org, project=project)
        project_row = project_get(org=org, label=project)
        base_uri = _base_uri(request)
        params = request.query_params
        offset, size = _int_param(request, "from"), _int_param(request, "size")
        after = params.get("after")
        if after is not None and offset is not None:
            raise errors.malformed_query_param(
                "from", "after and from query parameters cannot be present simultaneously"
            )
        offset = max(offset or 0, 0)
        if offset > LIST_FROM_LIMIT:
            raise errors.malformed_query_param("from", f"limit '{LIST_FROM_LIMIT}' exceeded")
        size = LIST_SIZE_DEFAULT if size is None else max(size, 1)
        if size > LIST_SIZE_LIMIT:
            raise errors.malformed_query_param("size", f"limit '{LIST_SIZE_LIMIT}' exceeded")
        query = self._query(request, project_row, base_uri)
        files = file_list(project=project_row, query=query)
        total = files.count()
        if after is not None:
            files = _after(files, after)
        page = list(files[offset : offset + size + 1])
        more = len(page) > size
        page = page[:size]
        body = {
            "@context": [SEARCH_CONTEXT, RESOURCE_CONTEXT],
            "_total": total,
            "_results": [file_body(file_state(f), base_uri=base_uri, listing=True) for f in page],
        }
        if more:
            last = page[-1]
            cursor = json.dumps([int(last.created_at.timestamp() * 1000), last.iri], separators=(",", ":"))
            kept = [(k, v) for k, values in params.lists() if k not in ("from", "after") for v in values]
            query_string = urlencode([*kept, ("after", cursor)], safe=":/,", quote_via=quote)
            body["_next"] = f"{base_uri}/v1/files/{org}/{project}?{query_string}"
        return Response(body)

    @staticmethod
    def _query(request, project: Project, base_uri: str) -> FileQuery:
        params = request.query_params
        locate = params.get("locate")
        if locate is not None:
            prefix = f"{base_uri}/v1/files/{project.org.label}/{project.label}/"
            locate = unquote(locate[len(prefix) :]) if locate.startswith(prefix) else locate
        created_by, updated_by = params.get("createdBy"), params.get("updatedBy")
        return FileQuery(
            deprecated=_parse_bool("deprecated", params.get("deprecated")),
            rev=_int_param(request, "rev"),
            types=tuple(expand_type(t, project=project, base_uri=base_uri) for t in params.getlist("type")),
            created_by=subject_from_iri(created_by, base_uri=base_uri) if created_by else None,
            updated_by=subject_from_iri(updated_by, base_uri=base_uri) if updated_by else None,
            q=params.get("q") or None,
            locate=locate,
            id=expand_type(params["id"], project=project, base_uri=base_uri) if params.get("id") else None,
        )


# The last millisecond a datetime can hold (9999-12-31T23:59:59.999Z): a cursor past it is no cursor.
_AFTER_MAX_MILLIS = 253402300799999


def _after(files, raw: str):
    from datetime import UTC, datetime

    from django.db.models import Q

    try:
        millis, iri = json.loads(raw)
        # json reads 1e400 as inf and accepts NaN; only a whole, finite instant in range is a cursor.
        if isinstance(millis, bool) or not isinstance(millis, int | float) or not isinstance(iri, str):
            raise ValueError
        if not math.isfinite(millis) or not 0 <= millis <= _AFTER_MAX_MILLIS or _CONTROL.search(iri):
            raise ValueError
        at = datetime.fromtimestamp(int(millis) / 1000, tz=UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        raise errors.malformed_query_param("after", "'after' is a cursor taken from '_next'.") from None
    return files.filter(Q(created_at__gt=at) | Q(created_at=at, iri__gt=iri))


# --- /v1/files/{org}/{project}/{id}[/tags[/{tag}] | /undeprecate] --------------------------------

_SUFFIXES = ("tags", "undeprecate")


def file_route(request, rest: str) -> tuple[str, str | None, str | None]:
    """(id segment, suffix, tag) of a file URL. The id is one path segment of the raw URI, so that a
    full IRI with %2F in it stays one id: RAW_URI (gunicorn) or REQUEST_URI (uwsgi) when the server
    gives it; otherwise (Django's runserver and live_server decode PATH_INFO) the suffixes are peeled
    off the decoded rest from the right."""
    raw = request.META.get("RAW_URI") or request.META.get("REQUEST_URI")
    if raw:
        parts = urlsplit(raw).path.split("/")
        try:
            start = next(i for i in range(len(parts) - 2) if parts[i] == "v1" and parts[i + 1] == "files") + 4
        except StopIteration:
            start = None
        if start is not None and len(parts) > start:
            segments = parts[start:]
            if segments and segments[-1] == "" and len(segments) > 1:
                segments = segments[:-1]
            segment, tail = unquote(segments[0]), [unquote(s) for s in segments[1:]]
            if segment and not tail:
                return segment, None, None
            if segment and tail in (["tags"], ["undeprecate"]):
                return segment, tail[0], None
            if segment and len(tail) == 2 and tail[0] == "tags":
                return segment, "tags", tail[1]
    rest = rest[:-1] if rest.endswith("/") and len(rest) > 1 else rest
    for suffix in _SUFFIXES:
        if rest.endswith("/" + suffix):
            return rest[: -len(suffix) - 1], suffix, None
    match = re.match(r"^(.+)/tags/([^/]+)$", rest)
    if match:
        return match.group(1), "tags", match.group(2)
    return rest, None, None


class _Chunks:
    """A stream's bytes in chunks; Django closes it (via `close`) when the response is done."""

    size = 1024 * 1024

    def __init__(self, reader):
        self.reader = reader

    def __iter__(self):
        return iter(lambda: self.reader.read(self.size), b"")

    def close(self):
        self.reader.close()


class FileApi(DeltaView):
    """One file: fetch (metadata or content), create with id / update, deprecate, tags, undeprecate."""

    def get(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        if tag_name is not None or suffix not in (None, "tags"):
            raise errors.route_not_found()
        accept = request.META.get("HTTP_ACCEPT", "") or "*/*"
        # Exact ranges only: `application/json;q=0.9` or `application/*` ask for the content.
        metadata = suffix == "tags" or any(part.strip().lower() in METADATA_TYPES for part in accept.split(","))
        # Metadata and tags need `resources/read` first; the content only the storage's read
        # permission, checked once the file (and so its storage) is known, as the reference does.
        if metadata:
            acl_require(user=request.user, permission=READ, org=org, project=project)
        rev, tag = _rev_or_tag(request)
        project_row = project_get(org=org, label=project)
        base_uri = _base_uri(request)
        file = file_get(project=project_row, iri=file_iri(project=project_row, segment=segment, base_uri=base_uri))
        state = file_state_at(file=file, rev=rev, tag=tag)
        if suffix == "tags":
            return Response({"@context": TAGS_CONTEXT, "tags": file_tags(state=state)}, headers=_VARY)
        if metadata:
            return Response(file_body(state, base_uri=base_uri), headers=_VARY)
        acl_require(user=request.user, permission=state.storage.read_permission, org=org, project=project)
        if not _accepts(_ranges(accept), state.media_type):
            raise errors.not_acceptable(state.media_type.split(";", 1)[0].strip())
        # Opened before the response starts, so that missing bytes are an error body, not a cut reply.
        reader = file_content_open(state=state)
        response = StreamingHttpResponse(_Chunks(reader), content_type=state.media_type)
        response["Content-Length"] = str(state.blob.size)
        response["Content-Disposition"] = _content_disposition(state.filename)
        response["Vary"] = _VARY["Vary"]
        return response

    def put(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        base_uri = _base_uri(request)
        if suffix == "undeprecate" and tag_name is None:
            _write_access(request, org, project)
            rev = _int_param(request, "rev", required=True)
            file = file_undeprecate(
                user=request.user, org=org, project=project, segment=segment, rev=rev, base_uri=base_uri
            )
            return _metadata(request, file)
        if suffix is not None:
            raise errors.route_not_found()
        rev = _int_param(request, "rev")
        common = {
            "user": request.user,
            "org": org,
            "project": project,
            "segment": segment,
            "storage_segment": request.query_params.get("storage"),
            "tag": request.query_params.get("tag"),
            "base_uri": base_uri,
            "read_content": _content_reader(request),
        }
        if rev is None:
            return _metadata(request, file_create(**common), created=True)
        return _metadata(request, file_update(rev=rev, **common))

    def post(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        if suffix != "tags" or tag_name is not None:
            raise errors.route_not_found()
        _write_access(request, org, project)
        rev = _int_param(request, "rev", required=True)
        payload = _read_json(request)
        tag, tag_rev = (payload.get("tag"), payload.get("rev")) if isinstance(payload, dict) else (None, None)
        if not tag_is_valid(tag) or not isinstance(tag_rev, int) or isinstance(tag_rev, bool):
            raise errors.malformed_content(
                'The payload is {"tag": <1 to 64 printable ASCII characters, not \'latest\'>, "rev": <number>}.'
            )
        file = file_tag(
            user=request.user,
            org=org,
            project=project,
            segment=segment,
            rev=rev,
            tag=tag,
            tag_rev=tag_rev,
            base_uri=_base_uri(request),
        )
        return _metadata(request, file, created=True)

    def delete(self, request, org: str, project: str, rest: str):
        segment, suffix, tag_name = file_route(request, rest)
        base_uri = _base_uri(request)
        if suffix == "tags" and tag_name is not None:
            _write_access(request, org, project)
            rev = _int_param(request, "rev", required=True)
            file = file_tag_delete(
                user=request.user, org=org, project=project, segment=segment, rev=rev, tag=tag_name, base_uri=base_uri
            )
            return _metadata(request, file)
        # The seed's deprecation example is `DELETE .../{id}/tags?rev=N` (no tag name): it deprecates too.
        if suffix not in (None, "tags"):
            raise errors.route_not_found()
        _write_access(request, org, project)
        rev = _int_param(request, "rev", required=True)
        file = file_deprecate(user=request.user, org=org, project=project, segment=segment, rev=rev, base_uri=base_uri)
        return _metadata(request, file)


_VARY = {"Vary": "Accept,Accept-Encoding"}


class RouteNotFoundApi(DeltaView):
    """Any other /v1/ path (e.g. `/v1/files/{org}`, `/v1/resources/...`): the reference's 404."""

    def _not_found(self, request, *args, **kwargs):
        raise errors.route_not_found()

    get = post = put = patch = delete = head = options = _not_found


# --- /v1/orgs, /v1/projects, /v1/acls (reads; writes are admin pages) ----------------------------


def _org_body(org: Org, base_uri: str) -> dict:
    return {
        "@id": f"{base_uri}/v1/orgs/{org.label}",
        "@type": "Organization",
        "_label": org.label,
        "description": org.description,
        "_uuid": str(org.uuid),
        "_rev": 1,
        "_deprecated": org.deprecated,
        "_self": f"{base_uri}/v1/orgs/{org.label}",
        "_createdAt": _timestamp(org.created_at),
    }


def _project_body(project: Project, base_uri: str) -> dict:
    from .iris import DEFAULT_MAPPINGS

    mappings = {**DEFAULT_MAPPINGS, **(project.api_mappings or {})}
    url = f"{base_uri}/v1/projects/{project.org.label}/{project.label}"
    return {
        "@id": url,
        "@type": "Project",
        "_label": project.label,
        "_organizationLabel": project.org.label,
        "_organizationUuid": str(project.org.uuid),
        "description": project.description,
        "base": project_base(project, base_uri=base_uri),
        "vocab": project_vocab(project, base_uri=base_uri),
        "apiMappings": [{"prefix": p, "namespace": n} for p, n in sorted(mappings.items())],
        "_uuid": str(project.uuid),
        "_rev": 1,
        "_deprecated": project.deprecated,
        "_self": url,
        "_createdAt": _timestamp(project.created_at),
    }


def _listing(results: list[dict]) -> dict:
    return {"@context": [SEARCH_CONTEXT, RESOURCE_CONTEXT], "_total": len(results), "_results": results}


class OrgsApi(DeltaView):
    """`orgs/read` on the org (or `/`), as Delta: one org 403 without it, listings show only those."""

    def get(self, request, label: str | None = None):
        base_uri = _base_uri(request)
        if label is not None:
            acl_require(user=request.user, permission=ORGS_READ, org=label)
            return Response({"@context": RESOURCE_CONTEXT, **_org_body(org_get(label=label), base_uri)})
        orgs = org_list_readable(user=request.user, permission=ORGS_READ)[:LIST_SIZE_LIMIT]
        return Response(_listing([_org_body(org, base_uri) for org in orgs]))


class ProjectsApi(DeltaView):
    """`projects/read` on the project (or its org, or `/`); listings show only those."""

    def get(self, request, org: str | None = None, label: str | None = None):
        base_uri = _base_uri(request)
        if label is not None:
            acl_require(user=request.user, permission=PROJECTS_READ, org=org, project=label)
            return Response(
                {"@context": RESOURCE_CONTEXT, **_project_body(project_get(org=org, label=label), base_uri)}
            )
        if org is not None:
            org_get(label=org)
        projects = project_list_readable(user=request.user, permission=PROJECTS_READ, org=org)[:LIST_SIZE_LIMIT]
        return Response(_listing([_project_body(p, base_uri) for p in projects]))


def _identity_body(acl: Acl, base_uri: str) -> dict:
    if acl.identity == "user":
        return {
            "@id": f"{base_uri}/v1/realms/local/users/{acl.user.get_username()}",
            "@type": "User",
            "realm": "local",
            "subject": acl.user.get_username(),
        }
    if acl.identity == "group":
        return {
            "@id": f"{base_uri}/v1/realms/local/groups/{acl.group.slug}",
            "@type": "Group",
            "realm": "local",
            "group": acl.group.slug,
        }
    if acl.identity == "authenticated":
        return {"@id": f"{base_uri}/v1/realms/local/authenticated", "@type": "Authenticated", "realm": "local"}
    return {"@id": f"{base_uri}/v1/anonymous", "@type": "Anonymous"}


class AclsApi(DeltaView):
    """GET /v1/acls/{path}[?ancestors=true]: with `acls/read` on the path every entry, otherwise only
    the caller's own (as the reference server does)."""

    def get(self, request, path: str = ""):
        base_uri = _base_uri(request)
        path = "/" + path.strip("/") if path.strip("/") else "/"
        ancestors = _parse_bool("ancestors", request.query_params.get("ancestors")) or False
        parts = [p for p in path.strip("/").split("/") if p]
        org, project = [*parts, None, None][:2]
        sees_all = "acls/read" in acl_permissions(user=request.user, org=org, project=project)
        by_path: dict[str, list[dict]] = {}
        for acl in acl_list(path=path, ancestors=ancestors):
            own = acl.identity == "anonymous" or (
                request.user.is_authenticated
                and (
                    acl.identity == "authenticated"
                    or (acl.identity == "user" and acl.user_id == request.user.pk)
                    or (acl.identity == "group" and acl.group.memberships.filter(user=request.user).exists())
                )
            )
            if sees_all or own:
                by_path.setdefault(acl.path, []).append(
                    {"identity": _identity_body(acl, base_uri), "permissions": sorted(acl.permissions)}
                )
        results = [
            {
                "@id": f"{base_uri}/v1/acls{p if p != '/' else ''}",
                "@type": "AccessControlList",
                "_path": p,
                "acl": entries,
                "_rev": 1,
                "_self": f"{base_uri}/v1/acls{p if p != '/' else ''}",
            }
            for p, entries in sorted(by_path.items())
        ]
        return Response(_listing(results))
