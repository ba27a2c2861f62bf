"""S3 blob storage (any endpoint): streamed multipart writes, ranged reads, pre-signed URLs; the only
module that speaks boto."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings

from .base import KEY_PREFIX, READ_CHUNK, MultipartRefused

S3_PART_SIZE = 8 * 1024 * 1024  # S3 wants parts of at least 5 MiB; 8 MiB bounds the buffer
_MISSING = {"404", "NoSuchKey", "NotFound"}


def _code(error: ClientError) -> str | None:
    return error.response.get("Error", {}).get("Code")


class S3Sink:
    """A multipart upload started once the first part is full; small objects are one PUT."""

    def __init__(self, client, bucket: str, key: str, media_type: str):
        self.client, self.bucket, self.key, self.media_type = client, bucket, key, media_type
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict] = []

    def write(self, chunk: bytes) -> None:
        self._buffer += chunk
        while len(self._buffer) >= S3_PART_SIZE:
            part = bytes(self._buffer[:S3_PART_SIZE])
            del self._buffer[:S3_PART_SIZE]
            self._upload_part(part)

    def _upload_part(self, data: bytes) -> None:
        if self._upload_id is None:
            created = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key, ContentType=self.media_type)
            self._upload_id = created["UploadId"]
        number = len(self._parts) + 1
        answer = self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=data
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def finish(self) -> None:
        if self._upload_id is None:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer), ContentType=self.media_type
            )
        else:
            if self._buffer:
                self._upload_part(bytes(self._buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        self._buffer = bytearray()

    def abort(self) -> None:
        self._buffer = bytearray()
        if self._upload_id is not None:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            self._upload_id = None


class S3Appender:
    """Appends a resumable upload's bytes as parts of one S3 multipart upload. The bytes of the part
    being filled wait in a spool file on local disk (`<spool>/<part number>`), never in memory; a full
    part is sent and its file dropped. The first spool file of a request is kept until `checkpoint`,
    so that `rollback` (a chunk whose checksum failed) can return to where the request began: at
    most two parts are on disk. Parts sent after the last checkpoint are simply sent again later
    under the same numbers (S3 keeps the last part sent under a number)."""

    def __init__(self, client, bucket, key, *, upload_id, offset, parts, part_size, spool: Path):
        self.client, self.bucket, self.key, self.upload_id = client, bucket, key, upload_id
        self.part_size, self.spool = part_size, spool
        spool.mkdir(parents=True, exist_ok=True)
        tail = offset - parts * part_size
        path = self._path(parts + 1)
        if not 0 <= tail < part_size or (tail and (not path.exists() or path.stat().st_size < tail)):
            raise MultipartRefused(f"The spooled part holds fewer than the {tail} bytes recorded.")
        self._file = open(path, "a+b")  # noqa: SIM115 (closed in close)
        self._file.truncate(tail)  # a killed request's unacknowledged bytes are dropped
        self._filled = tail
        self.base, self.base_parts = offset, parts
        self.offset, self.parts = offset, parts
        self._settled = parts

    def _path(self, number: int) -> Path:
        return self.spool / f"{number:05d}"

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            piece = view[: self.part_size - self._filled]
            self._file.write(piece)
            self._filled += len(piece)
            self.offset += len(piece)
            view = view[len(piece) :]
            if self._filled == self.part_size:
                self._send_part()

    def _send_part(self) -> None:
        number = self.parts + 1
        self._file.flush()
        self._file.seek(0)
        self.client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=self._file
        )
        self._file.close()
        if number != self.base_parts + 1:
            self._path(number).unlink(missing_ok=True)
        self.parts = number
        self._file = open(self._path(number + 1), "w+b")  # noqa: SIM115 (closed in close)
        self._filled = 0

    def checkpoint(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._settled, self.base, self.base_parts = self.base_parts, self.offset, self.parts

    def settle(self) -> None:
        # Once the checkpoint is recorded: the spool files of parts sent before it are not needed
        # any more (until then, a failed record leaves the upload where those files are needed).
        for number in range(self._settled + 1, self.base_parts + 1):
            self._path(number).unlink(missing_ok=True)
        self._settled = self.base_parts

    def rollback(self) -> None:
        self._file.close()
        for number in range(self.base_parts + 2, self.parts + 2):
            self._path(number).unlink(missing_ok=True)
        self._file = open(self._path(self.base_parts + 1), "a+b")  # noqa: SIM115 (closed in close)
        self._filled = self.base - self.base_parts * self.part_size
        self._file.truncate(self._filled)
        self.offset, self.parts = self.base, self.base_parts

    def close(self) -> None:
        self._file.close()


class S3RangeReader(io.RawIOBase):
    """A seekable, read-only view of an S3 object through ranged GETs (for zip central directories)."""

    def __init__(self, client, bucket: str, key: str):
        self.client, self.bucket, self.key = client, bucket, key
        try:
            self.length = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
        except ClientError as error:
            if _code(error) in _MISSING:
                raise FileNotFoundError(key) from None
            raise
        self.position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.length}[whence]
        self.position = max(0, base + offset)
        return self.position

    def readinto(self, buffer) -> int:
        if self.position >= self.length or len(buffer) == 0:
            return 0
        end = min(self.position + len(buffer), self.length) - 1
        body = self.client.get_object(Bucket=self.bucket, Key=self.key, Range=f"bytes={self.position}-{end}")["Body"]
        data = body.read()
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


class S3Backend:
    kind = "s3"
    supports_direct_links = True

    def __init__(self, storage):
        self.storage = storage
        self.bucket = storage.bucket_name

    @property
    def client(self):
        return self.storage.connection.meta.client

    @property
    def identifier_prefix(self) -> str:
        return f"s3://{self.bucket}:"

    def open_sink(self, key: str, media_type: str) -> S3Sink:
        return S3Sink(self.client, self.bucket, key, media_type)

    def open_reader(self, key: str):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except ClientError as error:
            if _code(error) in _MISSING:
                raise FileNotFoundError(key) from None
            raise

    def open_seekable(self, key: str):
        return io.BufferedReader(S3RangeReader(self.client, self.bucket, key), buffer_size=READ_CHUNK)

    def size(self, key: str) -> int:
        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]
        except ClientError as error:
            if _code(error) in _MISSING:
                raise FileNotFoundError(key) from None
            raise

    def exists(self, key: str) -> bool:
        answer = self.client.list_objects_v2(Bucket=self.bucket, Prefix=key, MaxKeys=1)
        return any(item["Key"] == key for item in answer.get("Contents", []))

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def move(self, source: str, target: str) -> None:
        """A server-side copy, then the source is deleted (FileNotFoundError when there is none)."""
        try:
            self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
        except ClientError as error:
            if _code(error) in _MISSING:
                raise FileNotFoundError(source) from None
            raise
        # The copy keeps the source's tags; a moved object starts untagged (no `dv-state=temp` that a
        # bucket lifecycle rule would expire).
        self.client.delete_object_tagging(Bucket=self.bucket, Key=target)
        self.client.delete_object(Bucket=self.bucket, Key=source)

    # --- links

    def presigned_get(self, key: str, *, filename: str, ttl: int) -> str:
        params = {"Bucket": self.bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        return _public_client(self).generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)

    def presigned_put(self, key: str, *, ttl: int, size: int, tagging: str | None = None) -> str:
        # The size is signed: the URL takes exactly the bytes its ticket was issued for.
        params = {"Bucket": self.bucket, "Key": key, "ContentLength": size}
        if tagging:
            # A signed header, as the Dataverse clients send it (x-amz-tagging: dv-state=temp).
            params["Tagging"] = tagging
        return _public_client(self).generate_presigned_url("put_object", Params=params, ExpiresIn=ttl)

    # --- multipart

    def multipart_start(self, key: str) -> str:
        return self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]

    def presigned_upload_part(self, key: str, *, upload_id: str, number: int, size: int, ttl: int) -> str:
        params = {"Bucket": self.bucket, "Key": key, "UploadId": upload_id, "PartNumber": number, "ContentLength": size}
        return _public_client(self).generate_presigned_url("upload_part", Params=params, ExpiresIn=ttl)

    def open_part_sink(self, key: str, *, upload_id: str, number: int):
        raise NotImplementedError("S3 takes the parts of a multipart upload at its own pre-signed URLs")

    def multipart_complete(self, key: str, *, upload_id: str, etags: dict[int, str]) -> None:
        parts = [{"PartNumber": n, "ETag": f'"{etags[n]}"'} for n in sorted(etags)]
        try:
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except ClientError as error:
            detail = error.response.get("Error", {})
            raise MultipartRefused(
                f"The storage refused to complete the upload: {detail.get('Code')}: {detail.get('Message')}"
            ) from None

    def multipart_abort(self, key: str, *, upload_id: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except ClientError as error:
            if _code(error) != "NoSuchUpload":
                raise

    # --- resumable (tus) uploads: bytes appended as they arrive

    def open_append(self, key: str, *, upload_id: str, offset: int, parts: int, spool: Path) -> S3Appender:
        return S3Appender(
            self.client,
            self.bucket,
            key,
            upload_id=upload_id,
            offset=offset,
            parts=parts,
            part_size=S3_PART_SIZE,
            spool=spool,
        )

    def append_complete(self, key: str, *, upload_id: str, offset: int, parts: int, spool: Path) -> None:
        """Sends the spooled last part and assembles the object (one PUT when no part was sent)."""
        tail = spool / f"{parts + 1:05d}"
        size = offset - parts * S3_PART_SIZE
        with open(tail, "a+b") as last:
            last.truncate(size)
            last.seek(0)
            if parts == 0:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=last)
                self.multipart_abort(key, upload_id=upload_id)
            else:
                if size:
                    self.client.upload_part(
                        Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=parts + 1, Body=last
                    )
                    parts += 1
                etags = {}
                pages = self.client.get_paginator("list_parts").paginate(
                    Bucket=self.bucket, Key=key, UploadId=upload_id
                )
                for page in pages:
                    for part in page.get("Parts", []):
                        etags[part["PartNumber"]] = part["ETag"]
                listed = [{"PartNumber": n, "ETag": etags[n]} for n in range(1, parts + 1)]
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}
                )
        shutil.rmtree(spool, ignore_errors=True)

    # --- housekeeping

    def iter_stale(self, *, before: float, keep: frozenset[str] = frozenset()) -> Iterator[str]:
        # Parts of open multipart uploads are not objects on S3: nothing to leave out.
        cutoff = datetime.fromtimestamp(before, tz=UTC)
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=KEY_PREFIX)
        for page in pages:
            for item in page.get("Contents", []):
                if item["LastModified"] < cutoff:
                    yield item["Key"]

    def discard_stale_partials(self, *, before: float, keep: frozenset[str] = frozenset()) -> int:
        """Aborts multipart uploads started before `before` and never completed, except those under
        the keys in `keep` (direct uploads, which end with their ticket)."""
        cutoff = datetime.fromtimestamp(before, tz=UTC)
        aborted = 0
        pages = self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=KEY_PREFIX)
        for page in pages:
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < cutoff and upload["Key"] not in keep:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def _public_client(backend: S3Backend):
    """A client that signs URLs for the endpoint clients reach (it may differ from the server's)."""
    public = settings.AWS_S3_PUBLIC_ENDPOINT_URL
    if not public or public == settings.AWS_S3_ENDPOINT_URL:
        return backend.client
    return _client_for(public)


@cache
def _client_for(endpoint_url: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=settings.AWS_ACCESS_KEY_ID,
        aws_secret_access_key=settings.AWS_SECRET_ACCESS_KEY,
        region_name=settings.AWS_S3_REGION_NAME,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
