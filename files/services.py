"""Writes of the files app: orgs, projects, storages, ACL grants, and every file operation (create,
link, update, tag, untag, deprecate, undeprecate) in the reference server's order of checks."""

import mimetypes
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from blobs.services import BlobTooLarge, StagedBlob, blob_discard_staged, blob_record, blob_stage
from blobs.storage import S3Backend, get_backend

from . import errors
from .iris import project_base
from .models import DEFAULT_STORAGE_IRI, Acl, Action, File, FileRevision, Org, Origin, Project, Storage, StorageType
from .selectors import (
    acl_require,
    file_get,
    file_iri,
    project_for_write,
    storage_resolve,
    subject_of,
    tag_is_valid,
)

WRITE = "files/write"


@dataclass
class Content:
    """Bytes already staged in blob storage, with what the file will be called and typed as."""

    staged: StagedBlob
    filename: str
    media_type: str
    origin: str = Origin.CLIENT
    # Bytes this request staged itself (links) and must remove if the write is refused.
    owned: bool = False


# The view reads the body only once every check has passed; it gets the storage (its size limit,
# its type) and the file's IRI (for error messages).
ContentReader = Callable[[Storage, str], Content]


# --- organizations, projects, storages, ACLs ------------------------------------------------------


@transaction.atomic
def org_create(*, label: str, description: str = "") -> Org:
    if Org.objects.filter(label=label).exists():
        raise errors.already_exists(label, label)
    return Org.objects.create(label=label, description=description)


@transaction.atomic
def project_create(
    *, org: Org, label: str, base: str = "", vocab: str = "", api_mappings: dict | None = None, description: str = ""
) -> Project:
    """A project with its default disk storage (Delta creates `nxv:diskStorageDefault` with it)."""
    if org.deprecated:
        raise errors.project_is_deprecated(f"{org.label}/{label}")
    if Project.objects.filter(org=org, label=label).exists():
        raise errors.already_exists(f"{org.label}/{label}", f"{org.label}/{label}")
    project = Project.objects.create(
        org=org, label=label, base=base, vocab=vocab, api_mappings=api_mappings or {}, description=description
    )
    Storage.objects.create(project=project, iri=DEFAULT_STORAGE_IRI, type=StorageType.DISK, default=True)
    return project


@transaction.atomic
def storage_create(
    *,
    project: Project,
    iri: str,
    type: str = StorageType.DISK,
    default: bool = False,
    max_file_size: int | None = None,
    read_permission: str = "resources/read",
    write_permission: str = "files/write",
) -> Storage:
    """A storage; a new default one takes over from the previous default."""
    if default:
        Storage.objects.filter(project=project, default=True).update(default=False)
    fields = {"max_file_size": max_file_size} if max_file_size is not None else {}
    return Storage.objects.create(
        project=project,
        iri=iri,
        type=type,
        default=default,
        read_permission=read_permission,
        write_permission=write_permission,
        **fields,
    )


@transaction.atomic
def storage_deprecate(*, storage: Storage) -> Storage:
    storage.deprecated, storage.rev = True, storage.rev + 1
    storage.save(update_fields=["deprecated", "rev"])
    return storage


@transaction.atomic
def acl_grant(*, path: str, permissions: list[str], identity: str, user=None, group=None) -> Acl:
    """Adds permissions for one identity on a path (one row per path and identity)."""
    acl = Acl.objects.select_for_update().filter(path=path, identity=identity, user=user, group=group).first()
    if acl is None:
        return Acl.objects.create(path=path, identity=identity, user=user, group=group, permissions=sorted(permissions))
    acl.permissions = sorted(set(acl.permissions) | set(permissions))
    acl.save(update_fields=["permissions"])
    return acl


# --- the bytes of a file ----------------------------------------------------------------------


