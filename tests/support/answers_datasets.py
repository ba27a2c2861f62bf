"""The golden scenario's datasets part: the CDG gateway's uploads, versions and downloads, and
Dataverse's direct and native uploads, replacements and dataset routes."""

import hashlib
import json

import requests

from tests.support.accounts import DEMO_TOKEN
from tests.support.answers import BOUNDARY, MIB, STRANGER_TOKEN, Scenario

PID = "doi:10.5072/FK27U7YBV"


def gateway(s: Scenario):
    header = {"Authorization": f"api-token {DEMO_TOKEN}"}
    d = "/api/v1/dataset/ncl.630.0"
    readme = b"Read me.\n"
    s("cdg: upload (header form)", "POST", f"{d}/file.json", files={"file": ("readme.txt", readme)}, headers=header)
    s(
        "cdg: replace (query form, PUT)",
        "PUT",
        f"/api/v1/ncl.630.0/file.json?api-token={DEMO_TOKEN}",
        files={"file": ("readme.txt", readme)},
    )
    s("cdg: upload without a token", "POST", f"{d}/file.json", files={"file": ("readme.txt", readme)})
    s(
        "cdg: upload by a stranger",
        "POST",
        f"{d}/file.json?api-token={STRANGER_TOKEN}",
        files={"file": ("readme.txt", readme)},
    )
    s("cdg: upload, no file part", "POST", f"{d}/file.json", files={"other": ("readme.txt", readme)}, headers=header)
    s(
        "cdg: upload to an unknown dataset",
        "POST",
        "/api/v1/dataset/nope/file.json",
        files={"file": ("readme.txt", readme)},
        headers=header,
    )
    s(
        "cdg: upload to an unknown version",
        "POST",
        f"{d}/version/9.9/file.json",
        files={"file": ("readme.txt", readme)},
        headers=header,
    )
    s(
        "cdg: oversize Content-Length",
        "POST",
        f"{d}/file.json",
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=header,
        CONTENT_LENGTH=str(600 * MIB),
    )
    s("cdg: files", "GET", f"{d}/files.json")
    s("cdg: version files", "GET", f"{d}/version/1.0/files.json")
    s("cdg: files of an unknown dataset", "GET", "/api/v1/dataset/nope/files.json")
    s("cdg: download link", "GET", f"{d}/version/1.0/file/readme.txt")
    response, _ = s("cdg: download link (dataset form)", "GET", f"{d}/file/readme.txt")
    if response.get("Location", "").startswith("/"):  # ours on local storage; S3's link on S3
        s("cdg: follow the download link", "GET", response["Location"].removeprefix("http://testserver"))
    s("cdg: download an unknown file", "GET", f"{d}/version/1.0/file/nothing.txt")
    s("cdg: publish a published version", "POST", f"{d}/version/1.0/publish.json", headers=header)
    s("cdg: publish an unknown version", "POST", f"{d}/version/2.0/publish.json", headers=header)
    s("cdg: GET file.json not allowed", "GET", f"{d}/file.json", headers=header)
    s("cdg: delete", "DELETE", f"{d}/file/readme.txt", headers=header)
    s("cdg: delete again", "DELETE", f"{d}/file/readme.txt", headers=header)
    s("cdg: unknown URL", "GET", f"{d}/nothing")
    # Version 2.0, as the admin's "Create the next version" makes it.
    from datasets.models import Dataset
    from datasets.services import dataset_version_create

    dataset_version_create(dataset=Dataset.objects.get(short_name="ncl.630.0"), identifier="2.0")
    s(
        "cdg: upload to the draft 2.0",
        "POST",
        f"{d}/version/2.0/file.json",
        files={"file": ("notes.txt", b"v2 only")},
        headers=header,
    )
    s("cdg: draft files without a token", "GET", f"{d}/version/2.0/files.json")
    s("cdg: draft files with a token", "GET", f"{d}/version/2.0/files.json?api-token={DEMO_TOKEN}")
    s("cdg: delete from the draft", "DELETE", f"{d}/version/2.0/file/readme.txt", headers=header)
    s("cdg: publish 2.0", "POST", f"{d}/version/2.0/publish.json", headers=header)
    s("cdg: files, now 2.0", "GET", f"{d}/files.json")
    s("cdg: 1.0 keeps its files", "GET", f"{d}/version/1.0/files.json")


