"""Registration in the Dataverse dialect: files (uploaded directly, or staged from a native upload)
added to the draft or replacing one of its files, each one's checksum verified, all or none."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from django.db import transaction

from blobs.selectors import blob_digests, blob_recorded_keys
from blobs.services import (
    StagedBlob,
    blob_delete,
    blob_discard_staged,
    blob_record,
    direct_adopt,
    direct_restore,
)
from core.dialects import DATAVERSE
from core.errors import InvalidInput, NexusError
from core.metrics import upload_stored_on_commit

from ..models import ChangeAction, Dataset, DatasetFile, DatasetVersion, FileChange
from ..services import file_name_clean
from .access import dataset_file_find, dataverse_require_write
from .drafts import dataset_draft_for_write, dataset_locked, file_in_draft
from .identifiers import _upload_key
from .ingest import TAB_TYPE, ingestible, original_type, tab_discard, tab_ingest, tab_name
from .jsondata import HASHES_NEEDING_A_READ, FileParams

DEFAULT_TYPE = "application/octet-stream"
# The refusal of a file whose jsonData and upload give no usable name.
NO_NAME = "The file has no usable name: give 'fileName'."


@dataclass
class Entry:
    """One file to register: bytes already uploaded directly (`params.storage_identifier`) or staged
    from a native multipart upload (`staged`, with its client name and content type)."""

    params: FileParams
    staged: StagedBlob | None = None
    client_name: str = ""
    content_type: str = ""
    replace: DatasetFile | None = None
    # filled while preparing
    adopted_from: str | None = None
    checksum: tuple[str, str] = ("MD5", "")
    error: str | None = None
    file: DatasetFile | None = None
    # A replacement with the bytes the file has already: its metadata is applied, nothing else.
    unchanged: bool = False
    # The `.tab` a tabular ingest made of the staged bytes (which are then kept as the original).
    tab: StagedBlob | None = None

    @property
    def storage_identifier(self) -> str:
        return self.params.storage_identifier or ""


class _Refused(Exception):
    pass


def _media_type(given: str | None, name: str) -> str:
    given = (given or "").split(";")[0].strip()
    if given and given != DEFAULT_TYPE:
        return given
    return mimetypes.guess_type(name)[0] or DEFAULT_TYPE


def _digest_of(key: str, algorithm: str) -> str:
    name = HASHES_NEEDING_A_READ[algorithm]
    return blob_digests(key=key, hashes=(name,)).digests[name]


def _prepare(entry: Entry, *, dataset: Dataset) -> None:
    """Puts the entry's bytes under a blob key of their own and checks the checksum it gives."""
    params = entry.params
    if entry.staged is None:
        if not params.storage_identifier:
            raise InvalidInput("You must upload a file or provide a valid storageidentifier, filename, and mimetype.")
        if not params.file_name:
            raise InvalidInput("A direct upload needs its 'fileName'.")
        if not params.checksum_type:
            raise InvalidInput(
                "A direct upload needs its checksum: 'md5Hash', or 'checksum' with '@type' and '@value'."
            )
        key = _upload_key(dataset=dataset, storage_identifier=params.storage_identifier)
        wanted = {params.checksum_type} & set(HASHES_NEEDING_A_READ)
        adopted = direct_adopt(key=key, algorithms=wanted)
        entry.staged, entry.adopted_from = adopted.staged, adopted.source_key
        actual = {"MD5": adopted.staged.md5, "SHA-256": adopted.staged.sha256, **adopted.digests}
    else:
        actual = {"MD5": entry.staged.md5, "SHA-256": entry.staged.sha256}
        if params.checksum_type in HASHES_NEEDING_A_READ:
            actual[params.checksum_type] = _digest_of(entry.staged.key, params.checksum_type)
    if entry.replace is not None and entry.replace.blob.sha256 == actual["SHA-256"]:
        # dvuploader re-sends files the dataset has, with a checksum of its own making (its bug):
        # the bytes are the file's already, so nothing is replaced and their checksum stays.
        entry.unchanged = True
        return
    if params.checksum_type:
        found = actual[params.checksum_type]
        if found != params.checksum_value:
            raise InvalidInput(
                f"Checksum mismatch: {params.checksum_type} given {params.checksum_value}, "
                f"the stored bytes have {found}."
            )
        entry.checksum = (params.checksum_type, params.checksum_value)
    else:
        entry.checksum = ("MD5", actual["MD5"])


