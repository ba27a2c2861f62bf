"""Writes of the files app's registry: orgs, projects (with their default storage), storages, ACL grants."""

from django.db import transaction

from .. import errors
from ..models import DEFAULT_STORAGE_IRI, Acl, Org, Project, Storage, StorageType


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
