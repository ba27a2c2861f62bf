"""Native uploads in the Dataverse dialect: the file sent, or each member of a zip unpacked (as
Dataverse does), as entries to register."""

from __future__ import annotations

import posixpath

from django.conf import settings

from blobs.archives import ArchiveRefused, ZipLimits
from blobs.selectors import blob_open_zip
from blobs.services import StagedBlob, blob_discard_staged, blob_stage
from core.errors import InvalidInput

from .jsondata import FileParams
from .registration import Entry


def native_entries(*, staged: StagedBlob, client_name: str, content_type: str, params: FileParams) -> list[Entry]:
    """The entries of a native upload: the file itself, or each member of a zip (its path inside the
    zip under the given directory label), as Dataverse unpacks them. The zip is read through blobs'
    safe archive reading: unsafe paths, encryption, bad CRCs and sizes over the limits refuse it whole."""
    is_zip = (content_type or "").split(";")[0].strip() == "application/zip" or client_name.lower().endswith(".zip")
    if not is_zip:
        return [Entry(params=params, staged=staged, client_name=client_name, content_type=content_type)]
    entries: list[Entry] = []
    limits = ZipLimits.default()
    # Dataverse's :ZipUploadFilesLimit (dvuploader recognises the refusal's wording), within blobs' bounds.
    members = settings.NEXUS_DATAVERSE_MAX_ZIP_MEMBERS
    limits = ZipLimits(members=members, member_bytes=limits.member_bytes, total_bytes=limits.total_bytes)
    try:
        with blob_open_zip(key=staged.key, name=f"'{client_name}'", limits=limits) as archive:
            for member in archive.members:
                member_staged = blob_stage(chunks=archive.chunks(member))
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


def native_or_direct_entries(upload, params: FileParams) -> list[Entry]:
    """A form's `file` part as native entries (a zip unpacked), or without one the direct upload
    its jsonData names."""
    if upload is None:
        return [Entry(params=params)]
    return native_entries(
        staged=upload.staged, client_name=upload.name or "", content_type=upload.content_type or "", params=params
    )
