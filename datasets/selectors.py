"""Reads of datasets: write rights, the version a request means, a version's files, Dataverse addressing."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership, Role
from core.errors import InvalidInput, NotFound

from .models import Dataset, DatasetFile, DatasetLock, DatasetVersion, VersionState, WriteGrant


def dataset_get(*, short_name: str) -> Dataset:
    dataset = Dataset.objects.select_related("organization").filter(short_name=short_name).first()
    if dataset is None:
        raise NotFound(f"Dataset '{short_name}' does not exist.")
    return dataset


def dataset_can_write(*, user, dataset: Dataset) -> bool:
    """Uploaders of the owning organization, users and organizations granted write, superusers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if Membership.objects.filter(user=user, organization_id=dataset.organization_id, role=Role.UPLOADER).exists():
        return True
    member_of = Membership.objects.filter(user=user).values("organization_id")
    return WriteGrant.objects.filter(Q(user=user) | Q(organization_id__in=member_of), dataset=dataset).exists()


def version_get(*, dataset: Dataset, identifier: str | None) -> DatasetVersion:
    """The named version; without a name, the latest published one, else the pre-published one."""
    versions = DatasetVersion.objects.filter(dataset=dataset)
    if identifier is not None:
        version = versions.filter(identifier=identifier).first()
        if version is None:
            raise NotFound(f"Dataset '{dataset.short_name}' has no version '{identifier}'.")
        return version
    version = (
        versions.filter(state=VersionState.PUBLISHED).order_by("-published_at", "-id").first()
        or versions.filter(state=VersionState.DRAFT).order_by("-created", "-id").first()
    )
    if version is None:
        raise NotFound(f"Dataset '{dataset.short_name}' has no version yet.")
    return version


def version_file_get(*, version: DatasetVersion, name: str) -> DatasetFile:
    directory, _, base = name.rpartition("/")
    found = DatasetFile.objects.select_related("blob").filter(version=version, directory_label=directory, name=base)
    file = found.first()
    if file is None:
        raise NotFound(
            f"Version '{version.identifier}' of dataset '{version.dataset.short_name}' has no file '{name}'."
        )
    return file


# --- who sees a file: a restricted file (Dataverse `"restrict": true`) is the dataset's writers' only.
# Everyone else is answered as if it were not there: it is left out of every listing and its lookup
# is a NotFound, so that neither its bytes nor its name or size leave the server.


def file_visible(*, user, file: DatasetFile, can_write: bool | None = None) -> bool:
    """Whether the user may see (list, read, download) the file; `can_write` when already known."""
    if not file.restricted:
        return True
    if can_write is None:
        can_write = dataset_can_write(user=user, dataset=file.version.dataset)
    return can_write


def version_files(*, version: DatasetVersion, user):
    """The version's files the user may see: restricted ones for the dataset's writers only."""
    files = DatasetFile.objects.select_related("blob").filter(version=version).order_by("directory_label", "name")
    if not dataset_can_write(user=user, dataset=version.dataset):
        files = files.filter(restricted=False)
    return files


def version_file_readable(*, user, version: DatasetVersion, name: str) -> DatasetFile:
    """The named file of the version, or NotFound, also when it is restricted and the user no writer
    (the same answer as for a name that does not exist: the listing does not show it either)."""
    file = version_file_get(version=version, name=name)
    if not file_visible(user=user, file=file):
        raise NotFound(
            f"Version '{version.identifier}' of dataset '{version.dataset.short_name}' has no file '{name}'."
        )
    return file


# --- Dataverse addressing: `{id}` or `:persistentId` with `?persistentId=` ---


def is_number(text: str) -> bool:
    """ASCII digits only (str.isdigit() takes "²", which int() refuses)."""
    return text.isascii() and text.isdigit()


def dataset_by_dataverse_id(*, ident: str, persistent_id: str | None) -> Dataset:
    """The dataset a Dataverse path names, by database id or by the `:persistentId` convention."""
    if ident == ":persistentId":
        if not persistent_id:
            raise InvalidInput(
                "When accessing a dataset based on Persistent ID, a persistentId query parameter must be present."
            )
        dataset = Dataset.objects.select_related("organization").filter(persistent_id=persistent_id).first()
        if dataset is None:
            raise NotFound(f"Dataset with Persistent ID {persistent_id} not found.")
        return dataset
    if not is_number(ident):
        raise InvalidInput(f"Bad dataset ID number: {ident}.")
    dataset = Dataset.objects.select_related("organization").filter(pk=int(ident)).first()
    if dataset is None:
        raise NotFound(f"Dataset with ID {ident} not found.")
    return dataset


def dataset_draft(*, dataset: Dataset) -> DatasetVersion | None:
    return DatasetVersion.objects.filter(dataset=dataset, state=VersionState.DRAFT).order_by("-created", "-id").first()


def dataset_latest_visible(*, user, dataset: Dataset) -> DatasetVersion:
    """Dataverse's `latestVersion`: the draft for those who may write, else the newest published
    version; a dataset with nothing the caller may see is not found."""
    if dataset_can_write(user=user, dataset=dataset):
        draft = dataset_draft(dataset=dataset)
        if draft is not None:
            return draft
    published = (
        DatasetVersion.objects.filter(dataset=dataset, state=VersionState.PUBLISHED)
        .order_by("-published_at", "-id")
        .first()
    )
    if published is None:
        raise NotFound(f"Dataset with Persistent ID {dataset.persistent_id} not found.")
    return published


def dataset_file_find(*, file_id) -> DatasetFile | None:
    """A file of any version by its Dataverse id (a number, or its text), or None."""
    if isinstance(file_id, str):
        if not is_number(file_id):
            return None
        file_id = int(file_id)
    return DatasetFile.objects.select_related("blob", "version__dataset").filter(pk=file_id).first()


def dataset_file_to_replace(*, file_id) -> DatasetFile:
    found = dataset_file_find(file_id=file_id)
    if found is None:
        raise InvalidInput(f"Replacement file not found. There was no file found for ID: {file_id}")
    return found


def dataset_file_visible(*, user, file_id: str) -> DatasetFile:
    """A file of a published version, or of any version for the dataset's writers; a restricted
    file for the writers only. Else NotFound."""
    found = dataset_file_find(file_id=file_id)
    if found is not None:
        can_write = dataset_can_write(user=user, dataset=found.version.dataset)
        if (found.version.state == VersionState.PUBLISHED or can_write) and file_visible(
            user=user, file=found, can_write=can_write
        ):
            return found
    raise NotFound(f"Could not find datafile with id {file_id}")


def dataset_locks_current(*, dataset: Dataset):
    """Locks taken less than an hour ago (an older one was left by a process that died)."""
    since = timezone.now() - timedelta(hours=1)
    return DatasetLock.objects.filter(dataset=dataset, created__gte=since).select_related("user")
