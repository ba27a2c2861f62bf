"""Registration in the Dataverse dialect: checksums verified (all or none), direct adds refused
without a checksum or a known storage identifier, replace and metadata, locks, refused native zips."""

import hashlib
import json

import pytest

from blobs.models import Blob
from datasets.models import Dataset, DatasetFile, DatasetLock
from tests.datasets.conftest import (
    PID,
    TOKEN,
    add_files,
    draft_files,
    ticket_and_put,
    zip_of,
)


@pytest.mark.django_db
def test_a_wrong_checksum_registers_nothing_and_keeps_the_upload(client, demo, local_storage):
    good, bad = b"good bytes\n", b"other bytes\n"
    sid_good, sid_bad = ticket_and_put(client, good), ticket_and_put(client, bad)
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
    code, body = add_files(client, entries)
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
    code, body = add_files(client, entries)
    assert code == 200, body
    assert [f.name for f in draft_files()] == ["bad.txt", "good.txt"]


@pytest.mark.django_db
def test_direct_add_needs_a_checksum_and_a_known_storage_identifier(client, demo):
    sid = ticket_and_put(client, b"x")
    code, body = add_files(client, [{"storageIdentifier": sid, "fileName": "x.txt", "mimeType": "text/plain"}])
    assert code == 400
    assert body["data"]["Files"][0]["errorMessage"] == (
        "Bad Request:A direct upload needs its checksum: 'md5Hash', or 'checksum' with '@type' and '@value'."
    )
    code, body = add_files(
        client,
        [{"storageIdentifier": "s3://elsewhere:18abc-123456789abc", "fileName": "x.txt", "md5Hash": "00"}],
    )
    assert body["message"] == "Dataset store configuration does not allow provided storageIdentifier."
    missing = "file://18b39722140-50eb7d3c5ece"
    code, body = add_files(client, [{"storageIdentifier": missing, "fileName": "x.txt", "md5Hash": "00"}])
    assert (code, body["message"]) == (
        400,
        "No uploaded object has this storage identifier (never uploaded, or registered).",
    )
    code, body = add_files(
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
    sid = ticket_and_put(client, b"third\n")
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
    from datasets.dataverse.drafts import dataset_locked

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


@pytest.mark.django_db
def test_a_registration_holds_a_lock_while_it_runs(client, demo, monkeypatch):
    import datasets.dataverse.registration as registration

    seen = []
    original = registration._prepare

    def prepare_and_look(entry, *, dataset):
        seen.append(client.get(f"/api/datasets/{dataset.pk}/locks", HTTP_X_DATAVERSE_KEY=TOKEN).json()["data"])
        return original(entry, dataset=dataset)

    monkeypatch.setattr(registration, "_prepare", prepare_and_look)
    sid = ticket_and_put(client, b"x")
    code, body = add_files(
        client, [{"storageIdentifier": sid, "fileName": "x.txt", "md5Hash": hashlib.md5(b"x").hexdigest()}]
    )
    assert code == 200, body
    assert [[(lock["lockType"], lock["user"], lock["message"]) for lock in locks] for locks in seen] == [
        [("EditInProgress", "supplier", "Registering files")]
    ]
    assert DatasetLock.objects.count() == 0


@pytest.mark.django_db
def test_native_zips_refused_leave_nothing(client, demo, local_storage, django_user_model):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.services import token_create

    url = f"/api/datasets/:persistentId/add?persistentId={PID}"
    archive = zip_of({f"dir/f{n}.txt": b"data" for n in range(5)})
    stranger = token_create(user=django_user_model.objects.create(username="stranger"), name="t").raw
    response = client.post(
        url, {"file": SimpleUploadedFile("p.zip", archive, "application/zip")}, HTTP_X_DATAVERSE_KEY=stranger
    )
    assert (response.status_code, response.json()["message"]) == (
        403,
        "You are not permitted to add files to this dataset.",
    )
    assert list(local_storage.rglob("*.txt")) == [] and [p for p in local_storage.rglob("*") if p.is_file()] == []
    corrupt = bytearray(zip_of({"a.txt": b"hello hello hello"}))
    corrupt[corrupt.index(b"hello")] ^= 0xFF  # the member's CRC no longer matches
    response = client.post(
        url, {"file": SimpleUploadedFile("c.zip", bytes(corrupt), "application/zip")}, HTTP_X_DATAVERSE_KEY=TOKEN
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Zip member 'a.txt' cannot be read: Bad CRC-32 for file 'a.txt'."
    assert [p for p in local_storage.rglob("*") if p.is_file()] == []
    assert draft_files() == [] and Blob.objects.count() == 0
