"""Reads of the files app: projects, ACL checks, storages, a file at a revision or tag, listings."""

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from accounts.models import Membership
from blobs.selectors import blob_open

from . import errors
from .iris import expand
from .models import (
    ORG_REVISION_FIELDS,
    PROJECT_REVISION_FIELDS,
    Acl,
    File,
    FileRevision,
    Org,
    OrgRevision,
    Project,
    ProjectRevision,
    Storage,
    revision_fields,
)


def subject_of(user) -> str:
    """How a caller is recorded in `_createdBy` / `_updatedBy`."""
    if user is None or not user.is_authenticated:
        return "anonymous"
    return f"realms/local/users/{user.get_username()}"


def acl_paths(*, org: str | None = None, project: str | None = None) -> list[str]:
    """The path and its ancestors: grants on any of them hold."""
    paths = ["/"]
    if org:
        paths.append(f"/{org}")
        if project:
            paths.append(f"/{org}/{project}")
    return paths


def _identity_filter(user) -> Q:
    allowed = Q(identity="anonymous")
    if user is not None and user.is_authenticated:
        groups = Membership.objects.filter(user=user).values("organization_id")
        allowed |= Q(identity="authenticated") | Q(identity="user", user=user) | Q(identity="group", group__in=groups)
    return allowed


def acl_permissions(*, user, org: str | None = None, project: str | None = None) -> set[str]:
    """Every permission the caller holds on the path, inherited from `/` and `/{org}`."""
    rows = Acl.objects.filter(_identity_filter(user), path__in=acl_paths(org=org, project=project))
    return {permission for row in rows.values_list("permissions", flat=True) for permission in row or []}


def _paths_granting(*, user, permission: str) -> set[str]:
    """Every ACL path on which the caller holds the permission."""
    rows = Acl.objects.filter(_identity_filter(user)).values_list("path", "permissions")
    return {path for path, permissions in rows if permission in (permissions or [])}


def org_list_readable(*, user, permission: str) -> QuerySet[Org]:
    """The orgs on which (or on `/`) the caller holds the permission, by label."""
    paths = _paths_granting(user=user, permission=permission)
    orgs = Org.objects.order_by("label")
    if "/" in paths:
        return orgs
    return orgs.filter(label__in=[p[1:] for p in paths if p.count("/") == 1])


def project_list_readable(*, user, permission: str, org: str | None = None) -> QuerySet[Project]:
    """The projects (of `org`, if given) on which, on whose org or on `/` the caller holds the permission."""
    paths = _paths_granting(user=user, permission=permission)
    projects = Project.objects.select_related("org").order_by("org__label", "label")
    if org is not None:
        projects = projects.filter(org__label=org)
    if "/" in paths:
        return projects
    allowed = Q(org__label__in=[p[1:] for p in paths if p.count("/") == 1])
    for path in paths:
        parts = path.strip("/").split("/")
        if len(parts) == 2:
            allowed |= Q(org__label=parts[0], label=parts[1])
    return projects.filter(allowed)


def acl_require(*, user, permission: str, org: str, project: str | None = None) -> None:
    """403 AuthorizationFailed naming the permission and path, unless the caller holds it there."""
    if permission not in acl_permissions(user=user, org=org, project=project):
        path = f"/{org}/{project}" if project else f"/{org}"
        raise errors.authorization_failed(permission, path)


def acl_list(*, path: str | None = None, ancestors: bool = False) -> QuerySet[Acl]:
    rows = Acl.objects.select_related("user", "group")
    if path is None:
        return rows.order_by("path", "identity", "pk")
    if ancestors:
        parts = [p for p in path.strip("/").split("/") if p]
        paths = acl_paths(org=parts[0] if parts else None, project=parts[1] if len(parts) > 1 else None)
        return rows.filter(path__in=paths).order_by("path", "identity", "pk")
    return rows.filter(path=path).order_by("identity", "pk")


def acl_list_visible(*, user, path: str, ancestors: bool = False) -> QuerySet[Acl]:
    """The entries of `acl_list` the caller may see: every one with `acls/read` on the path, otherwise
    only the caller's own (anonymous, authenticated, the caller, the caller's groups), filtered in
    the query."""
    parts = [p for p in path.strip("/").split("/") if p]
    org, project = [*parts, None, None][:2]
    rows = acl_list(path=path, ancestors=ancestors)
    if "acls/read" in acl_permissions(user=user, org=org, project=project):
        return rows
    return rows.filter(_identity_filter(user))


