"""The Dataverse dialect: the seed's curl sequences, dvuploader (direct and native) and pyDataverse
against the live server, checksums verified, multipart complete / abort / expiry, part sizes."""

import hashlib
import json
import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from blobs.models import Blob, MultipartUpload
from blobs.services import blob_sweep_orphans
from datasets.models import Dataset, DatasetFile, DatasetLock
from tests.conftest import DEMO_TOKEN, curl

TOKEN = DEMO_TOKEN
PID = "doi:10.5072/FK27U7YBV"
MIB = 1024 * 1024
CLIENTS_PYTHON = Path(__file__).resolve().parents[2] / ".venv-clients" / "bin" / "python"


@pytest.fixture
def small_parts(settings):
    settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = 5 * MIB


def key_header():
    return ["-H", f"X-Dataverse-key:{TOKEN}"]


def draft_files():
    return list(DatasetFile.objects.filter(version__dataset__persistent_id=PID).order_by("directory_label", "name"))


def payload(size: int, seed: int = 1) -> bytes:
    block = hashlib.sha256(str(seed).encode()).digest() * 4096  # 128 KiB, not repeating at part boundaries
    return (block * (size // len(block) + 1))[:size]


def run_client(args: dict) -> dict:
    assert CLIENTS_PYTHON.exists(), "make test installs the Dataverse clients into .venv-clients"
    result = subprocess.run(
        [str(CLIENTS_PYTHON), str(Path(__file__).with_name("dataverse_client.py")), json.dumps(args)],
        capture_output=True,
        timeout=300,
        env={**os.environ, "LOCK_WAIT_TIME": "0"},
    )
    assert result.returncode == 0, result.stderr.decode()[-3000:]
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def post_json_data(base, endpoint, json_data):
    """`curl -X POST ... -F "jsonData=$JSON_DATA"`, as the seed registers uploads."""
    url = f"{base}/api/datasets/:persistentId/{endpoint}?persistentId={PID}"
    code, body = curl("-X", "POST", *key_header(), url, "-F", f"jsonData={json_data}")
    return code, json.loads(body)


def listed_files(base) -> list[tuple]:
    """(directoryLabel, filename, filesize, MD5) of the files the dataset lists, as clients read them."""
    code, body = get_json(base, f"/api/datasets/:persistentId/?persistentId={PID}")
    assert code == 200, body
    files = [f["dataFile"] for f in body["data"]["latestVersion"]["files"]]
    return sorted((f.get("directoryLabel", ""), f["filename"], f["filesize"], f["md5"]) for f in files)


def get_json(base, path):
    code, body = curl(*key_header(), f"{base}{path}")
    return code, json.loads(body)


# --- the seed's curl sequences


@pytest.mark.django_db(transaction=True)
def test_seed_single_part_sequence(live_server, demo, storage_kind, storage_objects, settings, request, tmp_path):
    data = b"file one\n"
    path = tmp_path / "file1.txt"
    path.write_bytes(data)
    base = live_server.url
    code, ticket = get_json(base, f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}")
    assert code == 200, ticket
    assert ticket["status"] == "OK"
    assert sorted(ticket["data"]) == ["partSize", "storageIdentifier", "url"]
    assert ticket["data"]["partSize"] == 64 * MIB
    sid = ticket["data"]["storageIdentifier"]
    prefix = f"s3://{settings.AWS_STORAGE_BUCKET_NAME}:" if storage_kind == "s3" else "file://"
    assert re.fullmatch(re.escape(prefix) + r"[0-9a-f]{6,16}-[0-9a-f]{12}", sid)
    if storage_kind == "s3":
        assert "x-amz-tagging" in ticket["data"]["url"].split("X-Amz-SignedHeaders=")[1].split("&")[0]
    assert storage_objects() == []  # the ticket of a single part creates nothing
    code, _ = curl("-H", "x-amz-tagging:dv-state=temp", "-X", "PUT", "-T", str(path), ticket["data"]["url"])
    assert code == 200
    sha1 = hashlib.sha1(data).hexdigest()
    json_data = (
        "{'description':'My description.','directoryLabel':'data/subdir1','categories':['Data'], 'restrict':'false', "
        f"'storageIdentifier':'{sid}', 'fileName':'file1.txt', 'mimeType':'text/plain', "
        f"'checksum': {{'@type': 'SHA-1', '@value': '{sha1}'}}}}"
    )
    code, answer = post_json_data(base, "add", json_data)
    assert code == 200, answer
    file = draft_files()[0]
    assert answer == {
        "status": "OK",
        "data": {
            "files": [
                {
                    "description": "My description.",
                    "label": "file1.txt",
                    "restricted": False,
                    "directoryLabel": "data/subdir1",
                    "version": 1,
                    "datasetVersionId": file.version_id,
                    "categories": ["Data"],
                    "dataFile": {
                        "id": file.pk,
                        "persistentId": "",
                        "pidURL": "",
                        "filename": "file1.txt",
                        "contentType": "text/plain",
                        "filesize": 9,
                        "description": "My description.",
                        "categories": ["Data"],
                        "storageIdentifier": sid,
                        "rootDataFileId": -1,
                        "md5": hashlib.md5(data).hexdigest(),
                        "checksum": {"type": "SHA-1", "value": sha1},
                        "creationDate": file.created.date().isoformat(),
                        "directoryLabel": "data/subdir1",
                    },
                }
            ]
        },
    }
    blob = file.blob
    assert (blob.size, blob.sha256, blob.md5) == (9, hashlib.sha256(data).hexdigest(), hashlib.md5(data).hexdigest())
    assert storage_objects() == [blob.key]  # adopted under a blob key of its own; nothing else left
    if storage_kind == "s3":
        client, bucket = request.getfixturevalue("s3_storage")
        assert client.get_object_tagging(Bucket=bucket, Key=blob.key)["TagSet"] == []  # no dv-state=temp
    code, listed = get_json(base, f"/api/datasets/:persistentId/?persistentId={PID}")
    assert code == 200
    assert listed["data"]["latestVersion"]["versionState"] == "DRAFT"
    assert [f["dataFile"]["filename"] for f in listed["data"]["latestVersion"]["files"]] == ["file1.txt"]


@pytest.mark.django_db(transaction=True)
def test_seed_multipart_sequence_and_abort(live_server, demo, storage_kind, storage_objects, small_parts, tmp_path):
    data = payload(7 * MIB + 123)
    base = live_server.url
    code, ticket = get_json(base, f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}")
    assert code == 200, ticket
    ticket = ticket["data"]
    assert sorted(ticket) == ["abort", "complete", "partSize", "storageIdentifier", "urls"]
    assert ticket["partSize"] == 5 * MIB
    assert list(ticket["urls"]) == ["1", "2"]
    sid = ticket["storageIdentifier"]
    upload = MultipartUpload.objects.get()
    assert ticket["complete"] == (
        f"/api/datasets/mpupload?globalid={PID}&uploadid={upload.token}&storageidentifier={sid}"
    )
    assert ticket["abort"] == ticket["complete"]
    etags = {}
    for number, url in ticket["urls"].items():
        start = (int(number) - 1) * 5 * MIB
        part = tmp_path / f"part{number}"
        part.write_bytes(data[start : start + 5 * MIB])
        result = subprocess.run(
            ["curl", "-s", "-i", "-X", "PUT", "-T", str(part), url], capture_output=True, check=True, timeout=60
        )
        headers = result.stdout.decode("latin-1")
        assert re.findall(r"HTTP/1.1 (\d+)", headers)[-1] == "200", headers
        etags[number] = re.search(r"(?im)^etag:\s*(\S+)", headers).group(1)
        assert etags[number] == f'"{hashlib.md5(part.read_bytes()).hexdigest()}"'
    # The complete body as the seed sends it (curl -d: a form content type, which does not matter).
    code, body = curl("-X", "PUT", *key_header(), f"{base}{ticket['complete']}", "-d", json.dumps(etags))
    assert code == 200, body
    assert json.loads(body) == {"status": "OK", "data": {"message": "Multipart Upload completed"}}
    assert MultipartUpload.objects.count() == 0
    json_data = json.dumps(
        [
            {
                "description": "My description.",
                "directoryLabel": "data/subdir1",
                "categories": ["Data"],
                "restrict": "false",
                "storageIdentifier": sid,
                "fileName": "big.bin",
                "mimeType": "application/octet-stream",
                "checksum": {"@type": "SHA-256", "@value": hashlib.sha256(data).hexdigest()},
            }
        ]
    )
    code, answer = post_json_data(base, "addFiles", json_data)
    assert code == 200, answer
    assert answer["data"]["Result"] == {"Total number of files": 1, "Number of files successfully added": 1}
    assert answer["data"]["Files"][0]["successMessage"] == "Added successfully to the dataset"
    assert answer["data"]["Files"][0]["storageIdentifier"] == sid
    file = draft_files()[0]
    assert (file.name, file.directory_label, file.blob.size) == ("big.bin", "data/subdir1", len(data))
    assert file.blob.sha256 == hashlib.sha256(data).hexdigest()
    assert storage_objects() == [file.blob.key]

    # A second multipart upload, one part sent, then aborted: nothing of it is left.
    code, ticket = get_json(base, f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}")
    part = tmp_path / "part1"
    code, _ = curl("-X", "PUT", "-T", str(part), ticket["data"]["urls"]["1"])
    assert code == 200
    assert len(storage_objects()) == 2  # the registered file and one part (or the open S3 upload)
    code, body = curl("-X", "DELETE", *key_header(), f"{base}{ticket['data']['abort']}")
    assert (code, body) == (204, b"")
    assert storage_objects() == [file.blob.key]
    assert MultipartUpload.objects.count() == 0


# --- the real clients


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


# --- refusals


def _ticket_and_put(client, data: bytes) -> str:
    answer = client.get(
        f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}", HTTP_X_DATAVERSE_KEY=TOKEN
    ).json()["data"]
    url = answer["url"].split("testserver", 1)[-1]
    assert client.put(url, data=data, content_type="", HTTP_X_AMZ_TAGGING="dv-state=temp").status_code == 200
    return answer["storageIdentifier"]


def _add(client, json_data) -> tuple[int, dict]:
    response = client.post(
        f"/api/datasets/:persistentId/addFiles?persistentId={PID}",
        {"jsonData": json.dumps(json_data)},
        HTTP_X_DATAVERSE_KEY=TOKEN,
    )
    return response.status_code, response.json()


@pytest.mark.django_db
def test_a_wrong_checksum_registers_nothing_and_keeps_the_upload(client, demo, local_storage):
    good, bad = b"good bytes\n", b"other bytes\n"
    sid_good, sid_bad = _ticket_and_put(client, good), _ticket_and_put(client, bad)
    before = sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file())
    md5_good = hashlib.md5(good).hexdigest()
    entries = [
        {"storageIdentifier": sid_good, "fileName": "good.txt", "mimeType": "text/plain", "md5Hash": md5_good},
        {
            "storageIdentifier": sid_bad,
            "fileName": "bad.txt",
            "mimeType": "text/plain",
            "checksum": {"@type": "SHA-512", "@value": "00ff"},
        },
    ]
    code, body = _add(client, entries)
    actual = hashlib.sha512(bad).hexdigest()
    assert code == 400
    assert body["status"] == "ERROR"
    assert body["message"] == (
        "1 of 2 files were refused, so none was registered. "
        f"bad.txt: Checksum mismatch: SHA-512 given 00ff, the stored bytes have {actual}."
    )
    assert body["data"]["Result"] == {"Total number of files": 2, "Number of files successfully added": 0}
    assert [f.get("errorMessage") for f in body["data"]["Files"]] == [
        "Bad Request:Not registered: another file of this request was refused.",
        f"Bad Request:Checksum mismatch: SHA-512 given 00ff, the stored bytes have {actual}.",
    ]
    assert draft_files() == [] and Blob.objects.count() == 0
    after = sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file())
    assert after == before  # both uploads are back under their upload keys
    # With the right checksum the same uploads register.
    entries[1]["checksum"]["@value"] = actual
    code, body = _add(client, entries)
    assert code == 200, body
    assert [f.name for f in draft_files()] == ["bad.txt", "good.txt"]


