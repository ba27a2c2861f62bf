"""Dataverse's Access API (the bytes streamed to those who may see them, errors with requestUrl),
direct upload by the collection's store, and the tabular ingest of native .csv/.tsv uploads, each
in a dataset created through the API."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.services import token_create
from blobs.models import Blob
from datasets.models import Collection, Dataset
from tests.datasets.conftest import KEY, add, counts, created_pid, ds
from tests.support.accounts import member_create

pytestmark = pytest.mark.django_db


def test_access_streams_the_bytes_to_those_who_may_see_them(client, demo):
    pid = created_pid(client)
    data = b"a,b\n1,2\n" * 1000
    opened = add(client, pid, "table.txt", data)
    secret = add(client, pid, "secret.txt", b"secret\n", {"restrict": True})
    response = client.get(f"/api/access/datafile/{opened['id']}", **KEY)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == hashlib.sha256(data).hexdigest()
    assert (response["Content-Disposition"], response["Content-Length"]) == (
        'attachment; filename="table.txt"',
        str(len(data)),
    )
    # A draft's file is its writers' only; the error names the URL without the key sent in it.
    outsider, _ = member_create("outsider", "Elsewhere")
    raw = token_create(user=outsider, name="t").raw
    hidden = client.get(f"/api/v1/access/datafile/{opened['id']}?key={raw}&format=original")
    assert hidden.status_code == 404
    assert hidden.json() == {
        "status": "ERROR",
        "code": 404,
        "message": f"Could not find datafile with id {opened['id']}",
        "requestUrl": f"http://testserver/api/v1/access/datafile/{opened['id']}?format=original",
        "requestMethod": "GET",
    }
    client.post(ds(pid, "actions/:publish", "&type=major"), **KEY)
    assert b"".join(client.get(f"/api/access/datafile/{opened['id']}").streaming_content) == data
    bad_key = client.get(f"/api/access/datafile/{opened['id']}?key=s3cr3t")
    assert (bad_key.status_code, bad_key.json()["message"]) == (401, "Bad API key")
    assert "s3cr3t" not in bad_key.json()["requestUrl"]
    assert client.get(f"/api/access/datafile/{secret['id']}").status_code == 404
    assert b"".join(client.get(f"/api/access/datafile/{secret['id']}", **KEY).streaming_content) == b"secret\n"
    by_pid = client.get("/api/access/datafile/:persistentId/?persistentId=doi:10.5072/FK2/NOPE/1")
    assert (by_pid.status_code, by_pid.json()["message"]) == (
        404,
        "Datafile with Persistent ID doi:10.5072/FK2/NOPE/1 not found.",
    )


def test_direct_upload_follows_the_collections_store(client, demo, settings):
    pid = created_pid(client)
    url = ds(pid, "uploadurls", "&size=10")
    dataset = Dataset.objects.get(persistent_id=pid)
    response = client.get(url, **KEY)
    assert (response.status_code, response.json()["message"]) == (
        404,
        f"Direct upload not supported for files in this dataset: {dataset.pk}",
    )
    settings.NEXUS_DATAVERSE_DIRECT_UPLOAD = True
    assert client.get(url, **KEY).status_code == 200
    Collection.objects.filter(alias="root").update(direct_upload=False)
    assert client.get(url, **KEY).status_code == 404
    # A collection below follows its parent unless it says otherwise.
    root = Collection.objects.get(alias="root")
    child = Collection.objects.create(alias="rain", name="Rain", parent=root)
    dataset.collection = child
    dataset.save()
    assert client.get(url, **KEY).status_code == 404
    child.direct_upload = True
    child.save()
    assert client.get(url, **KEY).status_code == 200


def test_a_table_sent_natively_is_ingested_as_dataverse_does(client, demo):
    before = counts()
    pid = created_pid(client)
    csv_bytes = b'day,note\n2024-01-01,"dry, sunny"\n2024-01-02,rain\n'
    body = {"file": SimpleUploadedFile("rain.csv", csv_bytes, "text/csv"), "jsonData": "{}"}
    answer = client.post(ds(pid, "add"), body, **KEY).json()["data"]["files"][0]
    tab = b"day\tnote\n2024-01-01\tdry, sunny\n2024-01-02\train\n"
    assert answer["label"] == "rain.tab"
    data_file = answer["dataFile"]
    assert {
        k: data_file[k] for k in ("filename", "contentType", "filesize", "originalFileFormat", "originalFileName")
    } == {
        "filename": "rain.tab",
        "contentType": "text/tab-separated-values",
        "filesize": len(tab),
        "originalFileFormat": "text/csv",
        "originalFileName": "rain.csv",
    }
    assert data_file["originalFileSize"] == len(csv_bytes)
    assert data_file["md5"] == hashlib.md5(csv_bytes).hexdigest()
    got = client.get(f"/api/access/datafile/{data_file['id']}", **KEY)
    assert (b"".join(got.streaming_content), got["Content-Disposition"]) == (tab, 'attachment; filename="rain.tab"')
    original = client.get(f"/api/access/datafile/{data_file['id']}?format=original", **KEY)
    assert (b"".join(original.streaming_content), original["Content-Type"]) == (csv_bytes, "text/csv")
    assert original["Content-Disposition"] == 'attachment; filename="rain.csv"'
    # A .tsv too; `tabIngest: false`, and a file that is no UTF-8 CSV, stay as they were sent.
    tsv = client.post(ds(pid, "add"), {"file": SimpleUploadedFile("t.tsv", b"a\tb\n1\t2\n", "text/plain")}, **KEY)
    assert tsv.json()["data"]["files"][0]["label"] == "t.tab"
    kept = {"file": SimpleUploadedFile("keep.csv", b"a,b\n", "text/csv"), "jsonData": '{"tabIngest": false}'}
    assert client.post(ds(pid, "add"), kept, **KEY).json()["data"]["files"][0]["label"] == "keep.csv"
    latin = {"file": SimpleUploadedFile("latin.csv", b"caf\xe9,1\n", "text/csv")}
    assert client.post(ds(pid, "add"), latin, **KEY).json()["data"]["files"][0]["label"] == "latin.csv"
    assert Blob.objects.count() == before[3] + 6  # two per ingested table, one per other file
    # A replacement is not ingested, and the file's original goes with the bytes it replaces.
    replaced = client.post(
        f"/api/files/{data_file['id']}/replace",
        {"file": SimpleUploadedFile("rain.tab", b"day\tnote\n", "text/tab-separated-values")},
        **KEY,
    )
    assert replaced.status_code == 200, replaced.content
    assert "originalFileName" not in replaced.json()["data"]["files"][0]["dataFile"]
    again = client.get(f"/api/access/datafile/{data_file['id']}?format=original", **KEY)
    assert b"".join(again.streaming_content) == b"day\tnote\n"
    client.delete(ds(pid), **KEY)
    assert counts() == before
