"""Direct uploads: pre-signed PUT URLs (S3, or this server's own signed URLs on local storage) for
one object or its parts, completing, aborting and sweeping multipart uploads, and adopting the
uploaded object as a blob after checking it."""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.errors import Conflict, InvalidInput, NotFound

from .models import MultipartUpload
from .services import BlobTooLarge, StagedBlob, blob_new_key
from .storage import READ_CHUNK, LocalBackend, S3Backend, get_backend

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_BYTES = 5 * MIB
DIRECT_PREFIX = "blobs/direct/"
PUT_SALT = "blobs.direct-put"
TEMP_TAG = "dv-state=temp"
HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-512": "sha512"}


def direct_part_size() -> int:
    """The configured part size in whole MiB, at least 5 MiB (dvuploader reads 1 MiB blocks and
    loses bytes at a part boundary that is not on one; S3 refuses smaller parts)."""
    return max(MIN_PART_BYTES, settings.NEXUS_DIRECT_UPLOAD_PART_BYTES // MIB * MIB)


def direct_key(*, namespace: str, name: str) -> str:
    """Where a direct upload lands before it is adopted: under the blobs prefix, so that the orphan
    sweep removes what is never registered."""
    return f"{DIRECT_PREFIX}{namespace}/{name}"


def _parts_prefix(key: str) -> str:
    return f"{key}.parts"


def _part_key(key: str, number: int) -> str:
    return f"{_parts_prefix(key)}/{number:05d}"


@dataclass
class DirectTicket:
    part_size: int
    url: str | None = None
    urls: list[str] = field(default_factory=list)
    upload: MultipartUpload | None = None


def _part_sizes(size: int, part_size: int) -> list[int]:
    """Every part is `part_size` bytes but the last, which holds the rest."""
    count = math.ceil(size / part_size)
    return [part_size] * (count - 1) + [size - part_size * (count - 1)]


def _local_put_url(*, key: str, part: int, size: int, token: str, ttl: int) -> str:
    payload = {"k": key, "p": part, "s": size, "u": token, "e": int(time.time()) + ttl}
    signed = signing.dumps(payload, salt=PUT_SALT)
    return reverse("blobs:direct-put", kwargs={"signed": signed})


def direct_upload_start(*, key: str, size: int, scope: str, ttl: int | None = None) -> DirectTicket:
    """A ticket for `size` bytes under `key`: one PUT URL when it fits a part (no state is created),
    else a multipart upload of ceil(size / part size) parts, recorded until completed or aborted."""
    ttl = settings.NEXUS_LINK_TTL_SECONDS if ttl is None else ttl
    part_size = direct_part_size()
    backend = get_backend()
    if size <= part_size:
        if isinstance(backend, S3Backend):
            url = backend.presigned_put(key, ttl=ttl, size=size, tagging=TEMP_TAG)
        else:
            url = _local_put_url(key=key, part=0, size=size, token="", ttl=ttl)
        return DirectTicket(part_size=part_size, url=url)
    sizes = _part_sizes(size, part_size)
    count = len(sizes)
    s3_upload_id = ""
    if isinstance(backend, S3Backend):
        s3_upload_id = backend.client.create_multipart_upload(Bucket=backend.bucket, Key=key)["UploadId"]
    try:
        upload = MultipartUpload.objects.create(
            token=secrets.token_hex(16),
            key=key,
            scope=scope,
            size=size,
            part_size=part_size,
            part_count=count,
            s3_upload_id=s3_upload_id,
            expires_at=timezone.now() + timedelta(seconds=ttl),
        )
    except BaseException:
        if s3_upload_id:
            backend.client.abort_multipart_upload(Bucket=backend.bucket, Key=key, UploadId=s3_upload_id)
        raise
    if isinstance(backend, S3Backend):
        urls = [
            backend.presigned_upload_part(key, upload_id=s3_upload_id, number=n, size=part, ttl=ttl)
            for n, part in enumerate(sizes, start=1)
        ]
    else:
        urls = [
            _local_put_url(key=key, part=n, size=part, token=upload.token, ttl=ttl)
            for n, part in enumerate(sizes, start=1)
        ]
    return DirectTicket(part_size=part_size, urls=urls, upload=upload)


class PutRefused(Exception):
    """A local direct PUT that is not allowed: bad or expired signature (403), unknown upload (404)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def direct_put_receive(*, signed: str, stream, content_length: int | None) -> str:
    """Stores the body of a PUT to a local signed URL (the whole object, or one part) and returns
    its ETag: the MD5 of the bytes, quoted, as S3 answers."""
    try:
        payload = signing.loads(signed, salt=PUT_SALT)
    except signing.BadSignature:
        raise PutRefused(403, "The URL's signature does not match.") from None
    if payload["e"] < time.time():
        raise PutRefused(403, "The URL has expired.")
    if content_length is None:
        raise PutRefused(411, "A Content-Length header is required.")
    key, part, expected = payload["k"], payload["p"], payload["s"]
    target = key
    if part:
        if not MultipartUpload.objects.filter(token=payload["u"], key=key).exists():
            raise PutRefused(404, "The multipart upload does not exist (completed, aborted or expired).")
        target = _part_key(key, part)
    if content_length != expected:
        what = f"part {part}" if part else "the file"
        raise PutRefused(400, f"The body is {content_length} bytes; this URL takes {what} of {expected} bytes.")
    md5 = hashlib.md5(usedforsecurity=False)
    sink = get_backend().open_sink(target, "application/octet-stream")
    remaining = content_length
    try:
        while remaining:
            chunk = stream.read(min(READ_CHUNK, remaining))
            if not chunk:
                raise PutRefused(400, f"The body ended {remaining} bytes short of its Content-Length.")
            remaining -= len(chunk)
            md5.update(chunk)
            sink.write(chunk)
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    return f'"{md5.hexdigest()}"'


def multipart_get(*, token: str) -> MultipartUpload:
    upload = MultipartUpload.objects.filter(token=token).first()
    if upload is None:
        raise NotFound("No such multipart upload: it was completed, aborted or has expired.")
    return upload


def _etag(value) -> str:
    if not isinstance(value, str) or not value.strip('" '):
        raise InvalidInput("Each part's ETag must be a non-empty string.")
    return value.strip().strip('"').lower()


def multipart_complete(*, upload: MultipartUpload, etags: dict) -> None:
    """Assembles the object from its parts, in part order, after checking that every part of the
    ticket is named once with the ETag it was answered with (quoted or not). A refusal keeps the
    parts: the client may complete again, or abort."""
    try:
        given = {int(number): _etag(value) for number, value in etags.items()}
    except (TypeError, ValueError):
        raise InvalidInput("The body must be a JSON object of part numbers to ETags.") from None
    expected = set(range(1, upload.part_count + 1))
    if set(given) != expected:
        missing = sorted(expected - set(given))
        extra = sorted(set(given) - expected)
        raise InvalidInput(
            f"The upload has parts 1 to {upload.part_count}; missing {missing or 'none'}, unknown {extra or 'none'}."
        )
    backend = get_backend()
    with transaction.atomic():
        locked = MultipartUpload.objects.select_for_update().filter(pk=upload.pk).first()
        if locked is None:
            raise NotFound("No such multipart upload: it was completed, aborted or has expired.")
        if isinstance(backend, S3Backend):
            _complete_s3(backend, upload, given)
        else:
            _complete_local(backend, upload, given)
        locked.delete()


def _complete_s3(backend: S3Backend, upload: MultipartUpload, given: dict[int, str]) -> None:
    from botocore.exceptions import ClientError

    parts = [{"PartNumber": n, "ETag": f'"{given[n]}"'} for n in sorted(given)]
    try:
        backend.client.complete_multipart_upload(
            Bucket=backend.bucket, Key=upload.key, UploadId=upload.s3_upload_id, MultipartUpload={"Parts": parts}
        )
    except ClientError as error:
        detail = error.response.get("Error", {})
        raise InvalidInput(
            f"The storage refused to complete the upload: {detail.get('Code')}: {detail.get('Message')}"
        ) from None


def _complete_local(backend: LocalBackend, upload: MultipartUpload, given: dict[int, str]) -> None:
    sink = backend.open_sink(upload.key, "application/octet-stream")
    try:
        for number in sorted(given):
            md5 = hashlib.md5(usedforsecurity=False)
            try:
                reader = backend.open_reader(_part_key(upload.key, number))
            except FileNotFoundError:
                raise InvalidInput(f"Part {number} was never uploaded.") from None
            with reader:
                while chunk := reader.read(READ_CHUNK):
                    md5.update(chunk)
                    sink.write(chunk)
            if md5.hexdigest() != given[number]:
                raise InvalidInput(
                    f'Part {number}\'s ETag does not match: given "{given[number]}", stored "{md5.hexdigest()}".'
                )
        sink.finish()
    except BaseException:
        sink.abort()
        raise
    backend.delete_tree(_parts_prefix(upload.key))


def multipart_abort(*, upload: MultipartUpload) -> None:
    """Removes every part and the record; aborting twice is harmless."""
    backend = get_backend()
    if isinstance(backend, S3Backend):
        from botocore.exceptions import ClientError

        try:
            backend.client.abort_multipart_upload(Bucket=backend.bucket, Key=upload.key, UploadId=upload.s3_upload_id)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "NoSuchUpload":
                raise
    else:
        backend.delete_tree(_parts_prefix(upload.key))
    MultipartUpload.objects.filter(pk=upload.pk).delete()


def multipart_sweep_expired() -> int:
    """Aborts the multipart uploads whose ticket has expired; returns how many. One that a complete
    is assembling right now (its row is locked) is left for the next sweep; one that fails to abort
    is logged and the sweep goes on."""
    aborted = 0
    expired = MultipartUpload.objects.filter(expires_at__lt=timezone.now())
    for pk in list(expired.values_list("pk", flat=True)):
        try:
            with transaction.atomic():
                upload = expired.select_for_update(skip_locked=True).filter(pk=pk).first()
                if upload is None:
                    continue
                multipart_abort(upload=upload)
        except Exception:
            logger.exception("could not abort the expired multipart upload %s", pk)
            continue
        aborted += 1
    if aborted:
        logger.info("aborted %d expired multipart uploads", aborted)
    return aborted


@dataclass
class Adopted:
    """A directly uploaded object moved to a blob key of its own and read once: the staged blob and
    the digests asked for (hex, by Dataverse's algorithm names)."""

    staged: StagedBlob
    digests: dict[str, str]
    source_key: str


def direct_adopt(*, key: str, algorithms: set[str], max_bytes: int | None = None) -> Adopted:
    """Moves the uploaded object under `key` to a fresh blob key first (so a late PUT to the old URL
    cannot change bytes that are being checked or registered), then reads it once for its size,
    SHA-256, MD5 and the `algorithms` asked for. A refusal puts the object back where it was."""
    max_bytes = settings.NEXUS_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    backend = get_backend()
    if MultipartUpload.objects.filter(key=key).exists():
        raise Conflict("The multipart upload of this object has not been completed.")
    target = blob_new_key()
    try:
        backend.move(key, target)
    except FileNotFoundError:
        raise NotFound("No uploaded object has this storage identifier (never uploaded, or registered).") from None
    try:
        wanted = {name: hashlib.new(HASHES[name], usedforsecurity=False) for name in algorithms}
        sha256, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
        size = 0
        with backend.open_reader(target) as reader:
            while chunk := reader.read(READ_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise BlobTooLarge(f"The uploaded object exceeds the maximum size of {max_bytes} bytes.")
                sha256.update(chunk)
                md5.update(chunk)
                for digest in wanted.values():
                    digest.update(chunk)
    except BaseException:
        direct_restore(source_key=key, blob_key=target)
        raise
    staged = StagedBlob(key=target, size=size, sha256=sha256.hexdigest(), md5=md5.hexdigest())
    return Adopted(staged=staged, digests={name: d.hexdigest() for name, d in wanted.items()}, source_key=key)


def direct_restore(*, source_key: str, blob_key: str) -> None:
    """Undoes an adoption that was not registered: the object goes back under its upload key."""
    try:
        get_backend().move(blob_key, source_key)
    except FileNotFoundError:
        logger.warning("could not put %s back under %s: it is gone", blob_key, source_key)
