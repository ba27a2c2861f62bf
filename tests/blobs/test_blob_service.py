"""Streamed blob writes on local storage and on S3 (moto's server): exact sizes, checksums, limits."""

import hashlib
import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from blobs.backends.s3 import S3_PART_SIZE
from blobs.models import Blob
from blobs.selectors import blob_iter_chunks
from blobs.services import BlobTooLarge, blob_stage, blob_sweep_orphans, blob_write
from tests.support.data import pattern

pytestmark = pytest.mark.django_db

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def in_chunks(data: bytes, size: int):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_zero_byte_blob(storage_kind, storage_objects):
    blob = blob_write(chunks=iter([]), media_type="text/plain")
    assert (blob.size, blob.sha256, blob.md5, blob.media_type) == (0, EMPTY_SHA256, EMPTY_MD5, "text/plain")
    assert storage_objects() == [blob.key]
    assert b"".join(blob_iter_chunks(blob=blob)) == b""


def test_multi_chunk_blob_gets_exact_size_and_checksums(storage_kind, storage_objects):
    # Past two S3 parts, in odd-sized chunks, so part boundaries fall inside chunks.
    data = pattern(2 * S3_PART_SIZE + 12345)
    blob = blob_write(chunks=in_chunks(data, 1_000_003))
    assert blob.size == len(data) == 16789561
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert blob.md5 == hashlib.md5(data).hexdigest()
    assert storage_objects() == [blob.key]
    assert b"".join(blob_iter_chunks(blob=blob)) == data
    assert Blob.objects.get().key == blob.key


def test_body_exactly_at_the_limit_is_stored(storage_kind, storage_objects):
    data = pattern(S3_PART_SIZE + 1)
    blob = blob_write(chunks=in_chunks(data, 65536), max_bytes=len(data))
    assert blob.size == len(data)
    assert blob.sha256 == hashlib.sha256(data).hexdigest()
    assert storage_objects() == [blob.key]


def test_one_byte_over_the_limit_leaves_nothing_behind(storage_kind, storage_objects):
    data = pattern(S3_PART_SIZE + 2)  # the first part is already in S3 when the limit is hit
    with pytest.raises(BlobTooLarge) as refused:
        blob_write(chunks=in_chunks(data, 65536), max_bytes=len(data) - 1)
    assert refused.value.status == 413
    assert refused.value.message == f"The upload exceeds the maximum size of {len(data) - 1} bytes."
    assert Blob.objects.count() == 0
    assert storage_objects() == []


def test_a_failing_stream_leaves_nothing_behind(storage_kind, storage_objects):
    def broken():
        yield pattern(S3_PART_SIZE + 10)
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        blob_write(chunks=broken())
    assert Blob.objects.count() == 0
    assert storage_objects() == []


def test_keys_are_generated_never_from_a_name(storage_kind):
    first = blob_write(chunks=[b"a"])
    second = blob_write(chunks=[b"a"])
    assert first.key != second.key
    assert first.key.startswith("blobs/") and len(first.key.rsplit("/", 1)[1]) == 32


def _referenced(blob, django_user_model):
    """Makes something point at the blob (an upload), as the dialects do."""
    from accounts.services import organization_get_or_create
    from synctasks.services import data_source_create
    from uploads.models import Upload

    source = data_source_create(
        name="S", organization=organization_get_or_create(name="O"), ext="csv", feature_types=[]
    )
    user = django_user_model.objects.create(username=f"u{blob.pk}")
    return Upload.objects.create(data_source=source, uploader=user, filename="a.csv", blob=blob)


def test_sweep_removes_only_unrecorded_old_bytes(storage_kind, storage_objects, django_user_model):
    kept = blob_write(chunks=[b"recorded"])
    _referenced(kept, django_user_model)
    orphan = blob_stage(chunks=[b"never recorded"])
    assert storage_objects() == sorted([kept.key, orphan.key])
    # A grace of -1 s makes everything old enough; the referenced blob stays all the same.
    assert blob_sweep_orphans(grace_seconds=-1) == {"unreferenced_rows": 0, "deleted": 1, "aborted_multipart": 0}
    assert storage_objects() == [kept.key]
    assert Blob.objects.get().key == kept.key


def test_sweep_removes_rows_nothing_references_and_their_bytes(storage_kind, storage_objects, django_user_model):
    kept = blob_write(chunks=[b"still an upload's"])
    upload = _referenced(kept, django_user_model)
    lonely = blob_write(chunks=[b"its upload was deleted"])
    young = blob_write(chunks=[b"just written"])
    Blob.objects.filter(pk__in=[kept.pk, lonely.pk]).update(created=timezone.now() - timedelta(days=2))
    assert blob_sweep_orphans(grace_seconds=3600) == {"unreferenced_rows": 1, "deleted": 0, "aborted_multipart": 0}
    assert sorted(Blob.objects.values_list("key", flat=True)) == sorted([kept.key, young.key])
    assert storage_objects() == sorted([kept.key, young.key])
    upload.delete()
    Blob.objects.filter(pk=young.pk).update(created=timezone.now() - timedelta(days=2))
    assert blob_sweep_orphans(grace_seconds=3600)["unreferenced_rows"] == 2
    assert (Blob.objects.count(), storage_objects()) == (0, [])


def test_sweep_keeps_young_orphans_and_removes_old_partials(local_storage):
    young = blob_stage(chunks=[b"young"])
    partial = local_storage / "blobs" / "2020" / "01" / "01" / "abc.part"
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(partial, (old, old))
    assert blob_sweep_orphans(grace_seconds=3600) == {"unreferenced_rows": 0, "deleted": 1, "aborted_multipart": 0}
    assert (local_storage / young.key).read_bytes() == b"young"
    assert not partial.exists()


def test_sweep_aborts_abandoned_s3_multipart_uploads(s3_storage):
    client, bucket = s3_storage
    client.create_multipart_upload(Bucket=bucket, Key="blobs/2020/01/01/abandoned")
    assert blob_sweep_orphans(grace_seconds=-1) == {"unreferenced_rows": 0, "deleted": 0, "aborted_multipart": 1}
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
