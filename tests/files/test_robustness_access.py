"""Downloads when the bytes are missing or streamed, and the permissions each route checks first: a
session cookie, the storage's limit and read permission, files/write before rev and body, orgs and projects."""

import json

import pytest

from tests.support.files import auth, snapshot, upload
from tests.support.files import json_ld_error as error

pytestmark = pytest.mark.django_db


def test_missing_bytes_on_download_is_a_json_ld_500(client, writer, storage_kind, request):
    from blobs.models import Blob

    response = upload(client, "put", "/v1/files/org/proj/nxv:f", writer, content=b"gone soon")
    assert response.status_code == 201
    key = Blob.objects.get().key
    if storage_kind == "s3":
        s3, bucket = request.getfixturevalue("s3_storage")
        s3.delete_object(Bucket=bucket, Key=key)
    else:
        (request.getfixturevalue("local_storage") / key).unlink()
    response = client.get("/v1/files/org/proj/nxv:f", HTTP_ACCEPT="*/*", **auth(writer))
    body = error(
        response,
        500,
        "FetchRejection",
        "File 'https://bluebrain.github.io/nexus/vocabulary/f' could not be fetched using storage "
        "'https://bluebrain.github.io/nexus/vocabulary/diskStorageDefault'",
    )
    assert body["details"] == "File could not be retrieved from the storage: its bytes are missing."
    assert key not in json.dumps(body)
    # The metadata does not need the bytes.
    assert client.get("/v1/files/org/proj/nxv:f", HTTP_ACCEPT="application/json", **auth(writer)).status_code == 200


def test_download_streams_the_bytes_and_closes_the_reader(client, writer, storage_kind):
    content = bytes(range(256)) * 5000
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer, content=content, content_type="image/png")
    response = client.get("/v1/files/org/proj/nxv:f", HTTP_ACCEPT="*/*", **auth(writer))
    assert response.status_code == 200
    assert (b"".join(response.streaming_content), response["Content-Length"]) == (content, str(len(content)))
    response.close()


def test_session_cookie_does_not_authenticate_nor_bypass_the_storage_limit(project, storage_objects):
    """With session authentication, DRF's CSRF check parsed the upload under the server's limit before
    the view lowered it to the storage's: a 2000-byte file went into a 1000-byte storage."""
    from django.test import Client

    from accounts.models import User
    from files.models import IdentityKind, Storage
    from files.services import acl_grant

    Storage.objects.filter(project=project).update(max_file_size=1000)
    user = User.objects.create(username="browser")
    acl_grant(path="/org/proj", permissions=["files/write", "resources/read"], identity=IdentityKind.USER, user=user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.cookies["csrftoken"] = "c" * 32
    before = (snapshot(), storage_objects())
    response = upload(client, "post", "/v1/files/org/proj", None, content=b"x" * 2000, HTTP_X_CSRFTOKEN="c" * 32)
    body = error(response, 403, "AuthorizationFailed")
    assert body["details"] == "Permission 'files/write' is missing on '/org/proj'."
    assert (snapshot(), storage_objects()) == before


def test_upload_content_over_the_storage_limit_is_refused_even_if_parsed_early(project):
    from blobs.services import StagedBlob
    from files.errors import DeltaError
    from files.models import Storage
    from files.services import file_upload_content

    storage = Storage.objects.get(project=project)
    storage.max_file_size = 1000
    staged = StagedBlob(key="blobs/x", size=1001, sha256="0" * 64, md5="")
    with pytest.raises(DeltaError) as refused:
        file_upload_content(storage=storage, staged=staged, filename="a.txt", part_type="text/plain", charset=None)
    assert (refused.value.status, refused.value.type, refused.value.message) == (
        413, "FileTooLarge", "File size exceeds the max file size for the storage (1000 bytes)."
    )  # fmt: skip


def test_download_needs_only_the_storage_read_permission(client, writer, project):
    from accounts.models import User
    from accounts.services import token_create
    from files.models import IdentityKind
    from files.services import acl_grant, storage_create

    storage_create(
        project=project, iri="https://bluebrain.github.io/nexus/vocabulary/disk2", read_permission="disk/read"
    )
    assert upload(client, "put", "/v1/files/org/proj/nxv:f?storage=nxv:disk2", writer).status_code == 201
    user = User.objects.create(username="downloader")
    acl_grant(path="/org", permissions=["disk/read"], identity=IdentityKind.USER, user=user)
    token = token_create(user=user, name="t").raw
    response = client.get("/v1/files/org/proj/nxv:f", HTTP_ACCEPT="*/*", **auth(token))
    assert (response.status_code, b"".join(response.streaming_content)) == (200, b"file content")
    for accept, path in (("application/json", ""), ("*/*", "/tags")):
        response = client.get(f"/v1/files/org/proj/nxv:f{path}", HTTP_ACCEPT=accept, **auth(token))
        body = error(response, 403, "AuthorizationFailed")
        assert body["details"] == "Permission 'resources/read' is missing on '/org/proj'."
    # resources/read alone does not download from that storage.
    response = client.get("/v1/files/org/proj/nxv:f", HTTP_ACCEPT="*/*", **auth(writer))
    assert error(response, 403, "AuthorizationFailed")["details"] == "Permission 'disk/read' is missing on '/org/proj'."


def test_get_with_an_invalid_tag_param_is_400(client, writer):
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer)
    for tag in ("", "latest", "x" * 65, "caf\u00e9"):
        for accept in ("application/json", "*/*"):
            response = client.get("/v1/files/org/proj/nxv:f", {"tag": tag}, HTTP_ACCEPT=accept, **auth(writer))
            body = error(response, 400, "MalformedQueryParamRejection", "The query parameter 'tag' was malformed.")
            assert body["details"] == "Tag must be 1 to 64 printable ASCII characters and not 'latest'."
    response = client.get("/v1/files/org/proj/nxv:f", {"tag": "nope"}, HTTP_ACCEPT="application/json", **auth(writer))
    error(response, 404, "TagNotFound", "Tag requested 'nope' not found.")


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/tags", "not json"),
        ("post", "/tags?rev=1", "not json"),
        ("post", "/tags", json.dumps({"tag": "t", "rev": 1})),
        ("delete", "", None),
        ("delete", "/tags", None),
        ("delete", "/tags/t", None),
        ("put", "/undeprecate", None),
    ],
)
def test_write_permission_is_checked_before_rev_and_body(client, writer, reader, method, path, body):
    """Anonymous and read-only callers get 403, not 400 MissingQueryParam / malformed content."""
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer)
    before = snapshot()
    for token in (None, reader):
        kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
        response = getattr(client, method)(f"/v1/files/org/proj/nxv:f{path}", **kwargs, **auth(token))
        detail = error(response, 403, "AuthorizationFailed")["details"]
        assert detail == "Permission 'files/write' is missing on '/org/proj'."
    assert snapshot() == before


