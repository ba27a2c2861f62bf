"""The order of checks for create and update, and the refusals of a multipart body without a file
part and of links outside what S3 and the project's link area allow; each refused request changes nothing."""

import json

import pytest

from accounts.models import User
from accounts.services import token_create
from files.models import Project, Storage, StorageType
from files.services import storage_create
from tests.support.files import BASE, NXV, auth, error, multipart, snapshot, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _both_storages(storage_kind):
    return storage_kind


# --- order of checks ----------------------------------------------------------------------------


def test_create_check_order(client, writer, reader, project, existing, unchanged):
    Storage.objects.filter(project=project, default=True).update(max_file_size=1)
    unchanged()
    # 409 ResourceAlreadyExists comes before the storage lookup, the permission and the body.
    error(
        upload(client, "put", "/v1/files/org/proj/nxv:myfile?storage=nope", None, content=b"big"),
        409,
        "ResourceAlreadyExists",
    )
    # The storage before the permission.
    error(upload(client, "put", "/v1/files/org/proj/new?storage=nope", None), 404, "ResourceNotFound")
    # The permission before the body.
    error(upload(client, "put", "/v1/files/org/proj/new", reader, content=b"big"), 403, "AuthorizationFailed")
    error(upload(client, "put", "/v1/files/org/proj/new", writer, content=b"big"), 413, "FileTooLarge")
    # The project before all of them.
    Project.objects.filter(pk=project.pk).update(deprecated=True)
    error(upload(client, "put", "/v1/files/org/proj/nxv:myfile?storage=nope", None), 400, "ProjectIsDeprecated")
    unchanged.check()


def test_update_check_order(client, writer, reader, project, existing, unchanged):
    Storage.objects.filter(project=project, default=True).update(max_file_size=1)
    unchanged()
    error(upload(client, "put", "/v1/files/org/proj/nope?rev=5", None), 404, "ResourceNotFound")
    error(upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=5&storage=nope", None), 409, "IncorrectRev")
    error(
        upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=1&storage=nope", None),
        404,
        "ResourceNotFound",
        f"Storage '{BASE}nope' not found in project 'org/proj'.",
    )
    error(
        upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=1", reader, content=b"big"), 403, "AuthorizationFailed"
    )
    error(upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=1", writer, content=b"big"), 413, "FileTooLarge")
    unchanged.check()
    Storage.objects.filter(project=project, default=True).update(max_file_size=100)
    assert client.delete("/v1/files/org/proj/nxv:myfile?rev=1", **auth(writer)).status_code == 200
    unchanged()
    error(upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=2", None), 400, "FileIsDeprecated")
    unchanged.check()


def test_multipart_content_type_without_body_part_is_refused(client, writer, project, unchanged):
    data, ctype = multipart(field="notfile")
    unchanged()
    response = client.post("/v1/files/org/proj", data, content_type=ctype, **auth(writer))
    assert error(response, 400, "InvalidMultipartFieldName")["reason"].endswith("without a 'file' part.")
    unchanged.check()


def test_link_rejections_on_s3(client, writer, project, storage_kind, unchanged):
    storage_create(project=project, iri=NXV + "mys3storage", type=StorageType.S3)
    unchanged()
    link = json.dumps({"path": "relative/path/to/"})
    response = client.put(
        "/v1/files/org/proj/l?storage=nxv:mys3storage", link, content_type="application/json", **auth(writer)
    )
    error(response, 400, "InvalidFileLink")
    link = json.dumps({"path": "no/such/object.png"})
    response = client.put(
        "/v1/files/org/proj/l?storage=nxv:mys3storage", link, content_type="application/json", **auth(writer)
    )
    body = error(response, 400, "LinkRejection", f"File '{BASE}l' could not be linked using storage '{NXV}mys3storage'")
    expected = (
        "No object at path 'no/such/object.png' in the project's link area."
        if storage_kind == "s3"
        else "The server's blob storage is not S3."
    )
    assert body["details"].startswith(expected)
    unchanged.check()


@pytest.mark.parametrize("storage_kind", ["s3"], indirect=True)  # linking needs S3
def test_link_cannot_reach_outside_the_project_link_area(
    client, writer, project, storage_kind, storage_objects, request
):
    """A link path is relative to `links/{org}/{project}/`: another project's blob, `..` or an absolute
    path is refused, and `_location` never shows a blob key."""
    from blobs.models import Blob
    from files.models import File
    from files.services import acl_grant, org_create, project_create

    s3, bucket = request.getfixturevalue("s3_storage")
    other = project_create(org=org_create(label="other"), label="secret")
    storage_create(project=other, iri=NXV + "mys3storage", type=StorageType.S3)
    storage_create(project=project, iri=NXV + "mys3storage", type=StorageType.S3)
    owner = User.objects.create(username="owner")
    acl_grant(path="/other/secret", permissions=["files/write", "resources/read"], identity="user", user=owner)
    created = upload(
        client, "post", "/v1/files/other/secret?storage=nxv:mys3storage", token_create(user=owner, name="t").raw,
        content=b"tenant secret",
    )  # fmt: skip
    assert created.status_code == 201
    secret_key = Blob.objects.get().key
    assert secret_key not in created.json()["_location"]
    before = (snapshot(), storage_objects())
    for path in (secret_key, "/" + secret_key, f"../../other/secret/{secret_key}", "a/../b.png", "a//b.png"):
        response = client.post(
            "/v1/files/org/proj?storage=nxv:mys3storage", json.dumps({"path": path}), content_type="application/json",
            **auth(writer),
        )  # fmt: skip
        body = error(response, 400, "LinkRejection")
        assert body["details"] == (
            f"No object at path '{path}' in the project's link area."  # that is, at links/org/proj/blobs/...
            if path == secret_key
            else "The path must be relative to the project's link area 'links/org/proj/', without a leading '/' "
            "nor empty, '.' or '..' segments."
        )
        assert (snapshot(), storage_objects()) == before
    # Inside the link area the path works, and the location is opaque.
    s3.put_object(Bucket=bucket, Key="links/org/proj/relative/path/to/myfile.png", Body=b"mine")
    response = client.post(
        "/v1/files/org/proj?storage=nxv:mys3storage", json.dumps({"path": "relative/path/to/myfile.png"}),
        content_type="application/json", **auth(writer),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    linked = File.objects.get(iri=body["@id"])
    assert body["_location"] == f"file:///{linked.storage.uuid}/{linked.uuid}/1"
    assert (body["_bytes"], body["_filename"]) == (4, "myfile.png")
