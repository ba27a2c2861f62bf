"""Writes of the Dataverse dialect: direct-upload tickets, completing and aborting them, registering
files (direct or native, added or replacing) with their checksums verified, file metadata, locks."""

from __future__ import annotations

import contextlib
import hashlib
import mimetypes
import posixpath
import re
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from blobs.archives import ArchiveRefused, ZipLimits
from blobs.direct import (
    DirectTicket,
    direct_adopt,
    direct_key,
    direct_restore,
    direct_upload_start,
    multipart_abort,
    multipart_complete,
    multipart_get,
)
from blobs.models import Blob, MultipartUpload
from blobs.selectors import blob_open_seekable, blob_open_zip
from blobs.services import StagedBlob, blob_discard_staged, blob_record, blob_stage
from blobs.storage import READ_CHUNK, S3Backend, get_backend
from core.errors import Forbidden, InvalidInput, NexusError, NotAuthenticated, NotFound

from .jsondata import HASHES_NEEDING_A_READ, FileParams
from .models import ChangeAction, Dataset, DatasetFile, DatasetLock, DatasetVersion, FileChange
from .selectors import dataset_can_write, dataset_draft, dataset_file_find
from .services import dataset_version_create

DEFAULT_TYPE = "application/octet-stream"
_SID = re.compile(r"^[0-9a-f]{6,16}-[0-9a-f]{12}$")
# Dataverse's default :ZipUploadFilesLimit; dvuploader recognises the refusal's wording.
MAX_ZIP_MEMBERS = 1000
ADDED = "Added successfully to the dataset"
REPLACED = "Replaced successfully in the dataset"


# --- storage identifiers, in Dataverse's form: s3://<bucket>:<id> on S3, file://<id> on local storage


def _store_prefix() -> str:
    backend = get_backend()
    return f"s3://{backend.bucket}:" if isinstance(backend, S3Backend) else "file://"


def storage_identifier_new() -> str:
    """`<hex milliseconds>-<12 hex>`, as Dataverse generates them, behind this store's prefix."""
    return f"{_store_prefix()}{int(time.time() * 1000):x}-{uuid.uuid4().hex[-12:]}"


def _upload_key(*, dataset: Dataset, storage_identifier: str) -> str:
    prefix = _store_prefix()
    name = storage_identifier[len(prefix) :] if storage_identifier.startswith(prefix) else ""
    if not _SID.match(name):
        raise InvalidInput("Dataset store configuration does not allow provided storageIdentifier.")
    return direct_key(namespace=f"dataset-{dataset.pk}", name=name)


# --- tickets


def _require_write(*, user, dataset: Dataset, message: str) -> None:
    if not user.is_authenticated:
        raise NotAuthenticated("Only authenticated users can perform the requested operation")
    if not dataset_can_write(user=user, dataset=dataset):
        raise Forbidden(message)


def dataverse_ticket(*, user, dataset: Dataset, size: int) -> tuple[DirectTicket, str]:
    """Pre-signed URL(s) for `size` bytes and the storage identifier to register them under. A size
    that fits one part creates no state; a larger one starts a multipart upload."""
    _require_write(user=user, dataset=dataset, message="You are not permitted to upload files to this dataset.")
    if not dataset.direct_upload:
        raise NotFound(f"Direct upload not supported for files in this dataset: {dataset.pk}")
    limit = settings.NEXUS_MAX_UPLOAD_BYTES
    if size > limit:
        raise InvalidInput(
            "The file you are trying to upload is too large to be uploaded to this dataset. "
            f"The maximum allowed file size is {limit} bytes."
        )
    storage_identifier = storage_identifier_new()
    key = _upload_key(dataset=dataset, storage_identifier=storage_identifier)
    ticket = direct_upload_start(key=key, size=size, scope=f"dataset:{dataset.pk}")
    return ticket, storage_identifier