def _free_name(*, version: DatasetVersion, directory: str, name: str, skip: int | None = None) -> str:
    """`name`, or Dataverse's `name-1.ext`, `name-2.ext`... when the directory has it already."""
    taken = DatasetFile.objects.filter(version=version, directory_label=directory).exclude(pk=skip)
    names = set(taken.values_list("name", flat=True))
    if name not in names:
        return name
    stem, dot, ext = name.rpartition(".")
    stem, ext = (stem, dot + ext) if stem else (name, "")
    number = 1
    while f"{stem}-{number}{ext}" in names:
        number += 1
    return f"{stem}-{number}{ext}"


def file_metadata_apply(file: DatasetFile, params: FileParams) -> None:
    """The descriptive fields jsonData gives; those it leaves out stay as they are."""
    if params.description is not None:
        file.description = params.description
    if params.categories is not None:
        file.categories = params.categories
    if params.restrict is not None:
        file.restricted = params.restrict


def _ingests(entry: Entry, draft: DatasetVersion) -> bool:
    """Whether a new file is ingested as Dataverse does: sent natively, without `tabIngest: false`,
    into a dataset of a collection (the seed's dataset, in none, keeps files as they were sent)."""
    return entry.adopted_from is None and entry.params.tab_ingest and draft.dataset.collection_id is not None


def _record(entry: Entry, *, user, draft: DatasetVersion) -> DatasetFile:
    params = entry.params
    name = file_name_clean(params.file_name or entry.client_name, refused=NO_NAME)
    media_type = _media_type(params.mime_type or entry.content_type, name)
    if entry.replace is not None:
        target = file_in_draft(file=entry.replace, draft=draft)
        if target is None:
            raise InvalidInput("The file to replace does not belong to this dataset.")
        if entry.unchanged or target.blob.sha256 == entry.staged.sha256:
            entry.unchanged = True
            file_metadata_apply(target, params)
            target.save()
            return target
        if target.media_type != media_type and not params.force_replace:
            raise InvalidInput(
                f"The original file ({target.media_type}) and replacement file ({media_type}) are different file types."
            )
        directory = target.directory_label if params.directory_label is None else params.directory_label
        previous = target.blob
        blob = blob_record(staged=entry.staged, media_type=media_type, discard_on_error=False)
        upload_stored_on_commit(dialect=DATAVERSE, size=blob.size)
        target.blob, target.media_type = blob, media_type
        # A replacement is not ingested: an ingested file's original goes with its old bytes.
        old_original = target.original_blob
        target.original_blob, target.original_name, target.original_media_type = None, "", ""
        target.name = _free_name(version=draft, directory=directory, name=name, skip=target.pk)
        target.directory_label = directory
        file_metadata_apply(target, params)
        target.checksum_type, target.checksum_value = entry.checksum
        target.storage_identifier = entry.storage_identifier
        target.save()
        if old_original is not None and not DatasetFile.objects.filter(original_blob=old_original).exists():
            blob_delete(blob=old_original)  # no other version holds it
        FileChange.objects.create(
            version=draft,
            action=ChangeAction.REPLACE,
            name=str(target)[:255],
            user=user,
            blob=blob,
            previous_blob=previous,
        )
        return target
    directory = params.directory_label or ""
    original = {}
    ext = ingestible(name) if _ingests(entry, draft) else None
    if ext is not None:
        entry.tab = tab_ingest(staged=entry.staged, ext=ext)
    if entry.tab is not None:
        kept = blob_record(staged=entry.staged, media_type=original_type(ext), discard_on_error=False)
        original = {"original_blob": kept, "original_name": name, "original_media_type": original_type(ext)}
        name, media_type, staged = tab_name(name), TAB_TYPE, entry.tab
    else:
        staged = entry.staged
    blob = blob_record(staged=staged, media_type=media_type, discard_on_error=False)
    upload_stored_on_commit(dialect=DATAVERSE, size=blob.size)
    file = DatasetFile.objects.create(
        **original,
        version=draft,
        name=_free_name(version=draft, directory=directory, name=name),
        directory_label=directory,
        description=params.description or "",
        blob=blob,
        media_type=media_type,
        categories=params.categories or [],
        restricted=bool(params.restrict),
        checksum_type=entry.checksum[0],
        checksum_value=entry.checksum[1],
        storage_identifier=entry.storage_identifier,
    )
    FileChange.objects.create(version=draft, action=ChangeAction.ADD, name=str(file)[:255], user=user, blob=blob)
    return file