@pytest.mark.django_db
def test_direct_add_needs_a_checksum_and_a_known_storage_identifier(client, demo):
    sid = _ticket_and_put(client, b"x")
    code, body = _add(client, [{"storageIdentifier": sid, "fileName": "x.txt", "mimeType": "text/plain"}])
    assert code == 400
    assert body["data"]["Files"][0]["errorMessage"] == (
        "Bad Request:A direct upload needs its checksum: 'md5Hash', or 'checksum' with '@type' and '@value'."
    )
    code, body = _add(
        client,
        [{"storageIdentifier": "s3://elsewhere:18abc-123456789abc", "fileName": "x.txt", "md5Hash": "00"}],
    )
    assert body["message"] == "Dataset store configuration does not allow provided storageIdentifier."
    missing = "file://18b39722140-50eb7d3c5ece"
    code, body = _add(client, [{"storageIdentifier": missing, "fileName": "x.txt", "md5Hash": "00"}])
    assert (code, body["message"]) == (
        400,
        "No uploaded object has this storage identifier (never uploaded, or registered).",
    )
    code, body = _add(
        client, [{"storageIdentifier": sid, "fileName": "x.txt", "checksum": {"@type": "CRC", "@value": "1"}}]
    )
    assert (code, body) == (
        400,
        {
            "status": "ERROR",
            "message": "file 1: ChecksumType must be one of these values: [MD5, SHA-1, SHA-256, SHA-512].",
        },
    )
    assert draft_files() == [] and Blob.objects.count() == 0


