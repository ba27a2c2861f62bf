"""tus 1.0 at /api/v1/uploads/tus/: discovery, creation, offsets, checksums, termination, expiry and
completion into an ordinary upload, on local storage and on S3 (moto)."""

import base64
import hashlib
import io
import time
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from blobs.models import Blob, MultipartUpload
from blobs.services.direct import multipart_spool
from tests.support.data import pattern
from uploads.models import SyncStatus, TusUpload, Upload
from uploads.tus.services import tus_sweep_expired

V = {"HTTP_TUS_RESUMABLE": "1.0.0"}
OCTETS = "application/offset+octet-stream"
MIB = 1024 * 1024


def meta(**pairs) -> str:
    return ",".join(f"{k} {base64.b64encode(str(v).encode()).decode()}" for k, v in pairs.items())


@pytest.fixture
def tus(client, catalog):
    """Calls of the tus endpoint with the supplier's token (`?token=` like every Nexus upload)."""

    class Tus:
        token = catalog.token

        def url(self, location=""):
            path = location.split("testserver", 1)[-1] or "/api/v1/uploads/tus/"
            return f"{path}?token={self.token}"

        def create(self, *, length, source=None, filename="photo.bin", **extra):
            metadata = meta(filename=filename, datasource=(source or catalog.documents).pk)
            headers = {**V, "HTTP_UPLOAD_METADATA": metadata, **extra}
            if length is not None:
                headers["HTTP_UPLOAD_LENGTH"] = str(length)
            return client.generic("POST", self.url(), data=b"", content_type="", **headers)

        def patch(self, location, data: bytes, offset: int, content_type=OCTETS, **extra):
            return client.generic(
                "PATCH",
                self.url(location),
                data=data,
                content_type=content_type,
                **{**V, "HTTP_UPLOAD_OFFSET": str(offset), **extra},
            )

        def head(self, location):
            return client.head(self.url(location), **V)

    return Tus()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_options_tells_what_the_server_speaks(client, settings):
    answer = client.options("/api/v1/uploads/tus/")
    assert answer.status_code == 204
    assert answer["Tus-Resumable"] == "1.0.0"
    assert answer["Tus-Version"] == "1.0.0"
    assert answer["Tus-Extension"] == "creation,creation-with-upload,termination,expiration,checksum"
    assert answer["Tus-Checksum-Algorithm"] == "sha1,md5,sha256"
    assert answer["Tus-Max-Size"] == str(settings.NEXUS_MAX_UPLOAD_BYTES)


def test_a_wrong_version_is_412(client, catalog):
    answer = client.post(f"/api/v1/uploads/tus/?token={catalog.token}", HTTP_TUS_RESUMABLE="0.2.2")
    assert answer.status_code == 412
    assert answer["Tus-Version"] == "1.0.0"
    assert answer.json() == {"detail": "This server speaks tus 1.0.0; send 'Tus-Resumable: 1.0.0'."}
    assert not TusUpload.objects.exists()


def test_no_token_is_401_in_the_nexus_shape(client, catalog):
    answer = client.post("/api/v1/uploads/tus/", HTTP_UPLOAD_LENGTH="3", **V)
    assert answer.status_code == 401
    assert answer["Tus-Resumable"] == "1.0.0"
    assert answer.json() == {"detail": "Authentication credentials were not provided."}


def test_upload_in_chunks_becomes_one_ordinary_upload(tus, catalog, storage_kind, storage_objects, request):
    data = pattern(12 * MIB + 5, seed=3)
    created = tus.create(length=len(data))
    assert created.status_code == 201, created.content
    location = created["Location"]
    spool = multipart_spool(MultipartUpload.objects.get().token)
    assert location.startswith("http://testserver/api/v1/uploads/tus/") and location.endswith("/")
    assert created["Upload-Offset"] == "0"
    assert created["Tus-Resumable"] == "1.0.0"
    head = tus.head(location)
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (200, "0", str(len(data)))
    assert head["Cache-Control"] == "no-store"
    assert head["Upload-Metadata"] == meta(filename="photo.bin", datasource=catalog.documents.pk)
    step = 5 * MIB
    for start in range(0, len(data), step):
        answer = tus.patch(location, data[start : start + step], start)
        assert answer.status_code == 204, answer.content
        assert answer["Upload-Offset"] == str(min(start + step, len(data)))
    upload = Upload.objects.get()
    assert answer["Nexus-Upload-Id"] == str(upload.pk)
    assert answer["Nexus-Upload"] == f"http://testserver/api/v1/uploads/{upload.pk}/"
    assert "Upload-Expires" not in answer
    assert (upload.filename, upload.data_source_id, upload.sync_status) == (
        "photo.bin",
        catalog.documents.pk,
        SyncStatus.HARVESTING,
    )
    assert (upload.blob.size, upload.blob.sha256) == (len(data), _sha(data))
    assert storage_objects() == [upload.blob.key]
    assert not MultipartUpload.objects.exists()
    assert not spool.exists()  # the part S3 was filling waited there; nothing is left
    # A client that lost the last answer asks again and learns the upload it became.
    again = tus.head(location)
    assert (again["Upload-Offset"], again["Nexus-Upload-Id"]) == (str(len(data)), str(upload.pk))


