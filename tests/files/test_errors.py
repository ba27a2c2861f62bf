"""Every error @type of the reference table with its status and body, the order of checks for create
and update, and that a refused request changes nothing (no row, no blob, no bytes)."""

import json

import pytest

from accounts.models import User
from accounts.services import token_create
from files.models import Project, Storage, StorageType
from files.services import storage_create, storage_deprecate
from tests.support.files import BASE, NXV, auth, multipart, snapshot, upload

pytestmark = pytest.mark.django_db

ERROR_CONTEXT = "https://bluebrain.github.io/nexus/contexts/error.json"
MYFILE = NXV + "myfile"


@pytest.fixture(autouse=True)
def _both_storages(storage_kind):
    return storage_kind


@pytest.fixture
def existing(client, writer):
    """nxv:myfile at rev 1."""
    assert upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer, content=b"v1").status_code == 201


@pytest.fixture
def unchanged(storage_objects):
    """Asserts, after the test's refused request, that rows and stored bytes are as before it."""
    state = {}

    def take():
        state["before"] = (snapshot(), storage_objects())

    def check():
        assert (snapshot(), storage_objects()) == state["before"]

    take.check = check
    return take


def error(response, status, type_, reason=None, **extra):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["@context"] == ERROR_CONTEXT
    assert body["@type"] == type_
    if reason is not None:
        assert body["reason"] == reason
    for key, value in extra.items():
        assert body[key] == value
    return body


def test_resource_already_exists(client, writer, existing, unchanged):
    unchanged()
    response = upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer)
    error(response, 409, "ResourceAlreadyExists", f"Resource '{MYFILE}' already exists in project 'org/proj'.")
    unchanged.check()


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("update", "/v1/files/org/proj/nxv:nope?rev=1"),
        ("get", "/v1/files/org/proj/nxv:nope"),
        ("delete", "/v1/files/org/proj/nxv:nope?rev=1"),
        ("tag", "/v1/files/org/proj/nxv:nope/tags?rev=1"),
        ("get", "/v1/files/org/proj/nxv:nope/tags"),
    ],
)
def test_file_not_found(client, writer, existing, unchanged, method, url):
    unchanged()
    if method == "update":
        response = upload(client, "put", url, writer)
    elif method == "tag":
        response = client.post(url, json.dumps({"tag": "t", "rev": 1}), content_type="application/json", **auth(writer))
    else:
        response = getattr(client, method)(url, **auth(writer))
    error(response, 404, "ResourceNotFound", f"File '{NXV}nope' not found in project 'org/proj'.")
    unchanged.check()


def test_storage_not_found_and_deprecated(client, writer, project, unchanged):
    unchanged()
    response = upload(client, "post", "/v1/files/org/proj?storage=not-exist", writer)
    error(response, 404, "ResourceNotFound", f"Storage '{BASE}not-exist' not found in project 'org/proj'.")
    old = storage_create(project=project, iri=NXV + "old")
    storage_deprecate(storage=old)
    unchanged()
    response = upload(client, "post", "/v1/files/org/proj?storage=nxv:old", writer)
    error(response, 400, "StorageIsDeprecated", f"Storage '{NXV}old' is deprecated.")
    unchanged.check()


def test_incorrect_rev(client, writer, existing, unchanged):
    unchanged()
    response = upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=10", writer)
    error(
        response,
        409,
        "IncorrectRev",
        "Incorrect revision '10' provided, expected '1', the file may have been updated since last seen.",
        provided=10,
        expected=1,
    )
    error(client.delete("/v1/files/org/proj/nxv:myfile?rev=2", **auth(writer)), 409, "IncorrectRev")
    unchanged.check()


def test_revision_and_tag_not_found(client, writer, reader, existing, unchanged):
    unchanged()
    response = client.get("/v1/files/org/proj/nxv:myfile?rev=8", **auth(reader))
    error(response, 404, "RevisionNotFound", "Revision requested '8' not found, last known revision is '1'.")
    response = client.post(
        "/v1/files/org/proj/nxv:myfile/tags?rev=1",
        json.dumps({"tag": "t", "rev": 2}),
        content_type="application/json",
        **auth(writer),
    )
    error(response, 404, "RevisionNotFound", "Revision requested '2' not found, last known revision is '1'.")
    response = client.get("/v1/files/org/proj/nxv:myfile?tag=myother", **auth(reader))
    error(response, 404, "TagNotFound", "Tag requested 'myother' not found.")
    response = client.delete("/v1/files/org/proj/nxv:myfile/tags/myother?rev=1", **auth(writer))
    error(response, 404, "TagNotFound", "Tag requested 'myother' not found.")
    unchanged.check()


