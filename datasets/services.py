"""Writes of datasets shared by both dialects: a file's name cleaned, put and delete a version's files
(recorded), create and publish versions."""

from django.db import transaction
from django.utils import timezone

from blobs.services import StagedBlob, blob_record
from core.dialects import CDG
from core.errors import Conflict, InvalidInput
from core.metrics import upload_stored_on_commit

from .models import ChangeAction, Dataset, DatasetFile, DatasetVersion, FileChange, VersionState
from .selectors import dataset_require_write

# The name column's width (DatasetFile.name).
NAME_CHARS = 255


def file_name_clean(name: str, *, refused: str = "The uploaded file has no usable name.") -> str:
    """The last part of a client's file name (either slash), stripped and cut to what the column
    holds; a name with nothing usable left is refused in the words of `refused`."""
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidInput(refused)
    return name[:NAME_CHARS]


def dataset_file_put(
    *,
    user,
    dataset: Dataset,
    version: DatasetVersion,
    client_filename: str,
    staged: StagedBlob,
    media_type: str,
    directory_label: str = "",
) -> tuple[DatasetFile, bool]:
    """Stores the file in the version; a file of the same name is replaced (POST and PUT alike).
    Returns the file and whether it replaced one. The change is recorded with who and when."""
    dataset_require_write(user=user, dataset=dataset)
    name = file_name_clean(client_filename)
    with transaction.atomic():
        # One writer per version at a time: two uploads of one name cannot both "add" it.
        DatasetVersion.objects.select_for_update().filter(pk=version.pk).exists()
        blob = blob_record(staged=staged, media_type=media_type)
        upload_stored_on_commit(dialect=CDG, size=blob.size)
        existing = DatasetFile.objects.filter(version=version, directory_label=directory_label, name=name).first()
        if existing is not None:
            previous = existing.blob
            existing.blob, existing.media_type = blob, media_type
            # The checksum is the new bytes' MD5 (read from the blob) and no direct upload is behind it.
            existing.checksum_type, existing.checksum_value, existing.storage_identifier = "MD5", "", ""
            # Nor is it a Dataverse-ingested table any more: no original beside the new bytes.
            existing.original_blob, existing.original_name, existing.original_media_type = None, "", ""
            existing.save(
                update_fields=[
                    "blob",
                    "media_type",
                    "checksum_type",
                    "checksum_value",
                    "storage_identifier",
                    "original_blob",
                    "original_name",
                    "original_media_type",
                ]
            )
            FileChange.objects.create(
                version=version, action=ChangeAction.REPLACE, name=name, user=user, blob=blob, previous_blob=previous
            )
            return existing, True
        file = DatasetFile.objects.create(
            version=version, name=name, directory_label=directory_label, blob=blob, media_type=media_type
        )
        FileChange.objects.create(version=version, action=ChangeAction.ADD, name=name, user=user, blob=blob)
        return file, False


@transaction.atomic
def dataset_file_delete(*, user, file: DatasetFile) -> None:
    """Removes the file from its version only; other versions keep theirs (and the bytes stay, named
    by the change record)."""
    version = file.version
    dataset_require_write(user=user, dataset=version.dataset)
    FileChange.objects.create(
        version=version, action=ChangeAction.DELETE, name=str(file), user=user, previous_blob=file.blob
    )
    file.delete()


@transaction.atomic
def dataset_version_create(
    *, dataset: Dataset, identifier: str, source: DatasetVersion | None = None
) -> DatasetVersion:
    """A new pre-published version holding the file list of `source` (by default the newest version);
    no bytes are copied."""
    if DatasetVersion.objects.filter(dataset=dataset, identifier=identifier).exists():
        raise Conflict(f"Dataset '{dataset.short_name}' already has a version '{identifier}'.")
    previous = source or DatasetVersion.objects.filter(dataset=dataset).order_by("-created", "-id").first()
    version = DatasetVersion.objects.create(
        dataset=dataset,
        identifier=identifier,
        state=VersionState.DRAFT,
        metadata_blocks=previous.metadata_blocks if previous is not None else {},
    )
    if previous is not None:
        DatasetFile.objects.bulk_create(
            DatasetFile(
                version=version,
                name=f.name,
                directory_label=f.directory_label,
                description=f.description,
                blob_id=f.blob_id,
                media_type=f.media_type,
                categories=f.categories,
                restricted=f.restricted,
                checksum_type=f.checksum_type,
                checksum_value=f.checksum_value,
                storage_identifier=f.storage_identifier,
                original_blob_id=f.original_blob_id,
                original_name=f.original_name,
                original_media_type=f.original_media_type,
            )
            for f in previous.files.all()
        )
    return version


def dataset_version_publish(*, user, version: DatasetVersion) -> DatasetVersion:
    dataset_require_write(user=user, dataset=version.dataset)
    if version.state != VersionState.PUBLISHED:
        version.state, version.published_at = VersionState.PUBLISHED, timezone.now()
        version.save(update_fields=["state", "published_at"])
    return version
