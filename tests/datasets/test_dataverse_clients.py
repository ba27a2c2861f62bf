"""The real Dataverse clients against the live server: dvuploader direct (again after a change) and
native (its zip unpacked), pyDataverse's native add on /api/v1."""

import hashlib

import pytest

from blobs.models import Blob, MultipartUpload
from datasets.models import DatasetLock
from tests.datasets.conftest import (
    MIB,
    PID,
    TOKEN,
    draft_files,
    listed_files,
    payload,
    run_client,
)


@pytest.mark.django_db(transaction=True)
def test_dvuploader_direct(live_server, demo, storage_kind, storage_objects, small_parts, tmp_path):
    small, large = tmp_path / "small.txt", tmp_path / "large.bin"
    small.write_bytes(b"a small file\n")
    large.write_bytes(payload(6 * MIB + 17, seed=2))  # two parts of 5 MiB
    files = [{"path": str(small)}, {"path": str(large), "directory_label": "sub/dir"}]
    run_client({"client": "dvuploader-direct", "url": live_server.url, "token": TOKEN, "pid": PID, "files": files})
    stored = {(f.directory_label, f.name): f for f in draft_files()}
    assert sorted(stored) == [("", "small.txt"), ("sub/dir", "large.bin")]
    for path, key in ((small, ("", "small.txt")), (large, ("sub/dir", "large.bin"))):
        data = path.read_bytes()
        file = stored[key]
        assert (file.blob.size, file.blob.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        assert (file.checksum_type, file.checksum_value) == ("MD5", hashlib.md5(data).hexdigest())
        assert file.storage_identifier
    assert storage_objects() == sorted(f.blob.key for f in stored.values())
    assert MultipartUpload.objects.count() == 0
    assert DatasetLock.objects.count() == 0
    assert listed_files(live_server.url) == [
        ("", "small.txt", 13, hashlib.md5(small.read_bytes()).hexdigest()),
        ("sub/dir", "large.bin", large.stat().st_size, hashlib.md5(large.read_bytes()).hexdigest()),
    ]


@pytest.mark.django_db(transaction=True)
def test_dvuploader_direct_again_after_a_change(live_server, demo, storage_kind, storage_objects, tmp_path):
    """A second run sends every file again (unchanged ones with a checksum of dvuploader's making):
    the unchanged file stays as it is, the changed one is replaced, no bytes are left over."""
    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_bytes(b"stays the same\n")
    second.write_bytes(b"version one\n")
    args = {"client": "dvuploader-direct", "url": live_server.url, "token": TOKEN, "pid": PID}
    run_client({**args, "files": [{"path": str(first)}, {"path": str(second)}]})
    before = {f.name: (f.pk, f.blob.key) for f in draft_files()}
    second.write_bytes(b"version two, longer\n")
    run_client({**args, "files": [{"path": str(first)}, {"path": str(second)}]})
    after = {f.name: f for f in draft_files()}
    assert (after["a.txt"].pk, after["a.txt"].blob.key) == before["a.txt"]
    assert after["b.txt"].pk == before["b.txt"][0]
    assert after["b.txt"].blob.sha256 == hashlib.sha256(b"version two, longer\n").hexdigest()
    # The replaced bytes stay (named by the change history); nothing else is stored.
    assert storage_objects() == sorted([before["a.txt"][1], before["b.txt"][1], after["b.txt"].blob.key])


@pytest.mark.django_db(transaction=True)
def test_dvuploader_native_unpacks_its_zip(live_server, demo, tmp_path):
    first, second = tmp_path / "one.csv", tmp_path / "two.txt"
    first.write_bytes(b"a,b\n1,2\n")
    second.write_bytes(b"two\n")
    files = [{"path": str(first), "directory_label": "tables"}, {"path": str(second)}]
    run_client({"client": "dvuploader-native", "url": live_server.url, "token": TOKEN, "pid": PID, "files": files})
    stored = {(f.directory_label, f.name): f for f in draft_files()}
    assert sorted(stored) == [("", "two.txt"), ("tables", "one.csv")]
    assert stored[("tables", "one.csv")].blob.sha256 == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert stored[("", "two.txt")].blob.sha256 == hashlib.sha256(b"two\n").hexdigest()
    assert stored[("tables", "one.csv")].categories == ["DATA"]
    assert Blob.objects.count() == 2  # the zip dvuploader sent is not kept
    assert listed_files(live_server.url) == [
        ("", "two.txt", 4, hashlib.md5(b"two\n").hexdigest()),
        ("tables", "one.csv", 8, hashlib.md5(b"a,b\n1,2\n").hexdigest()),
    ]


@pytest.mark.django_db(transaction=True)
def test_pydataverse_native_add_on_api_v1(live_server, demo, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"notes\n")
    result = run_client(
        {
            "client": "pydataverse",
            "url": live_server.url,
            "token": TOKEN,
            "pid": PID,
            "files": [{"path": str(path), "json": {"description": "Notes", "directoryLabel": "docs"}}],
        }
    )
    answer = result["answers"][0]
    assert answer["status_code"] == 200
    file = draft_files()[0]
    assert answer["body"]["data"]["files"][0]["dataFile"]["id"] == file.pk
    assert (file.name, file.directory_label, file.description) == ("notes.txt", "docs", "Notes")
    assert answer["body"]["data"]["files"][0]["dataFile"]["checksum"] == {
        "type": "MD5",
        "value": hashlib.md5(b"notes\n").hexdigest(),
    }
