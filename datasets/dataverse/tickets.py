"""Direct upload in the Dataverse dialect: tickets (pre-signed URLs and the storage identifier to
register under), and completing or aborting a multipart upload."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from blobs.services import DirectTicket, direct_upload_start, multipart_abort, multipart_complete, multipart_get
from core.errors import InvalidInput, NotAuthenticated, NotFound

from ..models import Dataset
from .access import ANONYMOUS, dataverse_require_write
from .collections import dataset_direct_upload
from .identifiers import _upload_key, storage_identifier_new

if TYPE_CHECKING:
    from blobs.models import MultipartUpload


MIB = 1024 * 1024


def complete_limit_text(limit: int) -> str:
    """The completion body's bound as its refusal states it ("1 MiB" at the default)."""
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit} bytes"


def dataverse_ticket(*, user, dataset: Dataset, size: int) -> tuple[DirectTicket, str]:
    """Pre-signed URL(s) for `size` bytes and the storage identifier to register them under. A size
    that fits one part creates no state; a larger one starts a multipart upload."""
    message = "You are not permitted to upload files to this dataset."
    dataverse_require_write(user=user, dataset=dataset, message=message)
    if not dataset_direct_upload(dataset):
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
        raise NotAuthenticated(ANONYMOUS)
    upload = multipart_get(token=token or "")
    dataset = Dataset.objects.filter(persistent_id=global_id).first()
    if dataset is None or upload.scope != f"dataset:{dataset.pk}":
        raise NotFound("No multipart upload matches the supplied parameters.")
    if _upload_key(dataset=dataset, storage_identifier=storage_identifier or "") != upload.key:
        raise NotFound("No multipart upload matches the supplied parameters.")
    message = f"You are not permitted to {action} file uploads with the supplied parameters."
    dataverse_require_write(user=user, dataset=dataset, message=message)
    return upload


def dataverse_complete(*, upload: MultipartUpload, etags) -> None:
    if not isinstance(etags, dict) or not etags:
        raise InvalidInput("The body must be a JSON object of part numbers to ETags.")
    multipart_complete(upload=upload, etags=etags)


def dataverse_abort(*, upload: MultipartUpload) -> None:
    multipart_abort(upload=upload)