def test_file_is_deprecated_and_not_deprecated(client, writer, existing, unchanged):
    response = client.put("/v1/files/org/proj/nxv:myfile/undeprecate?rev=1", **auth(writer))
    error(response, 400, "FileIsNotDeprecated", f"File '{MYFILE}' is not deprecated.")
    assert client.delete("/v1/files/org/proj/nxv:myfile?rev=1", **auth(writer)).status_code == 200
    unchanged()
    error(
        upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=2", writer),
        400,
        "FileIsDeprecated",
        f"File '{MYFILE}' is deprecated.",
    )
    error(client.delete("/v1/files/org/proj/nxv:myfile?rev=2", **auth(writer)), 400, "FileIsDeprecated")
    # A rev mismatch on a deprecated file is a 409, not a 400 (rev is checked first).
    error(upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=1", writer), 409, "IncorrectRev")
    unchanged.check()


def test_file_too_large(client, writer, project, unchanged):
    Storage.objects.filter(project=project, default=True).update(max_file_size=10)
    unchanged()
    response = upload(client, "put", "/v1/files/org/proj/big", writer, content=b"x" * 11)
    error(response, 413, "FileTooLarge", "File size exceeds the max file size for the storage (10 bytes).")
    unchanged.check()
    assert upload(client, "put", "/v1/files/org/proj/big", writer, content=b"x" * 10).status_code == 201


def test_multipart_without_a_file_part(client, writer, project, unchanged):
    unchanged()
    response = upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer, field="other")
    error(
        response,
        400,
        "InvalidMultipartFieldName",
        f"File '{MYFILE}' payload a Multipart/Form-Data without a 'file' part.",
    )
    unchanged.check()


def test_invalid_file_id(client, writer, project, unchanged):
    unchanged()
    response = upload(client, "put", "/v1/files/org/proj/my%20id", writer)
    error(response, 400, "InvalidFileId", "File identifier 'my id' cannot be expanded to an Iri.")
    unchanged.check()


def test_link_on_disk_storage_is_unsupported(client, writer, existing, unchanged):
    unchanged()
    link = json.dumps({"filename": "myfile.png", "path": "relative/path/to/myfile.png", "mediaType": "image/png"})
    for url in ("/v1/files/org/proj/file1", "/v1/files/org/proj/nxv:myfile?rev=1", "/v1/files/org/proj"):
        method = client.post if url.endswith("proj") else client.put
        response = method(url, link, content_type="application/json", **auth(writer))
        iri = {"file1": BASE + "file1", "?rev=1": MYFILE}.get(url.rsplit("/", 1)[-1].replace("nxv:myfile", ""))
        body = error(response, 400, "UnsupportedOperation")
        if iri:
            assert body["reason"] == f"File '{iri}' could not be linked using storage '{NXV}diskStorageDefault'"
        assert body["details"] == (
            "Moving a file is not supported for storages of type 'https://bluebrain.github.io/nexus/vocabulary/DiskStorage'"
        )
    unchanged.check()


def test_project_not_found_and_deprecated(client, writer, project, unchanged):
    unchanged()
    error(upload(client, "post", "/v1/files/org/nope", writer), 404, "ProjectNotFound", "Project 'org/nope' not found.")
    Project.objects.filter(pk=project.pk).update(deprecated=True)
    error(
        upload(client, "post", "/v1/files/org/proj", writer),
        400,
        "ProjectIsDeprecated",
        "Project 'org/proj' is deprecated.",
    )
    unchanged.check()


def test_authorization_failed_names_permission_and_path(client, reader, existing, unchanged):
    unchanged()
    for response in (
        upload(client, "post", "/v1/files/org/proj", reader),
        upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=1", reader),
        client.delete("/v1/files/org/proj/nxv:myfile?rev=1", **auth(reader)),
    ):
        error(
            response,
            403,
            "AuthorizationFailed",
            "The supplied authentication is not authorized to access this resource.",
            details="Permission 'files/write' is missing on '/org/proj'.",
        )
    for url in ("/v1/files/org/proj/nxv:myfile", "/v1/files/org/proj", "/v1/files/org/proj/nxv:myfile/tags"):
        response = client.get(url)
        error(response, 403, "AuthorizationFailed", details="Permission 'resources/read' is missing on '/org/proj'.")
        assert "Accept" not in response.get("Vary", "")  # (Cookie may be there: session auth)
    unchanged.check()


