"""The real clients' own workflows against the live server, each from a dataset it creates itself:
pyDataverse creates, uploads, downloads, publishes, replaces and deletes; dvuploader uploads directly
into a collection whose store takes direct uploads, and natively into one whose store does not."""

import hashlib
import re

import pytest

from blobs.models import Blob, MultipartUpload
from datasets.models import Dataset, DatasetFile, DatasetLock, DatasetVersion
from tests.datasets.conftest import TOKEN, native, run_client

PID = re.compile(r"doi:10\.5072/FK2/[A-Z0-9]{6}")


def _create(url: str) -> str:
    answer = run_client(
        {"client": "pydataverse-create", "url": url, "token": TOKEN, "collection": "root", "metadata": native()}
    )
    assert answer["status_code"] == 201, answer
    return answer["body"]["data"]["persistentId"]


@pytest.mark.django_db(transaction=True)
def test_pydataverse_lifecycle(live_server, demo, tmp_path):
    data, replacement = tmp_path / "data.txt", tmp_path / "data-v2.txt"
    data.write_bytes(b"first measurements\n" * 100)
    replacement.write_bytes(b"corrected measurements\n")
    blobs_before = Blob.objects.count()
    result = run_client(
        {
            "client": "pydataverse-lifecycle",
            "url": live_server.url,
            "token": TOKEN,
            "collection": "root",
            "metadata": native(),
            "file": str(data),
            "replacement": str(replacement),
        }
    )
    steps, pid = result["steps"], result["pid"]
    assert PID.fullmatch(pid) and PID.fullmatch(result["second"]) and pid != result["second"]
    assert steps["create"]["status_code"] == 201
    assert steps["upload"]["status_code"] == 200
    assert steps["download"] == {
        "status_code": 200,
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "content_disposition": 'attachment; filename="data.txt"',
    }
    published = steps["publish"]
    assert published["status_code"] == 200
    assert (
        published["body"]["data"]["latestVersion"]["versionNumber"],
        published["body"]["data"]["persistentUrl"],
    ) == (
        1,
        f"https://doi.org/{pid.removeprefix('doi:')}",
    )
    assert steps["replace"]["status_code"] == 200
    assert steps["replace"]["body"]["data"]["files"][0]["label"] == "data-v2.txt"
    versions = steps["versions"]["body"]["data"]
    assert [(v["versionState"], v.get("versionNumber")) for v in versions] == [("DRAFT", None), ("RELEASED", 1)]
    assert steps["delete_published"]["status_code"] == 403
    assert steps["delete_draft"] == {
        "status_code": 200,
        "body": {"status": "OK", "data": {"message": "Draft version of dataset deleted"}},
    }
    assert steps["delete_unpublished"] == {
        "status_code": 200,
        "body": {"status": "OK", "data": {"message": f"Dataset {result['second']} deleted"}},
    }
    # Left: the release with the original file; the replacement and the second dataset's file are gone.
    assert [(v.identifier, v.state) for v in DatasetVersion.objects.filter(dataset__persistent_id=pid)] == [
        ("1.0", "published")
    ]
    (file,) = DatasetFile.objects.filter(version__dataset__persistent_id=pid)
    assert (file.name, file.blob.sha256) == ("data.txt", hashlib.sha256(data.read_bytes()).hexdigest())
    assert not Dataset.objects.filter(persistent_id=result["second"]).exists()
    assert Blob.objects.count() == blobs_before + 1
    assert DatasetLock.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_dvuploader_direct_into_a_dataset_it_created(live_server, demo, settings, tmp_path):
    settings.NEXUS_DATAVERSE_DIRECT_UPLOAD = True  # the root collection's store takes direct uploads
    pid = _create(live_server.url)
    first, second = tmp_path / "a.txt", tmp_path / "b.bin"
    first.write_bytes(b"direct one\n")
    second.write_bytes(bytes(range(256)) * 40)
    files = [{"path": str(first)}, {"path": str(second), "directory_label": "raw"}]
    run_client({"client": "dvuploader-direct", "url": live_server.url, "token": TOKEN, "pid": pid, "files": files})
    stored = {(f.directory_label, f.name): f for f in DatasetFile.objects.filter(version__dataset__persistent_id=pid)}
    assert sorted(stored) == [("", "a.txt"), ("raw", "b.bin")]
    for path, key in ((first, ("", "a.txt")), (second, ("raw", "b.bin"))):
        assert stored[key].blob.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert stored[key].storage_identifier  # uploaded directly
    assert MultipartUpload.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_dvuploader_falls_back_to_native_where_the_store_takes_no_direct_upload(live_server, demo, tmp_path):
    pid = _create(live_server.url)  # the root's store, by default, takes no direct upload
    first = tmp_path / "c.txt"
    first.write_bytes(b"native one\n")
    # The "direct" client, not forced native: it asks for a ticket, is answered 404, and uploads natively.
    run_client(
        {
            "client": "dvuploader-direct",
            "url": live_server.url,
            "token": TOKEN,
            "pid": pid,
            "files": [{"path": str(first)}],
        }
    )
    (file,) = DatasetFile.objects.filter(version__dataset__persistent_id=pid)
    assert (file.name, file.blob.sha256, file.storage_identifier) == (
        "c.txt",
        hashlib.sha256(b"native one\n").hexdigest(),
        "",
    )
