"""Parsing of what a Delta request says: query parameters, small JSON bodies, the Accept header, the file body."""

import json
import re
from dataclasses import dataclass
from urllib.parse import unquote

from django.conf import settings

from blobs.services import BlobTooLarge
from blobs.uploadhandler import BlobUploadHandler
from core.errors import InvalidInput
from core.input_guard import parse_int

from .. import errors
from ..errors import DeltaError
from ..iris import expand_type, is_iri, subject_from_iri
from ..models import Project, Storage
from ..selectors import FileQuery, tag_is_valid
from ..services import ProjectFields, file_link_content, file_upload_content, file_write_limit
from .base import ranges

# Accept ranges that ask for metadata; any other asks for the content (reference §5: exact match).
METADATA_TYPES = {
    "application/ld+json",
    "application/json",
    "application/n-triples",
    "application/n-quads",
    "text/vnd.graphviz",
}


def int_param(request, name: str, *, required: bool = False) -> int | None:
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


def parse_bool(name: str, raw: str | None) -> bool | None:
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("true", "yes", "on", "1"):
        return True
    if value in ("false", "no", "off", "0"):
        return False
    raise errors.malformed_query_param(name, f"'{raw}' is not a valid Boolean.")


def rev_or_tag(request) -> tuple[int | None, str | None]:
    rev, tag = int_param(request, "rev"), request.query_params.get("tag")
    if rev is not None and tag is not None:
        raise errors.malformed_query_param("tag", "tag and rev query parameters cannot be present simultaneously")
    if tag is not None and not tag_is_valid(tag):
        raise errors.malformed_query_param("tag", "Tag must be 1 to 64 printable ASCII characters and not 'latest'.")
    return rev, tag


def no_rev_on_create(request) -> None:
    """POST creates a file; a `rev` there is a client's mistake, not ignored."""
    if "rev" in request.query_params:
        raise errors.malformed_query_param("rev", "A file is created without 'rev'.")


def wants_metadata(request, suffix: str | None) -> bool:
    """Tags and exact metadata ranges ask for metadata: `application/json;q=0.9` or `application/*`
    ask for the content."""
    accept = request.META.get("HTTP_ACCEPT", "") or "*/*"
    return suffix == "tags" or any(part.strip().lower() in METADATA_TYPES for part in accept.split(","))


def accepts(request, media_type: str) -> bool:
    """Whether the Accept header (none is `*/*`) takes the content's media type."""
    wanted = media_type.split(";", 1)[0].strip().lower()
    main = wanted.split("/", 1)[0]
    accept = request.META.get("HTTP_ACCEPT", "") or "*/*"
    return any(r in ("*/*", "*", wanted) or r == f"{main}/*" for r in ranges(accept))


@dataclass(frozen=True)
class ListWindow:
    """Which part of a listing is asked for: `from` and `size`, or the `after` cursor."""

    offset: int
    size: int
    after: str | None


def list_window(request) -> ListWindow:
    """`from`, `size` and `after`, within the server's bounds (read at each request)."""
    offset, size = int_param(request, "from"), int_param(request, "size")
    after = request.query_params.get("after")
    if after is not None and offset is not None:
        raise errors.malformed_query_param("from", "after and from query parameters cannot be present simultaneously")
    offset = max(offset or 0, 0)
    from_limit = settings.NEXUS_DELTA_LIST_FROM_LIMIT
    if offset > from_limit:
        raise errors.malformed_query_param("from", f"limit '{from_limit}' exceeded")
    size = settings.NEXUS_DELTA_LIST_SIZE_DEFAULT if size is None else max(size, 1)
    size_limit = settings.NEXUS_DELTA_LIST_SIZE_LIMIT
    if size > size_limit:
        raise errors.malformed_query_param("size", f"limit '{size_limit}' exceeded")
    return ListWindow(offset=offset, size=size, after=after)


def file_query(request, project: Project, base_uri: str) -> FileQuery:
    """The listing's filters: `deprecated`, `rev`, `type`, `createdBy`, `updatedBy`, `q`, `locate`, `id`."""
    params = request.query_params
    locate = params.get("locate")
    if locate is not None:
        prefix = f"{base_uri}/v1/files/{project.org.label}/{project.label}/"
        locate = unquote(locate[len(prefix) :]) if locate.startswith(prefix) else locate
    created_by, updated_by = params.get("createdBy"), params.get("updatedBy")
    return FileQuery(
        deprecated=parse_bool("deprecated", params.get("deprecated")),
        rev=int_param(request, "rev"),
        types=tuple(expand_type(t, project=project, base_uri=base_uri) for t in params.getlist("type")),
        created_by=subject_from_iri(created_by, base_uri=base_uri) if created_by else None,
        updated_by=subject_from_iri(updated_by, base_uri=base_uri) if updated_by else None,
        q=params.get("q") or None,
        locate=locate,
        id=expand_type(params["id"], project=project, base_uri=base_uri) if params.get("id") else None,
    )


