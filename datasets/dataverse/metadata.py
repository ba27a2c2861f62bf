"""File metadata in the Dataverse dialect: description, directory, label, categories and restriction
of a file, changed in the draft."""

from __future__ import annotations

from django.db import transaction

from core.errors import InvalidInput

from ..models import DatasetFile
from ..services import file_name_clean
from .access import dataverse_require_write
from .drafts import dataset_draft_for_write, file_in_draft
from .jsondata import FileParams
from .registration import NO_NAME, file_metadata_apply


def file_metadata_update(*, user, file: DatasetFile, params: FileParams) -> DatasetFile:
    """Description, directory, label, categories and restriction of a file, in the draft."""
    dataset = file.version.dataset
    dataverse_require_write(user=user, dataset=dataset, message="You are not permitted to edit files of this dataset.")
    with transaction.atomic():
        draft = dataset_draft_for_write(dataset=dataset)
        target = file_in_draft(file=file, draft=draft)
        if target is None:
            raise InvalidInput("You cannot edit metadata on a dataFile that is not in the dataset's draft.")
        directory = target.directory_label if params.directory_label is None else params.directory_label
        name = target.name if params.label is None else file_name_clean(params.label, refused=NO_NAME)
        clash = DatasetFile.objects.filter(version=draft, directory_label=directory, name=name).exclude(pk=target.pk)
        if clash.exists():
            shown = f"{directory}/{name}" if directory else name
            raise InvalidInput(f"Filename already exists at {shown}")
        target.directory_label, target.name = directory, name
        file_metadata_apply(target, params)
        target.save()
    return target