def dataverse_multipart(*, user, token: str, global_id: str, storage_identifier: str, action: str) -> MultipartUpload:
    """The multipart upload the complete/abort URL names, once its dataset, storage identifier and
    the caller's right to write there all agree."""
    if not user.is_authenticated:
        raise NotAuthenticated("Only authenticated users can perform the requested operation")
    upload = multipart_get(token=token or "")
    dataset = Dataset.objects.filter(persistent_id=global_id).first()
    if dataset is None or upload.scope != f"dataset:{dataset.pk}":
        raise NotFound("No multipart upload matches the supplied parameters.")
    if _upload_key(dataset=dataset, storage_identifier=storage_identifier or "") != upload.key:
        raise NotFound("No multipart upload matches the supplied parameters.")
    if not dataset_can_write(user=user, dataset=dataset):
        raise Forbidden(f"You are not permitted to {action} file uploads with the supplied parameters.")
    return upload


def dataverse_complete(*, upload: MultipartUpload, etags) -> None:
    if not isinstance(etags, dict) or not etags:
        raise InvalidInput("The body must be a JSON object of part numbers to ETags.")
    multipart_complete(upload=upload, etags=etags)


def dataverse_abort(*, upload: MultipartUpload) -> None:
    multipart_abort(upload=upload)


# --- locks and the draft


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
    taken = set(DatasetVersion.objects.filter(dataset=dataset).values_list("identifier", flat=True))
    number = len(taken) + 1
    while f"{number}.0" in taken:
        number += 1
    return dataset_version_create(dataset=dataset, identifier=f"{number}.0")


def _in_draft(*, file: DatasetFile, draft: DatasetVersion) -> DatasetFile | None:
    """The draft's row of a file named by the id of any version's row of the same dataset."""
    if file.version_id == draft.pk:
        return file
    if file.version.dataset_id != draft.dataset_id:
        return None
    return DatasetFile.objects.filter(version=draft, directory_label=file.directory_label, name=file.name).first()


# --- registration


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

    @property
    def storage_identifier(self) -> str:
        return self.params.storage_identifier or ""


class _Refused(Exception):
    pass


def _clean_name(name: str) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or name in {".", ".."}:
        raise InvalidInput("The file has no usable name: give 'fileName'.")
    return name[:255]


def _media_type(given: str | None, name: str) -> str:
    given = (given or "").split(";")[0].strip()
    if given and given != DEFAULT_TYPE:
        return given
    return mimetypes.guess_type(name)[0] or DEFAULT_TYPE


def _digest_of(key: str, algorithm: str) -> str:
    digest = hashlib.new(HASHES_NEEDING_A_READ[algorithm], usedforsecurity=False)
    with blob_open_seekable(key=key) as reader:
        while chunk := reader.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


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


def _apply_metadata(file: DatasetFile, params: FileParams) -> None:
    """The descriptive fields jsonData gives; those it leaves out stay as they are."""
    if params.description is not None:
        file.description = params.description
    if params.categories is not None:
        file.categories = params.categories
    if params.restrict is not None:
        file.restricted = params.restrict