@pytest.mark.django_db
def test_ticket_refusals_and_part_sizes(client, demo, settings, django_user_model):
    url = f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size="
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    over = settings.NEXUS_MAX_UPLOAD_BYTES + 1
    response = client.get(f"{url}{over}", **auth)
    assert (response.status_code, response.json()) == (
        400,
        {
            "status": "ERROR",
            "message": "The file you are trying to upload is too large to be uploaded to this dataset. "
            f"The maximum allowed file size is {settings.NEXUS_MAX_UPLOAD_BYTES} bytes.",
        },
    )
    response = client.get(f"{url}1024", HTTP_X_DATAVERSE_KEY="not-a-token")
    assert (response.status_code, response.json()) == (401, {"status": "ERROR", "message": "Bad API key"})
    stranger = django_user_model.objects.create(username="stranger")
    from accounts.services import token_create

    response = client.get(f"{url}1024", HTTP_X_DATAVERSE_KEY=token_create(user=stranger, name="t").raw)
    assert (response.status_code, response.json()["message"]) == (
        403,
        "You are not permitted to upload files to this dataset.",
    )
    dataset = Dataset.objects.get(persistent_id=PID)
    response = client.get("/api/datasets/:persistentId/uploadurls?persistentId=doi:10.5072/NOPE&size=1", **auth)
    assert response.status_code == 404
    Dataset.objects.filter(pk=dataset.pk).update(direct_upload=False)
    response = client.get(f"{url}1024", **auth)
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"Direct upload not supported for files in this dataset: {dataset.pk}",
    )
    Dataset.objects.filter(pk=dataset.pk).update(direct_upload=True)
    assert MultipartUpload.objects.count() == 0
    # partSize: whole MiB, at least 5 MiB; up to one part a single URL, above it ceil(size / partSize) parts.
    for configured, expected in ((5 * MIB + 1000, 5 * MIB), (MIB, 5 * MIB), (64 * MIB + 5, 64 * MIB)):
        settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = configured
        single = client.get(f"{url}{expected}", **auth).json()["data"]
        assert (single["partSize"], "url" in single, "urls" in single) == (expected, True, False)
        multi = client.get(f"{url}{2 * expected + 1}", **auth).json()["data"]
        assert (multi["partSize"], list(multi["urls"])) == (expected, ["1", "2", "3"])
    # The api/v1 form answers the same.
    response = client.get(f"/api/v1/datasets/{dataset.pk}/uploadurls?size=10", **auth)
    assert response.status_code == 200 and "url" in response.json()["data"]


