"""Writes of a file, each a new revision (create, update, tag, untag, deprecate, undeprecate), in the
reference server's order of checks."""

import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone

from blobs.services import blob_record
from core.dialects import DELTA
from core.metrics import upload_stored_on_commit

from .. import errors
from ..iris import project_base
from ..models import Action, File, FileRevision, Project, Storage, revision_fields
from ..selectors import (
    acl_require,
    file_get,
    file_iri,
    project_for_write,
    storage_resolve,
    subject_of,
    tag_is_valid,
)
from .content import Content, ContentReader, content_discard

WRITE = "files/write"


def _now():
    # Delta's instants have millisecond precision; so do ours, and the listing cursor relies on it.
    now = timezone.now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _validate_tag(tag: str | None) -> None:
    if tag is not None and not tag_is_valid(tag):
        raise errors.malformed_query_param("tag", "Tag must be 1 to 64 printable ASCII characters and not 'latest'.")


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
            upload_stored_on_commit(dialect=DELTA, size=blob.size)
            now = _now()
            file = File.objects.create(
                project=project_row,
                iri=iri,
                rev=1,
                **_content_fields(content, storage=storage, blob=blob),
                tags={tag: 1} if tag else {},
                created_at=now,
                created_by=subject,
                updated_at=now,
                updated_by=subject,
            )
            _record(file, Action.CREATED)
    except IntegrityError:
        content_discard(content)
        raise errors.already_exists(iri, project_row.ref) from None
    except BaseException:
        content_discard(content)
        raise
    return file


def _content_fields(content: Content, *, storage: Storage, blob) -> dict:
    """What new bytes set on a file (created or updated): the blob, its name and type, where from."""
    return {
        "blob": blob,
        "filename": content.filename,
        "media_type": content.media_type,
        "storage": storage,
        "storage_rev": storage.rev,
        "origin": content.origin,
    }


def _record(file: File, action: str) -> FileRevision:
    return FileRevision.objects.create(file=file, action=action, **revision_fields(file))


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
        blob = blob_record(staged=content.staged, media_type=content.media_type)
        upload_stored_on_commit(dialect=DELTA, size=blob.size)
        for name, value in _content_fields(content, storage=storage, blob=blob).items():
            setattr(file, name, value)
        if tag:
            file.tags = {**file.tags, tag: rev + 1}

    try:
        return _next_revision(file_pk=current.pk, rev=rev, user=user, action=Action.UPDATED, change=change)
    except BaseException:
        content_discard(content)
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
