"""Storage identifiers in Dataverse's form (s3://<bucket>:<id> on S3, file://<id> on local storage):
new ones for tickets, and the upload key a given one names in its dataset."""

from __future__ import annotations

import re
import time
import uuid

from blobs.selectors import blob_storage_identifier_prefix
from blobs.services import direct_key
from core.errors import InvalidInput

from ..models import Dataset

_SID = re.compile(r"^[0-9a-f]{6,16}-[0-9a-f]{12}$")


def _store_prefix() -> str:
    return blob_storage_identifier_prefix()


def storage_identifier_new() -> str:
    """`<hex milliseconds>-<12 hex>`, as Dataverse generates them, behind this store's prefix."""
    return f"{_store_prefix()}{int(time.time() * 1000):x}-{uuid.uuid4().hex[-12:]}"


def _upload_key(*, dataset: Dataset, storage_identifier: str) -> str:
    prefix = _store_prefix()
    name = storage_identifier[len(prefix) :] if storage_identifier.startswith(prefix) else ""
    if not _SID.match(name):
        raise InvalidInput("Dataset store configuration does not allow provided storageIdentifier.")
    return direct_key(namespace=f"dataset-{dataset.pk}", name=name)