@pytest.mark.django_db
def test_complete_checks_the_parts(client, demo, small_parts, local_storage):
    data = payload(5 * MIB + 10)
    ticket = client.get(
        f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={len(data)}", HTTP_X_DATAVERSE_KEY=TOKEN
    ).json()["data"]
    etags = {}
    for number, url in ticket["urls"].items():
        start = (int(number) - 1) * 5 * MIB
        response = client.put(url.split("testserver", 1)[-1], data=data[start : start + 5 * MIB], content_type="")
        etags[number] = response["ETag"]
    complete = ticket["complete"]
    # Unquoted ETags are taken as well; a wrong one or a missing part is refused and keeps the parts.
    response = client.generic("PUT", complete, json.dumps({"1": etags["1"]}), HTTP_X_DATAVERSE_KEY=TOKEN)
    assert response.json()["message"] == "The upload has parts 1 to 2; missing [2], unknown none."
    response = client.generic("PUT", complete, json.dumps({"1": etags["1"], "2": '"00"'}), HTTP_X_DATAVERSE_KEY=TOKEN)
    assert response.status_code == 400
    assert response.json()["message"].startswith('Part 2\'s ETag does not match: given "00", stored "')
    assert MultipartUpload.objects.count() == 1
    unquoted = {n: e.strip('"') for n, e in etags.items()}
    response = client.generic("PUT", complete, json.dumps(unquoted), HTTP_X_DATAVERSE_KEY=TOKEN)
    assert response.status_code == 200, response.json()
    upload_key = next(p for p in local_storage.rglob("*") if p.is_file())
    assert upload_key.read_bytes() == data
    assert sorted(p.name for p in local_storage.rglob("*") if p.is_file()) == [upload_key.name]


