"""Every error @type of the reference table with its status and body, and that a refused request
changes nothing (no row, no blob, no bytes); the order of checks is in test_errors_order.py."""

import json

import pytest

from files.models import Project, Storage
from files.services import storage_create, storage_deprecate
from tests.support.files import BASE, MYFILE, NXV, auth, error, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _both_storages(storage_kind):
    return storage_kind


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
