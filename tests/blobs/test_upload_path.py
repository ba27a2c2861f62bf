"""Multipart uploads stream through the upload handler into storage, within the limit, or leave nothing."""

import hashlib
import socket
from urllib.parse import urlsplit

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile

from blobs.models import Blob
from tests.support.data import pattern

pytestmark = pytest.mark.urls("tests.probe_urls")

LIMIT = 3 * 1024 * 1024 + 17  # past three 1 MiB handler chunks


@pytest.fixture
def upload_limit(settings):
    settings.NEXUS_MAX_UPLOAD_BYTES = LIMIT
    settings.NEXUS_MAX_REQUEST_OVERHEAD_BYTES = 64 * 1024
    return LIMIT


@pytest.mark.django_db
def test_file_exactly_at_the_limit_is_stored(client, upload_limit, storage_kind, storage_objects):
    data = pattern(LIMIT)
    response = client.post("/probe/upload/", {"upload_file": SimpleUploadedFile("a.csv", data, "text/csv")})
    assert response.status_code == 201
    body = response.json()
    assert body["size"] == LIMIT
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["md5"] == ""  # a Nexus-dialect path: MD5 is taken only where a dialect reports it
    blob = Blob.objects.get()
    assert (blob.key, blob.media_type) == (body["key"], "text/csv")
    assert storage_objects() == [blob.key]


@pytest.mark.django_db
def test_file_one_byte_over_is_refused_and_nothing_is_left(client, upload_limit, storage_kind, storage_objects):
    data = pattern(LIMIT + 1)
    response = client.post("/probe/upload/", {"upload_file": SimpleUploadedFile("a.csv", data, "text/csv")})
    assert response.status_code == 413
    assert response.json() == {"detail": f"The upload exceeds the maximum size of {LIMIT} bytes."}
    assert Blob.objects.count() == 0
    assert storage_objects() == []


@pytest.mark.django_db
def test_a_refused_request_leaves_no_staged_bytes(client, storage_kind, storage_objects):
    response = client.post(
        "/probe/upload/", {"fail": "1", "upload_file": SimpleUploadedFile("a.csv", pattern(2_000_000), "text/csv")}
    )
    assert response.status_code == 400
    assert response.json() == {"fail": ["Refused on purpose."]}
    assert Blob.objects.count() == 0
    assert storage_objects() == []


def test_oversize_content_length_is_answered_before_the_body_is_sent(live_server, upload_limit):
    """Only the headers go out; the 413 must come back without the server waiting for a body."""
    declared = LIMIT + 64 * 1024 + 1
    host, port = urlsplit(live_server.url).hostname, urlsplit(live_server.url).port
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(
            (
                f"POST /probe/upload/?token=abc HTTP/1.1\r\nHost: {host}\r\n"
                f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {declared}\r\n\r\n"
            ).encode()
        )
        sock.settimeout(10)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 413 Request Entity Too Large"
    assert body == (
        b'{"detail": "Request body of %d bytes exceeds the maximum upload size of %d bytes."}' % (declared, LIMIT)
    )
    assert Blob.objects.count() == 0


def test_streamed_upload_over_real_http(live_server, upload_limit, storage_kind, storage_objects):
    """A real client over a socket: the bytes arrive in storage with the checksum the client computed."""
    data = pattern(LIMIT - 5, seed=3)
    response = requests.post(
        f"{live_server.url}/probe/upload/",
        files={"upload_file": ("m.bin", data, "application/octet-stream")},
        timeout=30,
    )
    assert response.status_code == 201
    assert response.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert storage_objects() == [Blob.objects.get().key]


@pytest.mark.parametrize(
    ("path", "md5"),
    [
        ("/api/v1/uploads/", False),
        ("/v1/files/myorg/myproj", False),
        ("/api/v1/dataset/ncl.630.0/file.json", True),
        ("/api/datasets/:persistentId/add", True),
        ("/api/v1/files/12/replace", True),
    ],
)
def test_md5_is_taken_for_the_dialects_that_report_it(rf, path, md5):
    from blobs.uploadhandler import BlobUploadHandler

    handler = BlobUploadHandler(rf.post(path))
    handler.new_file("upload_file", "a.csv", "text/csv", None)
    handler.receive_data_chunk(b"abc", 0)
    staged = handler.file_complete(3).staged
    handler.upload_complete()
    from blobs.backends import get_backend

    get_backend().delete(staged.key)
    assert staged.md5 == (hashlib.md5(b"abc").hexdigest() if md5 else "")
    assert staged.sha256 == hashlib.sha256(b"abc").hexdigest()
