"""Writes of the files app's registry: orgs and projects (each change a new revision), storages, ACL grants."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from .. import errors
from ..models import (
    DEFAULT_STORAGE_IRI,
    ORG_REVISION_FIELDS,
    PROJECT_REVISION_FIELDS,
    SERVICE_SUBJECT,
    Acl,
    IdentityKind,
    Org,
    OrgRevision,
    Project,
    ProjectRevision,
    Storage,
    StorageType,
)
from ..selectors import subject_of
from .revisions import _now

# Delta's Label: what an org or project label may be.
LABEL = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def label_check(value: str) -> None:
    """400 ValidationRejection unless the value is a label Delta accepts."""
    if not LABEL.fullmatch(value):
        raise errors.illegal_label(value)


def _author(user) -> str:
    # No caller (seed_demo, fixtures, the admin pages): the server's own account, as Delta's service account.
    return SERVICE_SUBJECT if user is None else subject_of(user)


# What the creator of an org or project gets on it, as Delta's `owner-permissions` (those this server
# checks, with its `orgs/...` names): enough to set it up and upload into it.
OWNER_PERMISSIONS = [
    "acls/read",
    "files/write",
    "orgs/read",
    "orgs/write",
    "projects/create",
    "projects/read",
    "projects/write",
    "resources/read",
]


def _grant_owner(user, path: str) -> None:
    # Only a signed-in caller: owner permissions for `anonymous` would be everybody's.
    if user is not None and user.is_authenticated:
        acl_grant(path=path, permissions=OWNER_PERMISSIONS, identity=IdentityKind.USER, user=user)


def _authored(user) -> dict:
    """Who and when of revision 1: created and updated at one instant by one subject."""
    subject, now = _author(user), _now()
    return {"created_at": now, "created_by": subject, "updated_at": now, "updated_by": subject}


def _record_org(org: Org) -> None:
    OrgRevision.objects.create(org=org, **{name: getattr(org, name) for name in ORG_REVISION_FIELDS})


def _record_project(project: Project) -> None:
    ProjectRevision.objects.create(
        project=project, **{name: getattr(project, name) for name in PROJECT_REVISION_FIELDS}
    )


@dataclass(frozen=True)
class ProjectFields:
    """What a project's payload sets; an update replaces all four, as Delta's (absent: the default)."""

    description: str = ""
    base: str = ""
    vocab: str = ""
    api_mappings: dict = field(default_factory=dict)


# --- Organizations ---------------------------------------------------------------------------------


@transaction.atomic
def org_create(*, label: str, description: str = "", user=None) -> Org:
    """Revision 1 of a new org; 409 OrganizationAlreadyExists if the label is taken."""
    label_check(label)
    if Org.objects.filter(label=label).exists():
        raise errors.org_already_exists(label)
    try:
        with transaction.atomic():
            org = Org.objects.create(label=label, description=description, **_authored(user))
            _record_org(org)
            _grant_owner(user, f"/{label}")
    except IntegrityError:
        # Another caller created it between the check and the insert.
        raise errors.org_already_exists(label) from None
    return org


def _advance(row, *, rev: int, user, what: str, deprecated: Exception, change: Callable, record: Callable):
    """Revision rev+1 of a locked org or project: 409 IncorrectRev unless `rev` is its revision, 400 if
    it is deprecated."""
    if rev != row.rev:
        raise errors.incorrect_rev(rev, row.rev, what=what)
    if row.deprecated:
        raise deprecated
    change(row)
    row.rev, row.updated_at, row.updated_by = row.rev + 1, _now(), _author(user)
    row.save()
    record(row)
    return row


def _next_org_revision(*, label: str, rev: int, user, change: Callable[[Org], None]) -> Org:
    """Appends revision rev+1 under a row lock; the unique (org, rev) turns a lost race into 409 IncorrectRev
    where the database cannot lock (SQLite)."""
    try:
        with transaction.atomic():
            org = Org.objects.select_for_update().filter(label=label).first()
            if org is None:
                raise errors.org_not_found(label)
            deprecated = errors.org_is_deprecated(label)
            return _advance(
                org, rev=rev, user=user, what="organization", deprecated=deprecated, change=change, record=_record_org
            )
    except IntegrityError:
        raise errors.incorrect_rev(rev, rev + 1, what="organization") from None


def org_update(*, user, label: str, rev: int, description: str) -> Org:
    """A new description (Delta's update: the payload replaces it, absent is empty)."""

    def change(org: Org) -> None:
        org.description = description

    return _next_org_revision(label=label, rev=rev, user=user, change=change)


def org_deprecate(*, user, label: str, rev: int) -> Org:
    """No more writes to the org, nor projects or files in it."""

    def change(org: Org) -> None:
        org.deprecated = True

    return _next_org_revision(label=label, rev=rev, user=user, change=change)


# --- Projects --------------------------------------------------------------------------------------


def _active_org(label: str) -> Org:
    """The org a project write needs: it exists (404) and is not deprecated (400), locked against a
    concurrent deprecation."""
    org = Org.objects.select_for_update().filter(label=label).first()
    if org is None:
        raise errors.org_not_found(label)
    if org.deprecated:
        raise errors.org_is_deprecated(label)
    return org


@transaction.atomic
def project_create(
    *,
    org: Org | str,
    label: str,
    base: str = "",
    vocab: str = "",
    api_mappings: dict | None = None,
    description: str = "",
    user=None,
) -> Project:
    """Revision 1 of a project with its default disk storage (Delta creates `nxv:diskStorageDefault`
    with it): org (404, 400 deprecated) -> exists (409)."""
    org_row = _active_org(org if isinstance(org, str) else org.label)
    label_check(label)
    if Project.objects.filter(org=org_row, label=label).exists():
        raise errors.project_already_exists(org_row.label, label)
    try:
        with transaction.atomic():
            authored = _authored(user)
            project = Project.objects.create(
                org=org_row,
                label=label,
                base=base,
                vocab=vocab,
                api_mappings=api_mappings or {},
                description=description,
                **authored,
            )
            _record_project(project)
            Storage.objects.create(
                project=project,
                iri=DEFAULT_STORAGE_IRI,
                type=StorageType.DISK,
                default=True,
                created_at=authored["created_at"],
                updated_at=authored["updated_at"],
            )
            _grant_owner(user, f"/{org_row.label}/{label}")
    except IntegrityError:
        raise errors.project_already_exists(org_row.label, label) from None
    return project


def _next_project_revision(*, org: str, label: str, rev: int, user, change: Callable[[Project], None]) -> Project:
    """As `_next_org_revision`, in Delta's order: org active -> project exists -> rev -> not deprecated."""
    try:
        with transaction.atomic():
            org_row = _active_org(org)
            project = Project.objects.select_for_update().filter(org=org_row, label=label).first()
            if project is None:
                raise errors.project_not_found(f"{org}/{label}")
            deprecated = errors.project_is_deprecated(project.ref)
            return _advance(
                project,
                rev=rev,
                user=user,
                what="project",
                deprecated=deprecated,
                change=change,
                record=_record_project,
            )
    except IntegrityError:
        raise errors.incorrect_rev(rev, rev + 1, what="project") from None


def project_update(*, user, org: str, label: str, rev: int, fields: ProjectFields) -> Project:
    def change(project: Project) -> None:
        project.description, project.base, project.vocab = fields.description, fields.base, fields.vocab
        project.api_mappings = fields.api_mappings

    return _next_project_revision(org=org, label=label, rev=rev, user=user, change=change)


def project_deprecate(*, user, org: str, label: str, rev: int) -> Project:
    """No more writes to the project nor its files."""

    def change(project: Project) -> None:
        project.deprecated = True

    return _next_project_revision(org=org, label=label, rev=rev, user=user, change=change)


# --- Storages and ACLs -----------------------------------------------------------------------------


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