def test_offset_mismatch_is_409_and_wrong_type_415(tus):
    location = tus.create(length=10)["Location"]
    assert tus.patch(location, b"abc", 0).status_code == 204
    conflict = tus.patch(location, b"def", 0)
    assert conflict.status_code == 409
    assert conflict.json() == {"detail": "Upload-Offset 0 does not match the upload's offset 3."}
    assert tus.patch(location, b"def", 3, content_type="application/octet-stream").status_code == 415
    assert tus.head(location)["Upload-Offset"] == "3"


def test_checksum_mismatch_is_460_and_the_chunk_is_dropped(tus, storage_kind):
    data = pattern(9 * MIB, seed=5)
    location = tus.create(length=len(data) + 3)["Location"]
    good = base64.b64encode(hashlib.sha1(data).digest()).decode()
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    answer = tus.patch(location, data, 0, HTTP_UPLOAD_CHECKSUM=f"md5 {bad}")
    assert answer.status_code == 460
    assert answer.json() == {"detail": "The chunk's checksum does not match its bytes; the chunk was discarded."}
    assert tus.head(location)["Upload-Offset"] == "0"
    assert tus.patch(location, data, 0, HTTP_UPLOAD_CHECKSUM="crc32 AAAA").status_code == 400
    assert tus.patch(location, data, 0, HTTP_UPLOAD_CHECKSUM=f"sha1 {good}").status_code == 204
    tail = base64.b64encode(hashlib.sha256(b"end").digest()).decode()
    last = tus.patch(location, b"end", len(data), HTTP_UPLOAD_CHECKSUM=f"sha256 {tail}")
    assert last.status_code == 204
    assert Upload.objects.get().blob.sha256 == _sha(data + b"end")


def test_creation_with_upload_and_deferred_length(tus, client, catalog):
    created = client.post(
        tus.url(),
        data=b"hello ",
        content_type=OCTETS,
        HTTP_UPLOAD_DEFER_LENGTH="1",
        HTTP_UPLOAD_METADATA=meta(filename="note.txt", datasource=catalog.documents.pk),
        **V,
    )
    assert created.status_code == 201, created.content
    assert created["Upload-Offset"] == "6"
    location = created["Location"]
    assert tus.head(location)["Upload-Defer-Length"] == "1"
    done = tus.patch(location, b"world", 6, HTTP_UPLOAD_LENGTH="11")
    assert done.status_code == 204
    upload = Upload.objects.get()
    assert done["Nexus-Upload-Id"] == str(upload.pk)
    assert upload.blob.sha256 == _sha(b"hello world")


def test_delete_terminates_and_leaves_nothing(tus, client, storage_kind, storage_objects):
    location = tus.create(length=20 * MIB)["Location"]
    spool = multipart_spool(MultipartUpload.objects.get().token)
    assert tus.patch(location, pattern(9 * MIB), 0).status_code == 204
    assert storage_objects()  # a part (or the part file) is stored
    # On S3, the 1 MiB past the first 8 MiB part waits in the spool, alone.
    spooled = [p.stat().st_size for p in spool.iterdir()] if spool.exists() else []
    assert spooled == ([MIB] if storage_kind == "s3" else [])
    answer = client.delete(tus.url(location), **V)
    assert answer.status_code == 204
    assert answer["Tus-Resumable"] == "1.0.0"
    assert tus.head(location).status_code == 404
    assert storage_objects() == []
    assert not spool.exists()
    assert not TusUpload.objects.exists() and not MultipartUpload.objects.exists()