def files_register(*, user, dataset: Dataset, entries: list[Entry]) -> bool:
    """Registers every entry in the dataset's draft, or none: each entry's bytes are checked first
    (checksum, size, presence), then the rows are written, all in one transaction that holds the
    dataset's row, so two registrations of one uploaded object cannot both take it. Returns whether
    they were registered; refusals are on the entries (`error`). Refused direct uploads are put back
    where they were uploaded, so the client can register them again with the right details; on any
    other failure too, nothing is registered and nothing uploaded is lost."""
    try:
        dataverse_require_write(user=user, dataset=dataset)
        with dataset_locked(dataset=dataset, user=user, message="Registering files"), transaction.atomic():
            Dataset.objects.select_for_update().filter(pk=dataset.pk).exists()
            for entry in entries:
                if entry.error is None:
                    try:
                        _prepare(entry, dataset=dataset)
                    except NexusError as error:
                        entry.error = error.message
            if any(entry.error for entry in entries):
                raise _Refused
            draft = dataset_draft_for_write(dataset=dataset)
            for entry in entries:
                try:
                    with transaction.atomic():
                        entry.file = _record(entry, user=user, draft=draft)
                except NexusError as error:
                    entry.error = error.message
            if any(entry.error for entry in entries):
                raise _Refused
    except _Refused:
        _undo(entries)
        return False
    except BaseException:
        _undo(entries)
        raise
    # Bytes identical to the file they were to replace are not needed: that file keeps its own.
    blob_discard_staged(keys=[entry.staged.key for entry in entries if entry.unchanged])
    return True


def _undo(entries: list[Entry]) -> None:
    recorded = blob_recorded_keys(
        keys=[e.staged.key for e in entries if e.staged] + [e.tab.key for e in entries if e.tab]
    )
    for entry in entries:
        entry.file = None
        if entry.tab is not None and entry.tab.key not in recorded:
            tab_discard(entry.tab)
        entry.tab = None
        if entry.staged is None or entry.staged.key in recorded:
            continue
        if entry.adopted_from:
            direct_restore(source_key=entry.adopted_from, blob_key=entry.staged.key)
        else:
            blob_discard_staged(keys=[entry.staged.key])


def replace_entries(*, files: list[FileParams]) -> list[Entry]:
    """The entries of a replaceFiles request: each names the file it replaces by fileToReplaceId; one
    that names none, or an unknown one, is refused (and with it the request)."""
    entries = []
    for params in files:
        entry = Entry(params=params)
        if params.file_to_replace_id is None:
            entry.error = "You must provide a fileToReplaceId, storageidentifier, filename, and mimetype."
        else:
            entry.replace = dataset_file_find(file_id=params.file_to_replace_id)
            if entry.replace is None:
                entry.error = f"Replacement file not found. There was no file found for ID: {params.file_to_replace_id}"
        entries.append(entry)
    return entries
