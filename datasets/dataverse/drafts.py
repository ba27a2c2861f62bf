"""Locks and the draft in the Dataverse dialect: a lock shown while files are registered, the draft
a write goes to (created when a published dataset is edited), and a file's row in that draft."""

from __future__ import annotations

import contextlib

from ..models import Dataset, DatasetFile, DatasetLock, DatasetVersion
from ..selectors import dataset_draft, version_next_identifier
from ..services import dataset_version_create


@contextlib.contextmanager
def dataset_locked(*, dataset: Dataset, user, message: str):
    """A lock row, committed at once so that `GET .../locks` shows it while the work runs."""
    lock = DatasetLock.objects.create(
        dataset=dataset, lock_type="EditInProgress", user=user if user.is_authenticated else None, message=message
    )
    try:
        yield lock
    finally:
        DatasetLock.objects.filter(pk=lock.pk).delete()


def dataset_draft_for_write(*, dataset: Dataset) -> DatasetVersion:
    """The draft version, created from the newest version when there is none (as Dataverse does
    when a published dataset is edited). Call inside a transaction: the dataset row is locked."""
    Dataset.objects.select_for_update().filter(pk=dataset.pk).exists()
    draft = dataset_draft(dataset=dataset)
    if draft is not None:
        return draft
    return dataset_version_create(dataset=dataset, identifier=version_next_identifier(dataset=dataset))


def file_in_draft(*, file: DatasetFile, draft: DatasetVersion) -> DatasetFile | None:
    """The draft's row of a file named by the id of any version's row of the same dataset."""
    if file.version_id == draft.pk:
        return file
    if file.version.dataset_id != draft.dataset_id:
        return None
    return DatasetFile.objects.filter(version=draft, directory_label=file.directory_label, name=file.name).first()