def test_a_refused_file_leaves_no_upload_and_no_blob(tus, catalog, storage_kind, storage_objects):
    # A zip with an unsafe member path is refused when its last byte arrives, as a plain upload is.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil.csv", "a,b\n1,2\n")
    data = buffer.getvalue()
    location = tus.create(length=len(data), source=catalog.measurements, filename="data.zip")["Location"]
    answer = tus.patch(location, data, 0)
    assert answer.status_code == 400
    assert answer["Tus-Resumable"] == "1.0.0"
    assert answer.json() == {"upload_file": ["Zip member '../evil.csv' has an absolute path or '..' in its path."]}
    assert not Upload.objects.exists() and not Blob.objects.exists()
    assert not TusUpload.objects.exists() and not MultipartUpload.objects.exists()
    assert storage_objects() == []


def test_refusals_at_creation(tus, catalog, settings):
    wrong = tus.create(length=5, source=catalog.measurements, filename="photo.tif")
    assert wrong.status_code == 400
    assert wrong.json() == {
        "upload_file": [
            "File format 'tif' of 'photo.tif' does not match data source 'Measurements export', which expects 'csv'."
        ]
    }
    assert tus.create(length=5, source=catalog.hidden, filename="a.csv").status_code == 404
    assert tus.create(length=5, source=catalog.foreign, filename="a.csv").status_code == 403
    assert tus.create(length=5, source=catalog.not_uploadable, filename="a.csv").status_code == 400
    assert tus.create(length=settings.NEXUS_MAX_UPLOAD_BYTES + 1).status_code == 413
    assert tus.create(length=None).status_code == 400
    assert not TusUpload.objects.exists() and not MultipartUpload.objects.exists()


def test_expired_uploads_are_swept_with_their_bytes(tus, storage_kind, storage_objects):
    location = tus.create(length=20 * MIB)["Location"]
    answer = tus.patch(location, pattern(9 * MIB), 0)
    expires = answer["Upload-Expires"]
    assert expires.endswith(" GMT")
    TusUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert tus.head(location).status_code == 404
    assert tus_sweep_expired() == 1
    assert storage_objects() == []
    assert not TusUpload.objects.exists() and not MultipartUpload.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_patches_of_one_upload_are_serialized(live_server, catalog, settings):
    import threading

    import requests

    from harvest.locks import resumable_lock_held

    headers = {"Tus-Resumable": "1.0.0", "Authorization": f"Token {catalog.token}"}
    created = requests.post(
        f"{live_server.url}/api/v1/uploads/tus/",
        headers={
            **headers,
            "Upload-Length": "6",
            "Upload-Metadata": meta(filename="a.bin", datasource=catalog.documents.pk),
        },
        timeout=10,
    )
    location = created.headers["Location"]
    tus = TusUpload.objects.get()
    patch = {**headers, "Upload-Offset": "0", "Content-Type": OCTETS}
    settings.NEXUS_TUS_LOCK_WAIT_SECONDS = 0.3
    # Another request holds the upload (here: this test, as a PATCH in progress would).
    with resumable_lock_held(key=tus.pk.int % 2**31):
        busy = requests.patch(location, data=b"abc", headers=patch, timeout=10)
        assert busy.status_code == 423
        assert busy.json() == {"detail": "Another request is writing to this upload; try again."}
        assert TusUpload.objects.get().offset == 0
        settings.NEXUS_TUS_LOCK_WAIT_SECONDS = 10
        answers = []
        waiting = threading.Thread(
            target=lambda: answers.append(requests.patch(location, data=b"abc", headers=patch, timeout=20))
        )
        waiting.start()
        time.sleep(0.5)
        assert not answers  # it waits for the lock
    waiting.join(timeout=20)
    assert (answers[0].status_code, answers[0].headers["Upload-Offset"]) == (204, "3")


def test_another_users_upload_is_not_found(tus, client, catalog):
    from accounts.services import token_create
    from tests.support.accounts import member_create

    location = tus.create(length=6)["Location"]
    other, _org = member_create("other", "Organization Y")
    tus.token = token_create(user=other).raw
    assert tus.head(location).status_code == 404
    answer = tus.patch(location, b"abc", 0)
    assert answer.status_code == 404
    assert answer.json() == {"detail": "No such upload: it was terminated, has expired, or never existed."}
    assert client.delete(tus.url(location), **V).status_code == 404
    assert TusUpload.objects.get().offset == 0
