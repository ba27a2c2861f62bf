"""Reads of the Dataverse dialect: datasets and files by Dataverse id or `:persistentId`, who may
write (in Dataverse's words), what `latestVersion` a caller sees, the locks that count."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.errors import InvalidInput, NotFound

from ..models import Dataset, DatasetFile, DatasetLock, DatasetVersion, VersionState
from ..selectors import dataset_can_write, dataset_draft, dataset_require_write, file_visible, is_number

# Dataverse's answer to an anonymous caller of a call that needs a user.
ANONYMOUS = "Only authenticated users can perform the requested operation"


def dataverse_require_write(
    *, user, dataset: Dataset, message: str = "You are not permitted to add files to this dataset."
) -> None:
    """An anonymous caller is a 401, one without the right to write a 403 with `message`. Checked
    before a native upload is unpacked too, so a refused caller costs no storage."""
    dataset_require_write(user=user, dataset=dataset, refused=message, anonymous=ANONYMOUS)


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
    return DatasetFile.objects.select_related("blob", "original_blob", "version__dataset").filter(pk=file_id).first()


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
    """Locks taken less than NEXUS_DATAVERSE_LOCK_STALE_SECONDS ago (by default an hour; an older
    one was left by a process that died)."""
    since = timezone.now() - timedelta(seconds=settings.NEXUS_DATAVERSE_LOCK_STALE_SECONDS)
    return DatasetLock.objects.filter(dataset=dataset, created__gte=since).select_related("user")


def dataset_versions_visible(*, user, dataset: Dataset) -> list[DatasetVersion]:
    """Its versions newest first, as Dataverse lists them: the draft for its writers only."""
    versions = DatasetVersion.objects.filter(dataset=dataset).order_by("-created", "-id")
    if not dataset_can_write(user=user, dataset=dataset):
        versions = versions.filter(state=VersionState.PUBLISHED)
    found = list(versions)
    if not found:
        raise NotFound(f"Dataset with Persistent ID {dataset.persistent_id} not found.")
    return found


def dataset_version_named(*, user, dataset: Dataset, name: str) -> DatasetVersion:
    """`:latest` (what the caller sees as latestVersion), `:draft` (for writers), `:latest-published`,
    or a released version by its number (`1.0`, or `1` for 1.0)."""
    if name == ":latest":
        return dataset_latest_visible(user=user, dataset=dataset)
    if name == ":draft":
        draft = dataset_draft(dataset=dataset) if dataset_can_write(user=user, dataset=dataset) else None
        if draft is None:
            raise NotFound(f"Dataset version {name} of dataset {dataset.pk} not found")
        return draft
    released = DatasetVersion.objects.filter(dataset=dataset, state=VersionState.PUBLISHED)
    if name == ":latest-published":
        found = released.order_by("-published_at", "-id").first()
    else:
        found = released.filter(identifier=name if "." in name else f"{name}.0").first()
    if found is None:
        raise NotFound(f"Dataset version {name} of dataset {dataset.pk} not found")
    return found
