"""Reads of blobs, the one door other apps use: streams, digests, temporary links, what the storage is."""

from collections.abc import Iterable

from django.conf import settings

from .archives import ArchiveRefused, SafeZip, ZipLimits, member_basename
from .backends import READ_CHUNK, get_backend
from .models import Blob
from .signed import LinkRefused, download_grant
from .streams import Copied, copy_hashed

__all__ = [
    "ArchiveRefused",
    "Copied",
    "LinkRefused",
    "ZipLimits",
    "blob_digests",
    "blob_direct_links_supported",
    "blob_download_url",
    "blob_exists",
    "blob_from_signed_link",
    "blob_get",
    "blob_iter_chunks",
    "blob_open",
    "blob_open_seekable",
    "blob_open_zip",
    "blob_recorded_keys",
    "blob_storage_check",
    "blob_storage_identifier_prefix",
    "member_basename",
]


def blob_get(*, key: str) -> Blob | None:
    """The recorded blob under `key`, or None."""
    return Blob.objects.filter(key=key).first()


def blob_recorded_keys(*, keys: Iterable[str]) -> set[str]:
    """The keys among `keys` that a Blob row records."""
    keys = list(dict.fromkeys(keys))
    if not keys:
        return set()
    return set(Blob.objects.filter(key__in=keys).values_list("key", flat=True))


def blob_open(*, blob: Blob):
    """A readable binary stream of the blob's bytes (FileNotFoundError when the storage has lost
    them, whatever the storage); the caller closes it."""
    return get_backend().open_reader(blob.key)


def blob_open_seekable(*, key: str):
    """A seekable binary stream of stored bytes (recorded or only staged); the caller closes it."""
    return get_backend().open_seekable(key)


def blob_iter_chunks(*, blob: Blob, chunk_size: int = READ_CHUNK):
    reader = blob_open(blob=blob)
    try:
        while chunk := reader.read(chunk_size):
            yield chunk
    finally:
        reader.close()


def blob_digests(*, key: str, hashes: Iterable[str] = ("sha256",)) -> Copied:
    """The size and digests (hashlib names: md5, sha1, sha256, sha512) of the bytes stored under
    `key`, read once, recorded or only staged."""
    with get_backend().open_reader(key) as reader:
        return copy_hashed(reader, hashes=hashes)


def blob_exists(*, key: str) -> bool:
    """Whether the storage holds an object under `key` (recorded or not)."""
    return get_backend().exists(key)


def blob_direct_links_supported() -> bool:
    """Whether objects clients put in the storage themselves can be linked to (S3: yes; local: no)."""
    return get_backend().supports_direct_links


def blob_storage_identifier_prefix() -> str:
    """Dataverse's storage identifier prefix of the blob store: `s3://<bucket>:` or `file://`."""
    return get_backend().identifier_prefix


def blob_download_url(*, blob: Blob | None = None, key: str = "", filename: str = "", ttl: int | None = None) -> str:
    """A temporary download link to a blob (or the blob under `key`): S3 pre-signed GET (absolute),
    or a signed app path (local)."""
    key = blob.key if blob is not None else key
    ttl = settings.NEXUS_LINK_TTL_SECONDS if ttl is None else ttl
    return get_backend().presigned_get(key, filename=filename, ttl=ttl)


def blob_from_signed_link(*, signed: str, filename: str) -> tuple[Blob, str]:
    """The blob a signed link grants and the filename to serve it under, or LinkRefused."""
    key, name = download_grant(signed=signed, filename=filename)
    blob = Blob.objects.filter(key=key).first()
    if blob is None:
        raise LinkRefused("The object no longer exists.")
    return blob, name


def blob_open_zip(*, key: str, name: str, limits=None):
    """A stored zip opened within limits (blobs.archives.SafeZip); ArchiveRefused if it cannot be
    read safely. The caller closes it (it is a context manager) while the stream stays open."""

    stream = get_backend().open_seekable(key)
    try:
        archive = SafeZip(stream, name=name, limits=limits)
    except BaseException:
        stream.close()
        raise
    original_close = archive.close

    def close():
        try:
            original_close()
        finally:
            stream.close()

    archive.close = close
    return archive


def blob_storage_check() -> None:
    """Raises when the blob storage cannot be used (the readiness check)."""
    get_backend().check()