def acl_path(path: str) -> str:
    """`/v1/acls/{path}` as an ACL path: `/`, `/{org}` or `/{org}/{project}`."""
    return "/" + path.strip("/") if path.strip("/") else "/"


def read_json(request):
    """A small JSON body (link payload, tag), read with a bound: never an unbounded body in memory."""
    limit = settings.NEXUS_DELTA_MAX_JSON_BODY_BYTES
    stream = request.stream
    raw = stream.read(limit + 1) if stream is not None else b""
    if not raw:
        raise errors.entity_expected()
    if len(raw) > limit:
        raise errors.malformed_content(f"The JSON body is larger than {limit} bytes.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.malformed_content(f"The body is not JSON: {exc}") from None
    except RecursionError:
        raise errors.malformed_content("The body is not JSON: nested too deeply.") from None


def tag_payload(request) -> tuple[str, int]:
    """The body of a tag request: `{"tag": ..., "rev": ...}`."""
    payload = read_json(request)
    tag, tag_rev = (payload.get("tag"), payload.get("rev")) if isinstance(payload, dict) else (None, None)
    if not tag_is_valid(tag) or not isinstance(tag_rev, int) or isinstance(tag_rev, bool):
        raise errors.malformed_content(
            'The payload is {"tag": <1 to 64 printable ASCII characters, not \'latest\'>, "rev": <number>}.'
        )
    return tag, tag_rev


def _registry_payload(request, allowed: tuple[str, ...]) -> dict:
    """An org or project payload. Clients send a fetched body back as the update (nexus-sdk does), so
    its JSON-LD keys (`@...`) and metadata (`_...`) are ignored; any other unknown field is refused,
    as Delta's strict decoding does."""
    payload = read_json(request)
    if not isinstance(payload, dict):
        raise errors.malformed_content("The payload is a JSON object.")
    unknown = sorted(k for k in payload if k not in allowed and not k.startswith(("@", "_")))
    if unknown:
        raise errors.malformed_content(
            f"Unexpected field(s): {', '.join(unknown)}; valid fields: {', '.join(allowed)}."
        )
    return payload


def _optional_str(payload: dict, name: str) -> str:
    value = payload.get(name)
    if value is None:
        return ""
    # NUL and lone surrogates are valid JSON but no text PostgreSQL (or UTF-8) can hold.
    if not isinstance(value, str) or "\x00" in value or _unencodable(value):
        raise errors.malformed_content(f"'{name}' is a string (without NUL or lone surrogates).")
    return value


def _unencodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


PREFIX_IRI_MAX = Project._meta.get_field("base").max_length


def _prefix_iri(payload: dict, name: str) -> str:
    """`base`/`vocab`: Delta's PrefixIri, an absolute IRI ending with '/' or '#' (absent: the default)."""
    value = _optional_str(payload, name)
    if value and (len(value) > PREFIX_IRI_MAX or not is_iri(value) or not value.endswith(("/", "#"))):
        raise errors.malformed_content(
            f"'{name}' is an absolute IRI ending with '/' or '#' (at most {PREFIX_IRI_MAX} characters)."
        )
    return value


def _api_mappings(payload: dict) -> dict:
    """`apiMappings`: `[{"prefix": ..., "namespace": ...}]`, each prefix once, each namespace an IRI."""
    value = payload.get("apiMappings")
    if value is None:
        return {}
    shape = 'apiMappings is a list of {"prefix": <name>, "namespace": <IRI>}, each prefix once.'
    if not isinstance(value, list) or len(value) > settings.NEXUS_DELTA_LIST_SIZE_LIMIT:
        raise errors.malformed_content(shape)
    mappings = {}
    for entry in value:
        if not isinstance(entry, dict) or set(entry) != {"prefix", "namespace"}:
            raise errors.malformed_content(shape)
        prefix, namespace = entry["prefix"], entry["namespace"]
        if not isinstance(prefix, str) or not PREFIX.fullmatch(prefix) or prefix in mappings:
            raise errors.malformed_content(shape)
        if not isinstance(namespace, str) or len(namespace) > PREFIX_IRI_MAX or not is_iri(namespace):
            raise errors.malformed_content(shape)
        mappings[prefix] = namespace
    return mappings


# A CURIE prefix (an XML NCName, ASCII): what `prefix:suffix` can name.
PREFIX = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")


def org_payload(request) -> str:
    """The description an org create or update sets."""
    return _optional_str(_registry_payload(request, ("description",)), "description")


def project_payload(request) -> ProjectFields:
    payload = _registry_payload(request, ("description", "apiMappings", "base", "vocab"))
    return ProjectFields(
        description=_optional_str(payload, "description"),
        base=_prefix_iri(payload, "base"),
        vocab=_prefix_iri(payload, "vocab"),
        api_mappings=_api_mappings(payload),
    )


def content_reader(request):
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
            payload = read_json(request)
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