def _now():
    # Delta's instants have millisecond precision; so do ours, and the listing cursor relies on it.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def media_type_detect(*, filename: str, part_type: str | None, charset: str | None = None) -> str:
    """The part's Content-Type unless missing or application/octet-stream, else by extension (text
    types get `; charset=UTF-8`), else application/octet-stream."""
    if part_type and part_type != "application/octet-stream":
        return f"{part_type}; charset={charset}" if charset else part_type
    guessed, _encoding = mimetypes.guess_type(filename, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=UTF-8" if guessed.startswith("text/") else guessed


# Objects a project may link live under its own link area of the bucket, never among the blobs
# (other projects' and other dialects' bytes) or multipart parts.
LINK_PREFIX = "links"


def link_area(*, project: Project) -> str:
    """The bucket prefix a project's link paths are relative to: `links/{org}/{project}/`."""
    return f"{LINK_PREFIX}/{project.org.label}/{project.label}/"


def _link_key(project: Project, path: str) -> str | None:
    """The object key a link path stands for, or None when the path could leave the link area."""
    segments = path.split("/")
    if any(s in ("", ".", "..") or "\\" in s or not s.isprintable() for s in segments):
        return None
    return link_area(project=project) + path


MEDIA_TYPE_MAX = File._meta.get_field("media_type").max_length
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FILENAME_MAX = File._meta.get_field("filename").max_length


def _check_lengths(*, filename: str, media_type: str) -> None:
    """What the columns cannot hold is a malformed request (400), not a database error."""
    if _CONTROL.search(filename) or _CONTROL.search(media_type):
        raise errors.malformed_content("The filename and the media type cannot hold control characters.")
    if len(media_type) > MEDIA_TYPE_MAX:
        raise errors.malformed_content(f"The media type is longer than {MEDIA_TYPE_MAX} characters.")
    if len(filename) > FILENAME_MAX:
        raise errors.malformed_content(f"The filename is longer than {FILENAME_MAX} characters.")


def file_upload_content(
    *, storage: Storage, staged: StagedBlob, filename: str | None, part_type: str | None, charset: str | None
) -> Content:
    """An uploaded part (already streamed into blob storage) as a file's content."""
    # The body is normally cut off at this limit while it streams; this holds even if something
    # parsed it before the limit was set.
    if staged.size > _write_limit(storage):
        raise errors.file_too_large(_write_limit(storage))
    filename = filename or "file"
    media_type = media_type_detect(filename=filename, part_type=part_type, charset=charset)
    _check_lengths(filename=filename, media_type=media_type)
    return Content(staged=staged, filename=filename, media_type=media_type)


def file_link_content(
    *, storage: Storage, iri: str, path: str, filename: str | None, media_type: str | None
) -> Content:
    """Links an object of the project's link area of the S3 bucket (`path` is relative to
    `links/{org}/{project}/`): its bytes are copied through blobs (size, SHA-256, limit in one pass),
    so that the revision keeps them whatever later happens at `path`. Disk storages refuse
    (UnsupportedOperation), as in the reference server."""
    if storage.type != StorageType.S3:
        raise errors.unsupported_operation(iri, storage.iri, storage.type)
    filename = filename or path.rstrip("/").rsplit("/", 1)[-1]
    if not path or not filename or path.endswith("/"):
        raise errors.invalid_file_link(iri)
    backend = get_backend()
    if not isinstance(backend, S3Backend):
        raise errors.link_rejected(iri, storage.iri, "The server's blob storage is not S3.")
    key = _link_key(storage.project, path)
    if key is None:
        raise errors.link_rejected(
            iri,
            storage.iri,
            f"The path must be relative to the project's link area '{link_area(project=storage.project)}', "
            "without a leading '/' nor empty, '.' or '..' segments.",
        )
    if not backend.exists(key):
        raise errors.link_rejected(iri, storage.iri, f"No object at path '{path}' in the project's link area.")
    media_type = media_type or media_type_detect(filename=filename, part_type=None)
    _check_lengths(filename=filename, media_type=media_type)
    reader = backend.open_reader(key)
    try:
        staged = blob_stage(
            chunks=iter(lambda: reader.read(1024 * 1024), b""), max_bytes=_write_limit(storage), media_type=media_type
        )
    except BlobTooLarge:
        raise errors.file_too_large(_write_limit(storage)) from None
    finally:
        reader.close()
    return Content(
        staged=staged,
        filename=filename,
        media_type=media_type,
        origin=Origin.STORAGE,
        owned=True,
    )


# --- files ---------------------------------------------------------------------------------------


def _validate_tag(tag: str | None) -> None:
    if tag is not None and not tag_is_valid(tag):
        raise errors.malformed_query_param("tag", "Tag must be 1 to 64 printable ASCII characters and not 'latest'.")


def _write_limit(storage: Storage) -> int:
    return min(storage.max_file_size, settings.NEXUS_MAX_UPLOAD_BYTES)


def file_write_limit(*, storage: Storage) -> int:
    """The most bytes a file may have in this storage (the storage's and the server's limit)."""
    return _write_limit(storage)


def _discard(content: Content | None) -> None:
    if content is not None and content.owned:
        blob_discard_staged(keys=[content.staged.key])


def file_create(
    *,
    user,
    org: str,
    project: str,
    segment: str | None,
    storage_segment: str | None,
    tag: str | None,
    base_uri: str,
    read_content: ContentReader,
) -> File:
    """POST (generated id) or PUT without `rev`: project -> id -> exists (409) -> storage (404/400)
    -> storage write permission (403) -> body (413/400) -> rev 1."""
    project_row = project_for_write(org=org, label=project)
    if segment is None:
        iri = f"{project_base(project_row, base_uri=base_uri)}{uuid.uuid4()}"
    else:
        iri = file_iri(project=project_row, segment=segment, base_uri=base_uri)
    if File.objects.filter(project=project_row, iri=iri).exists():
        raise errors.already_exists(iri, project_row.ref)
    storage = storage_resolve(project=project_row, segment=storage_segment, base_uri=base_uri)
    acl_require(user=user, permission=storage.write_permission, org=org, project=project)
    _validate_tag(tag)
    content = read_content(storage, iri)
    subject = subject_of(user)
    try:
        with transaction.atomic():
            blob = blob_record(staged=content.staged, media_type=content.media_type)
            now = _now()
            file = File.objects.create(
                project=project_row,
                iri=iri,
                rev=1,
                blob=blob,
                filename=content.filename,
                media_type=content.media_type,
                storage=storage,
                storage_rev=storage.rev,
                origin=content.origin,
                tags={tag: 1} if tag else {},
                created_at=now,
                created_by=subject,
                updated_at=now,
                updated_by=subject,
            )
            _record(file, Action.CREATED)
    except IntegrityError:
        _discard(content)
        raise errors.already_exists(iri, project_row.ref) from None
    except BaseException:
        _discard(content)
        raise
    return file


def _record(file: File, action: str) -> FileRevision:
    return FileRevision.objects.create(
        file=file,
        rev=file.rev,
        action=action,
        deprecated=file.deprecated,
        blob=file.blob,
        filename=file.filename,
        media_type=file.media_type,
        storage=file.storage,
        storage_rev=file.storage_rev,
        origin=file.origin,
        tags=file.tags,
        updated_at=file.updated_at,
        updated_by=file.updated_by,
    )


def _check_rev(file: File, rev: int) -> None:
    if rev != file.rev:
        raise errors.incorrect_rev(rev, file.rev)


def _next_revision(*, file_pk: int, rev: int, user, action: str, change: Callable[[File], None]) -> File:
    """Appends revision rev+1 under a row lock; the unique (file, rev) constraint turns a lost race
    into 409 IncorrectRev where the database cannot lock (SQLite)."""
    try:
        with transaction.atomic():
            file = File.objects.select_for_update().select_related("project__org", "storage").get(pk=file_pk)
            _check_rev(file, rev)
            change(file)
            file.rev = rev + 1
            file.updated_at = _now()
            file.updated_by = subject_of(user)
            file.save()
            _record(file, action)
            return file
    except IntegrityError:
        raise errors.incorrect_rev(rev, rev + 1) from None


def file_update(
    *,
    user,
    org: str,
    project: str,
    segment: str,
    rev: int,
    storage_segment: str | None,
    tag: str | None,
    base_uri: str,
    read_content: ContentReader,
) -> File:
    """PUT ?rev=: project -> 404 -> 409 IncorrectRev -> 400 FileIsDeprecated -> storage -> 403 -> body
    -> rev+1 with the new bytes (the old revision keeps its own)."""
    project_row = project_for_write(org=org, label=project)
    iri = file_iri(project=project_row, segment=segment, base_uri=base_uri)
    current = file_get(project=project_row, iri=iri)
    _check_rev(current, rev)
    if current.deprecated:
        raise errors.file_is_deprecated(iri)
    storage = storage_resolve(project=project_row, segment=storage_segment, base_uri=base_uri)
    acl_require(user=user, permission=storage.write_permission, org=org, project=project)
    _validate_tag(tag)
    content = read_content(storage, iri)

    def change(file: File) -> None:
        if file.deprecated:
            raise errors.file_is_deprecated(iri)
        file.blob = blob_record(staged=content.staged, media_type=content.media_type)
        file.filename, file.media_type = content.filename, content.media_type
        file.storage, file.storage_rev = storage, storage.rev
        file.origin = content.origin
        if tag:
            file.tags = {**file.tags, tag: rev + 1}

    try:
        return _next_revision(file_pk=current.pk, rev=rev, user=user, action=Action.UPDATED, change=change)
    except BaseException:
        _discard(content)
        raise


def _file_for_change(*, user, org: str, project: str, segment: str, base_uri: str) -> tuple[Project, File]:
    """Tag, untag, deprecate, undeprecate: `files/write` first, then the project and the file."""
    acl_require(user=user, permission=WRITE, org=org, project=project)
    project_row = project_for_write(org=org, label=project)
    iri = file_iri(project=project_row, segment=segment, base_uri=base_uri)
    return project_row, file_get(project=project_row, iri=iri)


def file_tag(*, user, org: str, project: str, segment: str, rev: int, tag: str, tag_rev: int, base_uri: str) -> File:
    """Links `tag` to revision `tag_rev` (a deprecated file can be tagged too): 404 -> 409 -> 404
    RevisionNotFound."""
    _project, current = _file_for_change(user=user, org=org, project=project, segment=segment, base_uri=base_uri)
    _check_rev(current, rev)
    if tag_rev < 1 or tag_rev > current.rev:
        raise errors.revision_not_found(tag_rev, current.rev)

    def change(file: File) -> None:
        file.tags = {**file.tags, tag: tag_rev}

    return _next_revision(file_pk=current.pk, rev=rev, user=user, action=Action.TAG_ADDED, change=change)


def file_tag_delete(*, user, org: str, project: str, segment: str, rev: int, tag: str, base_uri: str) -> File:
    _project, current = _file_for_change(user=user, org=org, project=project, segment=segment, base_uri=base_uri)
    _check_rev(current, rev)
    if tag not in current.tags:
        raise errors.tag_not_found(tag)

    def change(file: File) -> None:
        if tag not in file.tags:
            raise errors.tag_not_found(tag)
        file.tags = {name: at for name, at in file.tags.items() if name != tag}

    return _next_revision(file_pk=current.pk, rev=rev, user=user, action=Action.TAG_DELETED, change=change)


def file_deprecate(*, user, org: str, project: str, segment: str, rev: int, base_uri: str) -> File:
    _project, current = _file_for_change(user=user, org=org, project=project, segment=segment, base_uri=base_uri)
    _check_rev(current, rev)
    if current.deprecated:
        raise errors.file_is_deprecated(current.iri)

    def change(file: File) -> None:
        if file.deprecated:
            raise errors.file_is_deprecated(file.iri)
        file.deprecated = True

    return _next_revision(file_pk=current.pk, rev=rev, user=user, action=Action.DEPRECATED, change=change)


def file_undeprecate(*, user, org: str, project: str, segment: str, rev: int, base_uri: str) -> File:
    _project, current = _file_for_change(user=user, org=org, project=project, segment=segment, base_uri=base_uri)
    _check_rev(current, rev)
    if not current.deprecated:
        raise errors.file_is_not_deprecated(current.iri)

    def change(file: File) -> None:
        if not file.deprecated:
            raise errors.file_is_not_deprecated(file.iri)
        file.deprecated = False

    return _next_revision(file_pk=current.pk, rev=rev, user=user, action=Action.UNDEPRECATED, change=change)
