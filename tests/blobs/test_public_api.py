"""What other apps use of blobs, on local storage and on S3: no backend knowledge needed, none leaked."""

import ast
import hashlib
from pathlib import Path

import pytest

from blobs.backends import get_backend
from blobs.selectors import (
    blob_digests,
    blob_direct_links_supported,
    blob_exists,
    blob_get,
    blob_open,
    blob_recorded_keys,
    blob_storage_check,
    blob_storage_identifier_prefix,
)
from blobs.services import BlobTooLarge, blob_bytes_delete, blob_stage, blob_stage_copy, blob_write
from tests.blobs.test_blob_service import pattern

pytestmark = pytest.mark.django_db

BLOBS = Path(__file__).resolve().parents[2] / "blobs"


def _put(key: str, data: bytes) -> None:
    sink = get_backend().open_sink(key, "application/octet-stream")
    sink.write(data)
    sink.finish()


def test_what_the_storage_is(storage_kind, settings):
    blob_storage_check()
    if storage_kind == "s3":
        assert blob_storage_identifier_prefix() == f"s3://{settings.AWS_STORAGE_BUCKET_NAME}:"
        assert blob_direct_links_supported() is True
    else:
        assert blob_storage_identifier_prefix() == "file://"
        assert blob_direct_links_supported() is False


def test_digests_existence_and_recorded_keys(storage_kind, storage_objects):
    data = pattern(1024 * 1024 + 17)
    blob = blob_write(chunks=iter([data]))
    staged = blob_stage(chunks=iter([b"abc"]))
    measured = blob_digests(key=blob.key, hashes=("sha256", "sha1"))
    assert measured.size == len(data)
    assert measured.digests == {"sha256": blob.sha256, "sha1": hashlib.sha1(data).hexdigest()}
    assert blob_exists(key=staged.key) and not blob_exists(key="blobs/none")
    assert blob_recorded_keys(keys=[blob.key, staged.key, blob.key]) == {blob.key}
    assert blob_recorded_keys(keys=[]) == set()
    assert blob_get(key=blob.key) == blob and blob_get(key=staged.key) is None
    blob_bytes_delete(keys=[staged.key, staged.key])
    assert storage_objects() == [blob.key]


def test_a_stored_object_is_copied_into_a_staged_blob_within_a_limit(storage_kind, storage_objects):
    data = pattern(300_000)
    _put("links/org/proj/a.bin", data)
    staged = blob_stage_copy(key="links/org/proj/a.bin", max_bytes=len(data), media_type="text/plain")
    assert (staged.size, staged.sha256, staged.md5) == (
        len(data),
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
    )
    with pytest.raises(BlobTooLarge):
        blob_stage_copy(key="links/org/proj/a.bin", max_bytes=len(data) - 1)
    assert storage_objects() == sorted(["links/org/proj/a.bin", staged.key])
    with pytest.raises(FileNotFoundError):
        blob_stage_copy(key="links/org/proj/none.bin")


def test_missing_bytes_are_file_not_found_on_every_storage(storage_kind):
    blob = blob_write(chunks=iter([b"abc"]))
    get_backend().delete(blob.key)
    with pytest.raises(FileNotFoundError):
        blob_open(blob=blob)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_s3_backend_speaks_boto_and_no_code_asks_which_backend_it_has():
    for path in BLOBS.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        if path != BLOBS / "backends" / "s3.py":
            assert not {n for n in _imports(path) if n.split(".")[0] in {"boto3", "botocore"}}, path
        assert "isinstance(backend" not in text, path


def test_direct_uploads_and_the_writes_import_each_other_in_one_direction_only():
    assert not {n for n in _imports(BLOBS / "services" / "writes.py") if "direct" in n or "sweep" in n}
    assert "sweep" not in " ".join(_imports(BLOBS / "services" / "direct.py"))
