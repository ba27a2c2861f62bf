"""A Dataverse dataset's life: created in a collection from its native JSON (a new persistent id),
its metadata edited, its draft published as a major or minor version, its draft or itself deleted."""

from __future__ import annotations

import json
import math
import secrets
import string

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from blobs.services import blob_delete
from core.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge

from ..models import Collection, Dataset, DatasetFile, DatasetLock, DatasetVersion, FileChange, VersionState, WriteGrant
from ..selectors import dataset_draft, is_number
from .access import dataverse_require_write
from .collections import collection_organization, collection_require_admin
from .drafts import dataset_draft_for_write

# The random part of a minted identifier, as Dataverse's default (randomString, 6 characters).
PID_ALPHABET = string.ascii_uppercase + string.digits
PID_LENGTH = 6
PID_ATTEMPTS = 20
# The citation fields a new dataset must have (Dataverse's required ones; the others are optional).
REQUIRED_FIELDS = ("title", "author", "datasetContact", "dsDescription", "subject")
_BLOCK_NAMES = {"citation": "Citation Metadata"}


def native_json_read(stream) -> object:
    """The JSON body of a create or editMetadata call, read up to NEXUS_DATAVERSE_MAX_METADATA_BYTES
    (413 past it) and nested at most NEXUS_DATAVERSE_MAX_METADATA_DEPTH deep."""
    limit = settings.NEXUS_DATAVERSE_MAX_METADATA_BYTES
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise PayloadTooLarge(f"The dataset's JSON is larger than {limit} bytes.")
    try:
        document = json.loads(body or b"null")
    except (ValueError, RecursionError):
        raise InvalidInput("Error parsing Json: the body is not JSON.") from None
    _depth_check(document, settings.NEXUS_DATAVERSE_MAX_METADATA_DEPTH)
    return document