def test_custom_storage_permissions(client, writer, project):
    storage_create(project=project, iri=NXV + "custom", read_permission="disk/read", write_permission="disk/write")
    error(
        upload(client, "post", "/v1/files/org/proj?storage=nxv:custom", writer),
        403,
        "AuthorizationFailed",
        details="Permission 'disk/write' is missing on '/org/proj'.",
    )
    from files.models import Acl

    acl = Acl.objects.get(path="/org/proj", user__username="writer")
    acl.permissions = [*acl.permissions, "disk/write"]
    acl.save()
    created = upload(client, "post", "/v1/files/org/proj?storage=nxv:custom", writer)
    assert created.status_code == 201
    # Metadata needs resources/read; the content needs the storage's read permission too.
    url = created.json()["_self"]
    assert client.get(url, HTTP_ACCEPT="application/json", **auth(writer)).status_code == 200
    error(
        client.get(url, HTTP_ACCEPT="*/*", **auth(writer)),
        403,
        "AuthorizationFailed",
        details="Permission 'disk/read' is missing on '/org/proj'.",
    )


def test_missing_and_malformed_query_params(client, writer, reader, existing, unchanged):
    unchanged()
    missing = "Request is missing required query parameter 'rev'."
    error(client.delete("/v1/files/org/proj/nxv:myfile", **auth(writer)), 400, "MissingQueryParam", missing)
    error(client.put("/v1/files/org/proj/nxv:myfile/undeprecate", **auth(writer)), 400, "MissingQueryParam", missing)
    response = client.post(
        "/v1/files/org/proj/nxv:myfile/tags",
        json.dumps({"tag": "t", "rev": 1}),
        content_type="application/json",
        **auth(writer),
    )
    error(response, 400, "MissingQueryParam", missing)
    error(
        client.get("/v1/files/org/proj/nxv:myfile?tag=mytag&rev=1", **auth(reader)),
        400,
        "MalformedQueryParamRejection",
        details="tag and rev query parameters cannot be present simultaneously",
    )
    error(
        client.get("/v1/files/org/proj/nxv:myfile?rev=abc", **auth(reader)),
        400,
        "MalformedQueryParamRejection",
        "The query parameter 'rev' was malformed.",
    )
    error(
        client.get("/v1/files/org/proj?size=1001", **auth(reader)),
        400,
        "MalformedQueryParamRejection",
        details="limit '1000' exceeded",
    )
    error(
        client.get("/v1/files/org/proj?from=1&after=%5B1,%22x%22%5D", **auth(reader)),
        400,
        "MalformedQueryParamRejection",
        details="after and from query parameters cannot be present simultaneously",
    )
    error(client.get("/v1/files/org/proj?deprecated=maybe", **auth(reader)), 400, "MalformedQueryParamRejection")
    error(upload(client, "post", "/v1/files/org/proj?rev=1", writer), 400, "MalformedQueryParamRejection")
    unchanged.check()


def test_request_content_rejections(client, writer, existing, unchanged):
    unchanged()
    error(
        client.put("/v1/files/org/proj/other", "hello", content_type="text/plain", **auth(writer)),
        415,
        "UnsupportedRequestContentTypeRejection",
    )
    error(
        client.post("/v1/files/org/proj", "", content_type="application/json", **auth(writer)),
        400,
        "RequestEntityExpectedRejection",
    )
    for payload in ({"tag": "latest", "rev": 1}, {"tag": "", "rev": 1}, {"tag": "t", "rev": "1"}, {"tag": "x" * 65}):
        response = client.post(
            "/v1/files/org/proj/nxv:myfile/tags?rev=1",
            json.dumps(payload),
            content_type="application/json",
            **auth(writer),
        )
        error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
    response = client.post(
        "/v1/files/org/proj/nxv:myfile/tags?rev=1", "{not json", content_type="application/json", **auth(writer)
    )
    error(response, 400, "MalformedRequestContentRejection")
    error(
        upload(client, "post", "/v1/files/org/proj/nxv:myfile", writer),
        404,
        "ResourceNotFound",
        "The requested resource does not exist.",
    )
    unchanged.check()


def test_bad_token_is_401(client, existing):
    response = client.get("/v1/files/org/proj/nxv:myfile", HTTP_AUTHORIZATION="Bearer wrong")
    assert response.status_code == 401
    assert response.json()["@type"] == "AuthenticationFailed"


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
