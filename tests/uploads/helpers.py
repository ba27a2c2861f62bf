"""HTTP helpers for the uploads tests: curl-like multipart posts, and a generated multipart stream."""

import hashlib
import uuid

import requests

from tests.blobs.test_blob_service import pattern


def post_upload(
    base_url,
    token,
    *,
    datasource=None,
    filename="dataset.csv",
    content=b"a,b\n1,2\n",
    path=None,
    extra=None,
    token_param="token",
):
    """What `curl -F datasource=.. -F upload_file=@file "...?token=.."` sends."""
    data = {} if datasource is None else {"datasource": str(datasource)}
    data.update(extra or {})
    files = None if filename is None else {"upload_file": (filename, content, "application/octet-stream")}
    url = f"{base_url}{path or '/api/v1/uploads/'}"
    if token is not None:
        url += f"?{token_param}={token}"
    return requests.post(url, data=data, files=files, timeout=60)


class GeneratedMultipart:
    """A multipart body with one generated file of `size` bytes, produced chunk by chunk as it is
    sent (never held in memory); `len()` gives requests its Content-Length."""

    CHUNK = 1024 * 1024

    def __init__(self, *, fields: dict, filename: str, size: int):
        self.boundary = uuid.uuid4().hex
        head = "".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="upload_file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        self.head, self.tail, self.size = head.encode(), f"\r\n--{self.boundary}--\r\n".encode(), size
        self.block = pattern(self.CHUNK, seed=11)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def file_chunks(self):
        remaining = self.size
        while remaining:
            chunk = self.block[: min(self.CHUNK, remaining)]
            remaining -= len(chunk)
            yield chunk

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.file_chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self):
        yield self.head
        yield from self.file_chunks()
        yield self.tail