def _depth_check(value, allowed: int) -> None:
    """Refuses nesting past `allowed` levels, and what the database cannot hold: NUL, lone surrogates,
    and numbers past a float's range (1e400, NaN), which JSON columns refuse."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput("Error parsing Json: a number is out of range.")
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidInput("Error parsing Json: text may not contain NUL characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("Error parsing Json: text is not valid Unicode.") from None
    elif isinstance(value, dict | list):
        if allowed <= 0:
            raise InvalidInput(
                f"Error parsing Json: nested deeper than {settings.NEXUS_DATAVERSE_MAX_METADATA_DEPTH} levels."
            )
        for item in value.values() if isinstance(value, dict) else value:
            _depth_check(item, allowed - 1)
        if isinstance(value, dict):
            for key in value:
                _depth_check(key, allowed)


def _fields_check(fields, where: str) -> list[dict]:
    if not isinstance(fields, list):
        raise InvalidInput(f"Error parsing Json: '{where}' must be a list of fields.")
    for field in fields:
        if not isinstance(field, dict) or not isinstance(field.get("typeName"), str) or "value" not in field:
            raise InvalidInput(f"Error parsing Json: each of '{where}' needs 'typeName' and 'value'.")
    return fields


def metadata_blocks_read(document) -> dict:
    """`datasetVersion.metadataBlocks` of a native JSON, each block as {displayName, name, fields}."""
    version = document.get("datasetVersion") if isinstance(document, dict) else None
    blocks = version.get("metadataBlocks") if isinstance(version, dict) else None
    if not isinstance(blocks, dict) or not isinstance(blocks.get("citation"), dict):
        raise InvalidInput("Error parsing Json: 'datasetVersion.metadataBlocks.citation' is missing.")
    read = {}
    for name, block in blocks.items():
        if not isinstance(block, dict):
            raise InvalidInput(f"Error parsing Json: metadata block '{name}' must be an object.")
        fields = _fields_check(block.get("fields"), f"metadataBlocks.{name}.fields")
        display = block.get("displayName")
        read[name] = {
            "displayName": display if isinstance(display, str) else _BLOCK_NAMES.get(name, name),
            "name": name,
            "fields": fields,
        }
    given = {f["typeName"] for f in read["citation"]["fields"] if f["value"] not in ("", [], None)}
    missing = [name for name in REQUIRED_FIELDS if name not in given]
    if missing:
        raise InvalidInput(f"Validation Failed: required citation fields are missing: {', '.join(missing)}.")
    return read


def metadata_title(blocks: dict) -> str:
    for field in blocks.get("citation", {}).get("fields", []):
        if field.get("typeName") == "title" and isinstance(field.get("value"), str):
            return field["value"][:500]
    return ""


def _identifier_new() -> tuple[str, str]:
    """(persistent id, short name) not taken yet."""
    authority, shoulder = settings.NEXUS_DATAVERSE_PID_AUTHORITY, settings.NEXUS_DATAVERSE_PID_SHOULDER
    for _ in range(PID_ATTEMPTS):
        random_part = "".join(secrets.choice(PID_ALPHABET) for _ in range(PID_LENGTH))
        pid = f"doi:{authority}/{shoulder}{random_part}"
        short_name = f"{shoulder}{random_part}".replace("/", "")
        if not Dataset.objects.filter(Q(persistent_id=pid) | Q(short_name=short_name)).exists():
            return pid, short_name
    raise InvalidInput("No free persistent identifier was found; try again.")


@transaction.atomic
def dataset_create(*, user, collection: Collection, document) -> Dataset:
    """A dataset with a draft holding the native JSON's metadata blocks, under a new persistent id;
    its creator may write to it (Dataverse makes them its curator)."""
    collection_require_admin(user=user, collection=collection, action="add a dataset")
    blocks = metadata_blocks_read(document)
    pid, short_name = _identifier_new()
    dataset = Dataset.objects.create(
        short_name=short_name,
        persistent_id=pid,
        title=metadata_title(blocks),
        organization=collection_organization(collection),
        collection=collection,
    )
    DatasetVersion.objects.create(dataset=dataset, identifier="1.0", state=VersionState.DRAFT, metadata_blocks=blocks)
    WriteGrant.objects.create(dataset=dataset, user=user)
    return dataset


def _field_merge(fields: list[dict], new: dict, *, replace: bool) -> None:
    for index, old in enumerate(fields):
        if old["typeName"] != new["typeName"]:
            continue
        if replace:
            fields[index] = new
        elif old.get("multiple") and isinstance(old["value"], list) and isinstance(new["value"], list):
            old["value"] = old["value"] + new["value"]
        elif old["value"] in ("", [], None):
            fields[index] = new
        else:
            raise InvalidInput(
                f"You may not add data to a field that already has data and does not allow multiples. "
                f"Use replace=true to replace existing data ({new['typeName']})"
            )
        return
    fields.append(new)


@transaction.atomic
def dataset_metadata_edit(*, user, dataset: Dataset, document, replace: bool) -> DatasetVersion:
    """editMetadata: `{"fields": [...]}` applied to the draft (made from the newest version if there
    is none). A field already set is refused unless `replace` (or it takes several values)."""
    dataverse_require_write(user=user, dataset=dataset, message="You are not permitted to edit this dataset.")
    fields = _fields_check(document.get("fields") if isinstance(document, dict) else None, "fields")
    draft = dataset_draft_for_write(dataset=dataset)
    blocks = draft.metadata_blocks or {}
    for new in fields:
        owner = next(
            (b for b in blocks.values() if any(f["typeName"] == new["typeName"] for f in b["fields"])),
            None,
        )
        if owner is None:
            owner = blocks.setdefault(
                "citation", {"displayName": _BLOCK_NAMES["citation"], "name": "citation", "fields": []}
            )
        _field_merge(owner["fields"], new, replace=replace)
    draft.metadata_blocks = blocks
    draft.save(update_fields=["metadata_blocks"])
    dataset.title = metadata_title(blocks) or dataset.title
    dataset.save(update_fields=["title"])
    return draft


def _released_numbers(dataset: Dataset) -> tuple[int, int] | None:
    """The highest (major, minor) among the dataset's released versions, or None."""
    numbers = []
    for identifier in DatasetVersion.objects.filter(dataset=dataset, state=VersionState.PUBLISHED).values_list(
        "identifier", flat=True
    ):
        major, _, minor = identifier.partition(".")
        if is_number(major) and (is_number(minor) or not minor):
            numbers.append((int(major), int(minor or 0)))
    return max(numbers, default=None)