def dataverse(s: Scenario):
    key = {"X-Dataverse-key": DEMO_TOKEN}
    ds = f"/api/datasets/:persistentId/%s?persistentId={PID}"
    data = b"file one\n"
    ticket = s.json("dataverse: upload URL, one part", "GET", ds % "uploadurls" + f"&size={len(data)}", headers=key)
    if ticket["data"]["url"].startswith("http://testserver/"):
        s(
            "dataverse: PUT the bytes to the direct URL",
            "PUT",
            ticket["data"]["url"].removeprefix("http://testserver"),
            body=data,
            content_type="text/plain",
            headers={"x-amz-tagging": "dv-state=temp"},
        )
    else:  # S3's own answer, not recorded
        put = requests.put(ticket["data"]["url"], data=data, headers={"x-amz-tagging": "dv-state=temp"}, timeout=30)
        assert put.status_code == 200, put.text
    sid = ticket["data"]["storageIdentifier"]
    sha1 = hashlib.sha1(data).hexdigest()
    json_data = json.dumps(
        {
            "description": "My description.",
            "directoryLabel": "data/subdir1",
            "categories": ["Data"],
            "restrict": "false",
            "storageIdentifier": sid,
            "fileName": "file1.txt",
            "mimeType": "text/plain",
            "checksum": {"@type": "SHA-1", "@value": sha1},
        }
    )
    bad = json.loads(json_data) | {"checksum": {"@type": "SHA-1", "@value": "0" * 40}, "fileName": "bad.txt"}
    s("dataverse: add with a wrong checksum", "POST", ds % "add", files={"jsonData": json.dumps(bad)}, headers=key)
    added = s.json("dataverse: add (direct)", "POST", ds % "add", files={"jsonData": json_data}, headers=key)
    mp = s.json("dataverse: upload URL, two parts", "GET", ds % "uploadurls" + f"&size={6 * MIB}", headers=key)["data"]
    s("dataverse: complete with no ETags", "PUT", mp["complete"], body=b"{}", headers=key)
    s("dataverse: abort", "DELETE", mp["abort"], headers=key)
    s("dataverse: upload URL, bad size", "GET", ds % "uploadurls" + "&size=abc", headers=key)
    s("dataverse: upload URL, bad key", "GET", ds % "uploadurls" + "&size=9", headers={"X-Dataverse-key": "nope"})
    s("dataverse: upload URL, key parameter, stranger", "GET", ds % "uploadurls" + f"&size=9&key={STRANGER_TOKEN}")
    s(
        "dataverse: upload URL, unknown dataset",
        "GET",
        "/api/datasets/:persistentId/uploadurls?persistentId=doi:10.5072/NOPE&size=9",
        headers=key,
    )
    s(
        "dataverse: native add",
        "POST",
        ds % "add",
        files={"file": ("file2.csv", b"a,b\n1,2\n", "text/csv"), "jsonData": '{"description": "d"}'},
        headers=key,
    )
    s(
        "dataverse: native add, same name",
        "POST",
        ds % "add",
        files={"file": ("file2.csv", b"a,b\n3,4\n", "text/csv"), "jsonData": '{"description": "d"}'},
        headers=key,
    )
    s(
        "dataverse: native add, duplicate content",
        "POST",
        ds % "add",
        files={"file": ("copy.csv", b"a,b\n1,2\n", "text/csv")},
        headers=key,
    )
    s("dataverse: add, bad jsonData", "POST", ds % "add", files={"jsonData": "{nope"}, headers=key)
    s("dataverse: add without a key", "POST", ds % "add", files={"file": ("x.txt", b"x")})
    s(
        "dataverse: add by a stranger",
        "POST",
        ds % "add",
        files={"file": ("x.txt", b"x")},
        headers={"X-Dataverse-key": STRANGER_TOKEN},
    )
    s(
        "dataverse: oversize Content-Length",
        "POST",
        ds % "add",
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=key,
        CONTENT_LENGTH=str(600 * MIB),
    )
    file_id = added["data"]["files"][0]["dataFile"]["id"]
    s(
        "dataverse: replace natively",
        "POST",
        f"/api/files/{file_id}/replace",
        files={"file": ("file1.txt", b"file one, v2\n", "text/plain")},
        headers=key,
    )
    s(
        "dataverse: metadata",
        "POST",
        f"/api/files/{file_id}/metadata",
        files={"jsonData": '{"description": "new", "label": "renamed.txt"}'},
        headers=key,
    )
    s(
        "dataverse: replace an unknown file",
        "POST",
        "/api/files/999999/replace",
        files={"file": ("a.txt", b"a")},
        headers=key,
    )
    s("dataverse: addFiles", "POST", ds % "addFiles", files={"jsonData": "[]"}, headers=key)
    s(
        "dataverse: replaceFiles, unknown id",
        "POST",
        ds % "replaceFiles",
        files={
            "jsonData": json.dumps(
                [
                    {
                        "fileToReplaceId": 999999,
                        "storageIdentifier": "file://0-000000000000",
                        "fileName": "a.txt",
                        "md5Hash": "0" * 32,
                    }
                ]
            )
        },
        headers=key,
    )
    s("dataverse: dataset (writer)", "GET", ds % "", headers=key)
    s("dataverse: dataset (anonymous)", "GET", ds % "")
    s("dataverse: dataset on /api/v1", "GET", f"/api/v1/datasets/:persistentId/?persistentId={PID}", headers=key)
    s("dataverse: locks", "GET", f"/api/datasets/{dataset_pk()}/locks", headers=key)
    s("dataverse: unknown dataset id", "GET", "/api/datasets/999999")
    s("dataverse: unknown route", "GET", "/api/datasets/:persistentId/nothing", headers=key)
    s("dataverse: unknown file route", "GET", f"/api/files/{file_id}", headers=key)
    s("dataverse: DELETE add not allowed", "DELETE", ds % "add", headers=key)
    s(
        "cdg: the Dataverse dataset's draft files",
        "GET",
        f"/api/v1/dataset/FK27U7YBV/version/1.0/files.json?api-token={DEMO_TOKEN}",
    )


def dataset_pk() -> int:
    from datasets.models import Dataset

    return Dataset.objects.get(persistent_id=PID).pk