@pytest.mark.django_db
def test_the_sweep_removes_expired_uploads_and_unregistered_objects(
    demo, storage_kind, storage_objects, small_parts, client
):
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    size = 6 * MIB
    ticket = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size={size}", **auth).json()["data"]
    part = payload(5 * MIB)
    if storage_kind == "local":
        assert client.put(ticket["urls"]["1"].split("testserver", 1)[-1], data=part, content_type="").status_code == 200
    else:
        import requests

        assert requests.put(ticket["urls"]["1"], data=part, timeout=30).status_code == 200
    single = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size=3", **auth).json()["data"]
    if storage_kind == "local":
        client.put(single["url"].split("testserver", 1)[-1], data=b"abc", content_type="")
    else:
        import requests

        requests.put(single["url"], data=b"abc", headers={"x-amz-tagging": "dv-state=temp"}, timeout=30)
    assert len(storage_objects()) == 2
    # Before the ticket expires and within the grace period, nothing goes.
    assert blob_sweep_orphans(grace_seconds=3600)["aborted_multipart"] == 0
    assert len(storage_objects()) == 2
    MultipartUpload.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    report = blob_sweep_orphans(grace_seconds=0)
    assert report["aborted_multipart"] == 1 and report["deleted"] == 1
    assert storage_objects() == []
    assert MultipartUpload.objects.count() == 0
    response = client.generic("PUT", ticket["complete"], json.dumps({"1": "x", "2": "y"}), **auth)
    assert response.status_code == 404


