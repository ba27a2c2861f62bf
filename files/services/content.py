"""The bytes of a file: an uploaded part or a linked S3 object, staged in blob storage within the storage's limit."""

import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from blobs.selectors import blob_direct_links_supported, blob_exists
from blobs.services import BlobTooLarge, StagedBlob, blob_discard_staged, blob_stage_copy

from .. import errors
from ..models import File, Origin, Project, Storage, StorageType


@dataclass
class Content:
    """Bytes already staged in blob storage, with what the file will be called and typed as."""

    staged: StagedBlob
    filename: str
    media_type: str
    origin: str = Origin.CLIENT
    # Bytes this request staged itself (links) and must remove if the write is refused.
    owned: bool = False


# The view reads the body only once every check has passed; it gets the storage (its size limit,
# its type) and the file's IRI (for error messages).
ContentReader = Callable[[Storage, str], Content]


def media_type_detect(*, filename: str, part_type: str | None, charset: str | None = None) -> str:
    """The part's Content-Type unless missing or application/octet-stream, else by extension (text
    types get `; charset=UTF-8`), else application/octet-stream."""
    if part_type and part_type != "application/octet-stream":
        return f"{part_type}; charset={charset}" if charset else part_type
    guessed, _encoding = mimetypes.guess_type(filename, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=UTF-8" if guessed.startswith("text/") else guessed


# Objects a project may link live under its own link area of the bucket, never among the blobs
# (other projects' and other dialects' bytes) or multipart parts.
LINK_PREFIX = "links"


def link_area(*, project: Project) -> str:
    """The bucket prefix a project's link paths are relative to: `links/{org}/{project}/`."""
    return f"{LINK_PREFIX}/{project.org.label}/{project.label}/"


def _link_key(project: Project, path: str) -> str | None:
    """The object key a link path stands for, or None when the path could leave the link area."""
    segments = path.split("/")
    if any(s in ("", ".", "..") or "\\" in s or not s.isprintable() for s in segments):
        return None
    return link_area(project=project) + path


MEDIA_TYPE_MAX = File._meta.get_field("media_type").max_length
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
FILENAME_MAX = File._meta.get_field("filename").max_length


def _check_lengths(*, filename: str, media_type: str) -> None:
    """What the columns cannot hold is a malformed request (400), not a database error."""
    if _CONTROL.search(filename) or _CONTROL.search(media_type):
        raise errors.malformed_content("The filename and the media type cannot hold control characters.")
    if len(media_type) > MEDIA_TYPE_MAX:
        raise errors.malformed_content(f"The media type is longer than {MEDIA_TYPE_MAX} characters.")
    if len(filename) > FILENAME_MAX:
        raise errors.malformed_content(f"The filename is longer than {FILENAME_MAX} characters.")


def file_upload_content(
    *, storage: Storage, staged: StagedBlob, filename: str | None, part_type: str | None, charset: str | None
) -> Content:
    """An uploaded part (already streamed into blob storage) as a file's content."""
    # The body is normally cut off at this limit while it streams; this holds even if something
    # parsed it before the limit was set.
    if staged.size > _write_limit(storage):
        raise errors.file_too_large(_write_limit(storage))
    filename = filename or "file"
    media_type = media_type_detect(filename=filename, part_type=part_type, charset=charset)
    _check_lengths(filename=filename, media_type=media_type)
    return Content(staged=staged, filename=filename, media_type=media_type)


def file_link_content(
    *, storage: Storage, iri: str, path: str, filename: str | None, media_type: str | None
) -> Content:
    """Links an object of the project's link area of the S3 bucket (`path` is relative to
    `links/{org}/{project}/`): its bytes are copied through blobs (size, SHA-256, limit in one pass),
    so that the revision keeps them whatever later happens at `path`. Disk storages refuse
    (UnsupportedOperation), as in the reference server."""
    if storage.type != StorageType.S3:
        raise errors.unsupported_operation(iri, storage.iri, storage.type)
    filename = filename or path.rstrip("/").rsplit("/", 1)[-1]
    if not path or not filename or path.endswith("/"):
        raise errors.invalid_file_link(iri)
    if not blob_direct_links_supported():
        raise errors.link_rejected(iri, storage.iri, "The server's blob storage is not S3.")
    key = _link_key(storage.project, path)
    if key is None:
        raise errors.link_rejected(
            iri,
            storage.iri,
            f"The path must be relative to the project's link area '{link_area(project=storage.project)}', "
            "without a leading '/' nor empty, '.' or '..' segments.",
        )
    if not blob_exists(key=key):
        raise errors.link_rejected(iri, storage.iri, f"No object at path '{path}' in the project's link area.")
    media_type = media_type or media_type_detect(filename=filename, part_type=None)
    _check_lengths(filename=filename, media_type=media_type)
    try:
        staged = blob_stage_copy(key=key, max_bytes=_write_limit(storage), media_type=media_type)
    except BlobTooLarge:
        raise errors.file_too_large(_write_limit(storage)) from None
    return Content(
        staged=staged,
        filename=filename,
        media_type=media_type,
        origin=Origin.STORAGE,
        owned=True,
    )


def _write_limit(storage: Storage) -> int:
    return min(storage.max_file_size, settings.NEXUS_MAX_UPLOAD_BYTES)


def file_write_limit(*, storage: Storage) -> int:
    """The most bytes a file may have in this storage (the storage's and the server's limit)."""
    return _write_limit(storage)


def content_discard(content: Content | None) -> None:
    if content is not None and content.owned:
        blob_discard_staged(keys=[content.staged.key])