def tag_is_valid(tag) -> bool:
    """Delta's UserTag: 1 to 64 printable ASCII characters, `latest` reserved."""
    return isinstance(tag, str) and 1 <= len(tag) <= 64 and all(" " <= c <= "~" for c in tag) and tag != "latest"


def org_get(*, label: str) -> Org:
    org = Org.objects.filter(label=label).first()
    if org is None:
        raise errors.org_not_found(label)
    return org


def project_get(*, org: str, label: str) -> Project:
    """The project, or 404 ProjectNotFound."""
    project = Project.objects.select_related("org").filter(org__label=org, label=label).first()
    if project is None:
        raise errors.project_not_found(f"{org}/{label}")
    return project


def _at_revision(row, rev: int | None, revisions, names: tuple[str, ...]):
    """The row as it was at `rev` (the row itself when latest), or 404 RevisionNotFound."""
    if rev is None or rev == row.rev:
        return row
    past = revisions.filter(rev=rev).first() if 1 <= rev < row.rev else None
    if past is None:
        raise errors.revision_not_found(rev, row.rev)
    for name in names:
        setattr(row, name, getattr(past, name))
    return row


def org_at(*, label: str, rev: int | None = None) -> Org:
    """`GET /v1/orgs/{label}[?rev=]`: the org, at that revision if given (an unsaved view of the row)."""
    org = org_get(label=label)
    return _at_revision(org, rev, OrgRevision.objects.filter(org=org), ORG_REVISION_FIELDS)


def project_at(*, org: str, label: str, rev: int | None = None) -> Project:
    project = project_get(org=org, label=label)
    return _at_revision(project, rev, ProjectRevision.objects.filter(project=project), PROJECT_REVISION_FIELDS)


def project_for_write(*, org: str, label: str) -> Project:
    """Delta's `onCreate`/`onModify`: the project must exist and neither it nor its org be deprecated."""
    project = project_get(org=org, label=label)
    if project.deprecated or project.org.deprecated:
        raise errors.project_is_deprecated(project.ref)
    return project


def storage_resolve(*, project: Project, segment: str | None, base_uri: str) -> Storage:
    """`?storage=` expanded like an id, or the project's default storage; must not be deprecated."""
    if segment:
        iri = expand(segment, project=project, base_uri=base_uri) or segment
        storage = Storage.objects.filter(project=project, iri=iri).first()
        if storage is None:
            raise errors.storage_not_found(iri, project.ref)
    else:
        storage = Storage.objects.filter(project=project, default=True).first()
        if storage is None:
            raise errors.default_storage_not_found(project.ref)
    if storage.deprecated:
        raise errors.storage_is_deprecated(storage.iri)
    return storage


def storage_list(*, project: Project) -> QuerySet[Storage]:
    return Storage.objects.filter(project=project).order_by("created_at", "iri")


def storage_get(*, project: Project, segment: str, base_uri: str) -> Storage:
    """A storage by its id segment (expanded like a file id), deprecated or not; 404 ResourceNotFound."""
    iri = expand(segment, project=project, base_uri=base_uri) or segment
    storage = Storage.objects.filter(project=project, iri=iri).first()
    if storage is None:
        raise errors.storage_not_found(iri, project.ref)
    return storage


IRI_MAX = File._meta.get_field("iri").max_length


def file_iri(*, project: Project, segment: str, base_uri: str) -> str:
    """The IRI of an id segment, or 400 InvalidFileId (also when longer than an id can be stored)."""
    iri = expand(segment, project=project, base_uri=base_uri)
    if iri is None or len(iri) > IRI_MAX:
        raise errors.invalid_file_id(segment)
    return iri


def file_get(*, project: Project, iri: str) -> File:
    file = File.objects.select_related("project__org", "storage", "blob").filter(project=project, iri=iri).first()
    if file is None:
        raise errors.file_not_found(iri, project.ref)
    return file


@dataclass(frozen=True)
class FileState:
    """A file as seen at one revision: what metadata and downloads are made of."""

    file: File
    rev: int
    deprecated: bool
    blob: object
    filename: str
    media_type: str
    storage: Storage
    storage_rev: int
    origin: str
    tags: dict
    updated_at: object
    updated_by: str