@pytest.mark.django_db
def test_replace_native_and_direct(client, demo):
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/api/datasets/:persistentId/add?persistentId={PID}",
        {"file": SimpleUploadedFile("a.txt", b"first\n", "text/plain"), "jsonData": '{"description": "A"}'},
        **auth,
    )
    assert response.status_code == 200, response.json()
    file_id = response.json()["data"]["files"][0]["dataFile"]["id"]
    # The same bytes again: nothing is replaced (the metadata given is applied), and no bytes are kept.
    blobs_before = set(Blob.objects.values_list("key", flat=True))
    response = client.post(
        f"/api/files/{file_id}/replace",
        {"file": SimpleUploadedFile("a.txt", b"first\n", "text/plain"), "jsonData": '{"categories": ["Doc"]}'},
        **auth,
    )
    assert (response.status_code, response.json()["message"]) == (
        200,
        "The file has the same content as the file it replaces; its metadata was updated, its bytes kept.",
    )
    assert set(Blob.objects.values_list("key", flat=True)) == blobs_before
    assert DatasetFile.objects.get(pk=file_id).categories == ["Doc"]
    # Another type without forceReplace is refused; with it, taken.
    response = client.post(
        f"/api/files/{file_id}/replace", {"file": SimpleUploadedFile("a.csv", b"x,y\n", "text/csv")}, **auth
    )
    assert (
        response.json()["message"]
        == "The original file (text/plain) and replacement file (text/csv) are different file types."
    )
    response = client.post(
        f"/api/files/{file_id}/replace",
        {"file": SimpleUploadedFile("a.txt", b"second\n", "text/plain")},
        **auth,
    )
    assert response.status_code == 200, response.json()
    file = DatasetFile.objects.get(pk=file_id)
    assert (file.blob.sha256, file.description) == (hashlib.sha256(b"second\n").hexdigest(), "A")
    # Direct replace of several files at once.
    sid = _ticket_and_put(client, b"third\n")
    response = client.post(
        f"/api/datasets/:persistentId/replaceFiles?persistentId={PID}",
        {
            "jsonData": json.dumps(
                [
                    {
                        "fileToReplaceId": file_id,
                        "storageIdentifier": sid,
                        "fileName": "a.txt",
                        "mimeType": "text/plain",
                        "md5Hash": hashlib.md5(b"third\n").hexdigest(),
                    }
                ]
            )
        },
        **auth,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["data"]["Result"] == {"Total number of files": 1, "Number of files successfully replaced": 1}
    assert DatasetFile.objects.get(pk=file_id).blob.sha256 == hashlib.sha256(b"third\n").hexdigest()
    response = client.post("/api/files/999999/replace", {"jsonData": "{}"}, **auth)
    assert response.json() == {
        "status": "ERROR",
        "message": "Replacement file not found. There was no file found for ID: 999999",
    }
    # Metadata: description, directory and label.
    response = client.post(
        f"/api/files/{file_id}/metadata",
        {"jsonData": '{"description": "B", "directoryLabel": "d", "label": "b.txt"}'},
        **auth,
    )
    assert response.status_code == 200
    file = DatasetFile.objects.get(pk=file_id)
    assert (file.description, file.directory_label, file.name) == ("B", "d", "b.txt")


@pytest.mark.django_db(transaction=True)
def test_locks_show_a_registration_in_progress(client, demo):
    from datasets.dataverse import dataset_locked

    dataset = Dataset.objects.get(persistent_id=PID)
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    assert client.get(f"/api/datasets/{dataset.pk}/locks", **auth).json() == {"status": "OK", "data": []}
    supplier = dataset.write_grants.get().user
    with dataset_locked(dataset=dataset, user=supplier, message="Registering files"):
        locks = client.get(f"/api/datasets/{dataset.pk}/locks", **auth).json()["data"]
        assert [(lock["lockType"], lock["user"], lock["dataset"], lock["message"]) for lock in locks] == [
            ("EditInProgress", "supplier", PID, "Registering files")
        ]
    assert client.get(f"/api/datasets/{dataset.pk}/locks", **auth).json()["data"] == []


def test_json_data_is_read_leniently():
    from datasets.jsondata import json_lenient

    assert json_lenient("{'a': 'it\\'s', \"b\": [\"x\", 'y \"z\"'], 'c': true}") == {
        "a": "it's",
        "b": ["x", 'y "z"'],
        "c": True,
    }


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


@pytest.mark.django_db
def test_a_registration_holds_a_lock_while_it_runs(client, demo, monkeypatch):
    import datasets.dataverse as dataverse

    seen = []
    original = dataverse._prepare

    def prepare_and_look(entry, *, dataset):
        seen.append(client.get(f"/api/datasets/{dataset.pk}/locks", HTTP_X_DATAVERSE_KEY=TOKEN).json()["data"])
        return original(entry, dataset=dataset)

    monkeypatch.setattr(dataverse, "_prepare", prepare_and_look)
    sid = _ticket_and_put(client, b"x")
    code, body = _add(
        client, [{"storageIdentifier": sid, "fileName": "x.txt", "md5Hash": hashlib.md5(b"x").hexdigest()}]
    )
    assert code == 200, body
    assert [[(lock["lockType"], lock["user"], lock["message"]) for lock in locks] for locks in seen] == [
        [("EditInProgress", "supplier", "Registering files")]
    ]
    assert DatasetLock.objects.count() == 0


def _zip(members: dict[str, bytes]) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.django_db
def test_native_zips_refused_leave_nothing(client, demo, local_storage, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.services import token_create

    url = f"/api/datasets/:persistentId/add?persistentId={PID}"
    archive = _zip({f"dir/f{n}.txt": b"data" for n in range(5)})
    stranger = token_create(user=django_user_model.objects.create(username="stranger"), name="t").raw
    response = client.post(
        url, {"file": SimpleUploadedFile("p.zip", archive, "application/zip")}, HTTP_X_DATAVERSE_KEY=stranger
    )
    assert (response.status_code, response.json()["message"]) == (
        403,
        "You are not permitted to add files to this dataset.",
    )
    assert list(local_storage.rglob("*.txt")) == [] and [p for p in local_storage.rglob("*") if p.is_file()] == []
    corrupt = bytearray(_zip({"a.txt": b"hello hello hello"}))
    corrupt[corrupt.index(b"hello")] ^= 0xFF  # the member's CRC no longer matches
    response = client.post(
        url, {"file": SimpleUploadedFile("c.zip", bytes(corrupt), "application/zip")}, HTTP_X_DATAVERSE_KEY=TOKEN
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Zip member 'a.txt' cannot be read: Bad CRC-32 for file 'a.txt'."
    assert [p for p in local_storage.rglob("*") if p.is_file()] == []
    assert draft_files() == [] and Blob.objects.count() == 0


@pytest.mark.django_db
def test_malformed_requests_are_clear_400s_and_404s(client, demo, local_storage):
    auth = {"HTTP_X_DATAVERSE_KEY": TOKEN}
    response = client.get("/api/datasets/%C2%B2/", **auth)
    assert (response.status_code, response.json()) == (400, {"status": "ERROR", "message": "Bad dataset ID number: ²."})
    response = client.post("/api/files/%C2%B2/metadata", {"jsonData": "{}"}, **auth)
    assert (response.status_code, response.json()) == (
        404,
        {"status": "ERROR", "message": "Could not find datafile with id ²"},
    )
    response = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size=%C2%B2", **auth)
    assert response.json() == {
        "status": "ERROR",
        "message": "'size' must be the file's size in bytes, a whole number; got '²'.",
    }
    response = client.post(
        f"/api/datasets/:persistentId/addFiles?persistentId={PID}", {"jsonData": "[" * 100_000}, **auth
    )
    assert response.json() == {"status": "ERROR", "message": "Error in parsing provided json: nested too deeply."}
    response = client.get("/api/datasets/:persistentId/nothing-here", **auth)
    assert (response.status_code, response.json()) == (
        404,
        {
            "status": "ERROR",
            "message": "API endpoint does not exist on this server: GET /api/datasets/:persistentId/nothing-here",
        },
    )
    # Too long for what is stored: refused before the upload is touched, which stays registrable.
    sid = _ticket_and_put(client, b"y")
    stored = sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file())
    code, body = _add(
        client, [{"storageIdentifier": sid, "fileName": "y.txt", "mimeType": "x/" + "y" * 300, "md5Hash": "0"}]
    )
    assert (code, body["message"]) == (400, "file 1: 'mimeType' is longer than 255 characters.")
    assert sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file()) == stored
    # A pre-signed URL takes exactly the size its ticket was for.
    ticket = client.get(f"/api/datasets/:persistentId/uploadurls?persistentId={PID}&size=4", **auth).json()["data"]
    response = client.put(ticket["url"].split("testserver", 1)[-1], data=b"12345", content_type="")
    assert (response.status_code, response.content) == (
        400,
        b"The body is 5 bytes; this URL takes the file of 4 bytes.",
    )
    assert draft_files() == [] and Blob.objects.count() == 0