@transaction.atomic
def dataset_publish(*, user, dataset: Dataset, release_type: str) -> DatasetVersion:
    """The draft released as the next major (`1.0`, `2.0`) or minor (`1.1`) version, as Dataverse
    numbers them; a first release is a major one."""
    dataverse_require_write(user=user, dataset=dataset, message="You are not permitted to publish this dataset.")
    if release_type not in ("major", "minor"):
        raise InvalidInput("Illegal 'type' parameter value. It needs to be either 'major' or 'minor'.")
    Dataset.objects.select_for_update().filter(pk=dataset.pk).exists()
    draft = dataset_draft(dataset=dataset)
    if draft is None:
        raise InvalidInput("Cannot publish: the dataset has no draft version.")
    released = _released_numbers(dataset)
    if released is None and release_type == "minor":
        raise InvalidInput("Cannot release as minor version. Re-try as major release.")
    major, minor = released or (0, 0)
    draft.identifier = f"{major + 1}.0" if release_type == "major" else f"{major}.{minor + 1}"
    draft.state, draft.published_at = VersionState.PUBLISHED, timezone.now()
    draft.save(update_fields=["identifier", "state", "published_at"])
    return draft


def _versions_remove(versions) -> None:
    """Removes the versions with their files and change records, and the blobs no other row uses."""
    version_ids = list(versions.values_list("pk", flat=True))
    files = DatasetFile.objects.filter(version_id__in=version_ids)
    changes = FileChange.objects.filter(version_id__in=version_ids)
    blobs = {}
    for file in files.select_related("blob", "original_blob").iterator():
        for blob in (file.blob, file.original_blob):
            if blob is not None:
                blobs[blob.pk] = blob
    for change in changes.select_related("blob", "previous_blob").iterator():
        for blob in (change.blob, change.previous_blob):
            if blob is not None:
                blobs[blob.pk] = blob
    changes.delete()
    files.delete()
    DatasetVersion.objects.filter(pk__in=version_ids).delete()
    ids = set(blobs)
    kept = set(DatasetFile.objects.filter(blob_id__in=ids).values_list("blob_id", flat=True))
    kept |= set(DatasetFile.objects.filter(original_blob_id__in=ids).values_list("original_blob_id", flat=True))
    kept |= set(FileChange.objects.filter(blob_id__in=ids).values_list("blob_id", flat=True))
    kept |= set(FileChange.objects.filter(previous_blob_id__in=ids).values_list("previous_blob_id", flat=True))
    for pk in ids - kept:
        blob_delete(blob=blobs[pk])


@transaction.atomic
def dataset_delete(*, user, dataset: Dataset) -> None:
    """A dataset never published, removed with its draft, files and bytes."""
    dataverse_require_write(user=user, dataset=dataset, message="You are not permitted to delete this dataset.")
    Dataset.objects.select_for_update().filter(pk=dataset.pk).exists()
    if DatasetVersion.objects.filter(dataset=dataset, state=VersionState.PUBLISHED).exists():
        raise Forbidden("This is a published dataset: only its draft can be deleted (DELETE .../versions/:draft).")
    _versions_remove(DatasetVersion.objects.filter(dataset=dataset))
    DatasetLock.objects.filter(dataset=dataset).delete()
    dataset.delete()


@transaction.atomic
def dataset_draft_delete(*, user, dataset: Dataset) -> bool:
    """The draft removed (its files' bytes too, where no released version has them); a dataset
    that had nothing else goes with it. Returns whether the dataset is gone."""
    dataverse_require_write(user=user, dataset=dataset, message="You are not permitted to delete this dataset.")
    Dataset.objects.select_for_update().filter(pk=dataset.pk).exists()
    if dataset_draft(dataset=dataset) is None:
        raise NotFound("This dataset has no draft version.")
    _versions_remove(DatasetVersion.objects.filter(dataset=dataset, state=VersionState.DRAFT))
    if DatasetVersion.objects.filter(dataset=dataset).exists():
        return False
    DatasetLock.objects.filter(dataset=dataset).delete()
    dataset.delete()
    return True
