"""The Dataverse dialect against the live server as the seed's curl sequences drive it: a single-part
upload registered with add, a multipart one completed and registered with addFiles, another aborted."""

import hashlib
import json
import re
import subprocess

import pytest

from blobs.models import MultipartUpload
from tests.datasets.conftest import (
    MIB,
    PID,
    draft_files,
    get_json,
    key_header,
    payload,
    post_json_data,
)
from tests.support.stack import curl


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