def _record(entry: Entry, *, user, draft: DatasetVersion) -> DatasetFile:
    params = entry.params
    name = _clean_name(params.file_name or entry.client_name)
    media_type = _media_type(params.mime_type or entry.content_type, name)
    if entry.replace is not None:
        target = _in_draft(file=entry.replace, draft=draft)
        if target is None:
            raise InvalidInput("The file to replace does not belong to this dataset.")
        if entry.unchanged or target.blob.sha256 == entry.staged.sha256:
            entry.unchanged = True
            _apply_metadata(target, params)
            target.save()
            return target
        if target.media_type != media_type and not params.force_replace:
            raise InvalidInput(
                f"The original file ({target.media_type}) and replacement file ({media_type}) are different file types."
            )
        directory = target.directory_label if params.directory_label is None else params.directory_label
        previous = target.blob
        blob = blob_record(staged=entry.staged, media_type=media_type, discard_on_error=False)
        target.blob, target.media_type = blob, media_type
        target.name = _free_name(version=draft, directory=directory, name=name, skip=target.pk)
        target.directory_label = directory
        _apply_metadata(target, params)
        target.checksum_type, target.checksum_value = entry.checksum
        target.storage_identifier = entry.storage_identifier
        target.save()
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
    blob = blob_record(staged=entry.staged, media_type=media_type, discard_on_error=False)
    file = DatasetFile.objects.create(
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


def dataverse_require_write(*, user, dataset: Dataset) -> None:
    """Checked before a native upload is unpacked, so a refused caller costs no storage."""
    _require_write(user=user, dataset=dataset, message="You are not permitted to add files to this dataset.")


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
    for entry in entries:
        if entry.unchanged:
            get_backend().delete(entry.staged.key)
    return True


def _undo(entries: list[Entry]) -> None:
    recorded = set(
        Blob.objects.filter(key__in=[e.staged.key for e in entries if e.staged]).values_list("key", flat=True)
    )
    for entry in entries:
        entry.file = None
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


# --- native uploads: a zip is unpacked into its files


def native_entries(*, staged: StagedBlob, client_name: str, content_type: str, params: FileParams) -> list[Entry]:
    """The entries of a native upload: the file itself, or each member of a zip (its path inside the
    zip under the given directory label), as Dataverse unpacks them. The zip is read through blobs'
    safe archive reading: unsafe paths, encryption, bad CRCs and sizes over the limits refuse it whole."""
    is_zip = (content_type or "").split(";")[0].strip() == "application/zip" or client_name.lower().endswith(".zip")
    if not is_zip:
        return [Entry(params=params, staged=staged, client_name=client_name, content_type=content_type)]
    entries: list[Entry] = []
    limits = ZipLimits.default()
    limits = ZipLimits(members=MAX_ZIP_MEMBERS, member_bytes=limits.member_bytes, total_bytes=limits.total_bytes)
    try:
        with blob_open_zip(key=staged.key, name=f"'{client_name}'", limits=limits) as archive:
            for member in archive.members:
                member_staged = blob_stage(chunks=archive.chunks(member, READ_CHUNK))
                folder, base = posixpath.split(member.orig_filename)
                label = "/".join(p for p in (params.directory_label or "", folder) if p)
                member_params = FileParams(**{**params.__dict__, "directory_label": label, "file_name": base})
                member_params.checksum_type = member_params.checksum_value = None
                entries.append(Entry(params=member_params, staged=member_staged, client_name=base))
    except ArchiveRefused as refusal:
        blob_discard_staged(keys=[e.staged.key for e in entries])
        raise InvalidInput(refusal.message) from None
    except BaseException:
        blob_discard_staged(keys=[e.staged.key for e in entries])
        raise
    return entries


# --- metadata


def file_metadata_update(*, user, file: DatasetFile, params: FileParams) -> DatasetFile:
    """Description, directory, label, categories and restriction of a file, in the draft."""
    dataset = file.version.dataset
    _require_write(user=user, dataset=dataset, message="You are not permitted to edit files of this dataset.")
    with transaction.atomic():
        draft = dataset_draft_for_write(dataset=dataset)
        target = _in_draft(file=file, draft=draft)
        if target is None:
            raise InvalidInput("You cannot edit metadata on a dataFile that is not in the dataset's draft.")
        directory = target.directory_label if params.directory_label is None else params.directory_label
        name = target.name if params.label is None else _clean_name(params.label)
        clash = DatasetFile.objects.filter(version=draft, directory_label=directory, name=name).exclude(pk=target.pk)
        if clash.exists():
            shown = f"{directory}/{name}" if directory else name
            raise InvalidInput(f"Filename already exists at {shown}")
        target.directory_label, target.name = directory, name
        _apply_metadata(target, params)
        target.save()
    return target