def test_orgs_and_projects_need_orgs_read_and_projects_read(client, project):
    from accounts.models import User
    from accounts.services import token_create
    from files.models import IdentityKind
    from files.services import acl_grant, org_create, project_create

    project_create(org=org_create(label="zorg"), label="other")
    user = User.objects.create(username="viewer")
    token = token_create(user=user, name="t").raw
    for path, permission, where in (
        ("/v1/orgs/org", "orgs/read", "/org"),
        ("/v1/projects/org/proj", "projects/read", "/org/proj"),
    ):
        for credentials in ({}, auth(token)):
            body = error(client.get(path, **credentials), 403, "AuthorizationFailed")
            assert body["details"] == f"Permission '{permission}' is missing on '{where}'."
    for path in ("/v1/orgs", "/v1/projects", "/v1/projects/org"):
        response = client.get(path, **auth(token))
        assert (response.status_code, response.json()["_total"]) == (200, 0)
    acl_grant(path="/org", permissions=["orgs/read"], identity=IdentityKind.USER, user=user)
    acl_grant(path="/org/proj", permissions=["projects/read"], identity=IdentityKind.USER, user=user)
    assert client.get("/v1/orgs/org", **auth(token)).status_code == 200
    assert client.get("/v1/projects/org/proj", **auth(token)).status_code == 200
    assert [o["_label"] for o in client.get("/v1/orgs", **auth(token)).json()["_results"]] == ["org"]
    listed = client.get("/v1/projects", **auth(token)).json()["_results"]
    assert [(p["_organizationLabel"], p["_label"]) for p in listed] == [("org", "proj")]
    assert client.get("/v1/orgs/zorg", **auth(token)).status_code == 403
    # A grant on an org reads all its projects; on `/`, everything.
    acl_grant(path="/zorg", permissions=["projects/read"], identity=IdentityKind.USER, user=user)
    listed = client.get("/v1/projects", **auth(token)).json()["_results"]
    assert [(p["_organizationLabel"], p["_label"]) for p in listed] == [("org", "proj"), ("zorg", "other")]
    acl_grant(path="/", permissions=["orgs/read"], identity=IdentityKind.USER, user=user)
    assert [o["_label"] for o in client.get("/v1/orgs", **auth(token)).json()["_results"]] == ["org", "zorg"]