def _state(file: File, revision: File | FileRevision) -> FileState:
    fields = revision_fields(revision)
    return FileState(file=file, **{**fields, "tags": fields["tags"] or {}})


def file_state(file: File) -> FileState:
    """The latest state, from the file row itself."""
    return _state(file, file)


def file_state_at(*, file: File, rev: int | None = None, tag: str | None = None) -> FileState:
    """The state at `?rev=` (404 RevisionNotFound past the latest) or `?tag=` (404 TagNotFound)."""
    if tag is not None:
        if tag not in (file.tags or {}):
            raise errors.tag_not_found(tag)
        rev = file.tags[tag]
    if rev is None or rev == file.rev:
        return file_state(file)
    if rev < 1 or rev > file.rev:
        raise errors.revision_not_found(rev, file.rev)
    revision = FileRevision.objects.select_related("blob", "storage").get(file=file, rev=rev)
    return _state(file, revision)


def file_content_open(*, state: FileState):
    """A readable stream of the revision's bytes, opened now (before a response starts), or 500
    FetchRejection when the storage no longer holds them (blobs says so with FileNotFoundError,
    whatever the storage); the caller closes it."""
    try:
        return blob_open(blob=state.blob)
    except FileNotFoundError:
        pass
    raise errors.fetch_rejection(
        state.file.iri, state.storage.iri, "File could not be retrieved from the storage: its bytes are missing."
    )


@dataclass(frozen=True)
class FileQuery:
    deprecated: bool | None = None
    rev: int | None = None
    types: tuple[str, ...] = ()
    created_by: str | None = None
    updated_by: str | None = None
    q: str | None = None
    locate: str | None = None
    id: str | None = None


FILE_TYPE = "https://bluebrain.github.io/nexus/vocabulary/File"


def file_list(*, project: Project, query: FileQuery) -> QuerySet[File]:
    """The project's files matching the filters, by creation time then @id (Delta's default sort)."""
    files = File.objects.select_related("project__org", "storage", "blob").filter(project=project)
    if query.deprecated is not None:
        files = files.filter(deprecated=query.deprecated)
    if query.rev is not None:
        files = files.filter(rev=query.rev)
    if any(t != FILE_TYPE for t in query.types):
        files = files.none()  # every file is of type File only
    if query.created_by is not None:
        files = files.filter(created_by=query.created_by)
    if query.updated_by is not None:
        files = files.filter(updated_by=query.updated_by)
    if query.id is not None:
        files = files.filter(iri=query.id)
    if query.locate is not None:
        files = files.filter(iri=query.locate)
    if query.q:
        text = query.q.lower()
        files = files.filter(Q(iri__icontains=text) | Q(filename__icontains=text) | Q(media_type__icontains=text))
    return files.order_by("created_at", "iri")


@dataclass(frozen=True)
class FilePage:
    """One page of a listing: the total of matching files, this page's, and the cursor to the next."""

    total: int
    files: list[File]
    next_cursor: str | None


# The last millisecond a datetime can hold (9999-12-31T23:59:59.999Z): a cursor past it is no cursor.
_AFTER_MAX_MILLIS = 253402300799999
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _cursor(file: File) -> str:
    """The `after` cursor just past a file: its creation instant in milliseconds and its @id."""
    return json.dumps([int(file.created_at.timestamp() * 1000), file.iri], separators=(",", ":"))


def _after(files: QuerySet[File], raw: str) -> QuerySet[File]:
    """The files listed after the cursor (in the listing's order), or 400 for a cursor not from `_next`."""
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


def file_page(*, project: Project, query: FileQuery, offset: int, size: int, after: str | None) -> FilePage:
    """`size` files from `offset`, or after the cursor `after`; the total counts every match."""
    files = file_list(project=project, query=query)
    total = files.count()
    if after is not None:
        files = _after(files, after)
    page = list(files[offset : offset + size + 1])
    more = len(page) > size
    page = page[:size]
    return FilePage(total=total, files=page, next_cursor=_cursor(page[-1]) if more else None)


def file_tags(*, state: FileState) -> list[dict]:
    return [{"rev": rev, "tag": tag} for tag, rev in sorted(state.tags.items())]
