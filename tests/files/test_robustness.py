"""Input the reference server refuses in its own shape, never a 500 or an HTML page: unknown routes,
unexpected errors, out-of-range cursors, control characters, over-long values, ill-typed payloads."""

import json
import logging

import pytest

from tests.support.files import auth, snapshot, upload

pytestmark = pytest.mark.django_db

ERROR_CONTEXT = "https://bluebrain.github.io/nexus/contexts/error.json"


def error(response, status, type_, reason=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/ld+json"), response["Content-Type"]
    body = response.json()
    assert (body["@context"], body["@type"]) == (ERROR_CONTEXT, type_), body
    if reason is not None:
        assert body["reason"] == reason
    return body


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/v1/files"),
        ("get", "/v1/files/org"),
        ("get", "/v1/files/org/"),
        ("get", "/v1/resources/org/proj/_/x"),
        ("post", "/v1/nothing/here"),
        ("delete", "/v1/files/org/"),
    ],
)
def test_unknown_v1_paths_are_a_json_ld_404(client, writer, method, path):
    response = getattr(client, method)(path, **auth(writer))
    error(response, 404, "ResourceNotFound", "The requested resource does not exist.")


def test_unexpected_error_is_a_json_ld_500_and_logged(client, writer, monkeypatch, caplog):
    def boom(**kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("files.selectors.file_list", boom)
    with caplog.at_level(logging.ERROR, logger="nexus.errors"):
        response = client.get("/v1/files/org/proj", **auth(writer))
    body = error(
        response, 500, "UnexpectedError", "The system experienced an unexpected error, please try again later."
    )
    assert "disk on fire" not in json.dumps(body)
    assert [r.exc_info[1].args for r in caplog.records if r.name == "nexus.errors"] == [("disk on fire",)]


@pytest.mark.parametrize(
    "after",
    ['[1e22,"x"]', '[1e400,"x"]', '[-1e400,"x"]', '[NaN,"x"]', '[-1,"x"]', '[253402300800000,"x"]', '[true,"x"]',
     '["1","x"]', '[1,2]', '[1]', '{}'],
)  # fmt: skip
def test_out_of_range_after_cursor_is_400(client, writer, after):
    upload(client, "post", "/v1/files/org/proj", writer)
    response = client.get("/v1/files/org/proj", {"after": after}, **auth(writer))
    body = error(response, 400, "MalformedQueryParamRejection", "The query parameter 'after' was malformed.")
    assert body["details"] == "'after' is a cursor taken from '_next'."


def test_largest_after_cursor_is_an_empty_page(client, writer):
    upload(client, "post", "/v1/files/org/proj", writer)
    response = client.get("/v1/files/org/proj", {"after": '[253402300799999,"x"]'}, **auth(writer))
    assert response.status_code == 200, response.content
    assert (response.json()["_total"], response.json()["_results"]) == (1, [])


@pytest.mark.parametrize("name", ["q", "locate", "id", "createdBy", "updatedBy", "type", "deprecated", "x"])
def test_control_characters_in_listing_params_are_400(client, writer, name):
    upload(client, "post", "/v1/files/org/proj", writer)
    for value in ("my\x00file", "a\x1fb", "\x7f"):
        response = client.get("/v1/files/org/proj", {name: value}, **auth(writer))
        body = error(response, 400, "MalformedQueryParamRejection", f"The query parameter '{name}' was malformed.")
        assert body["details"] == "The value holds control characters."


def test_nul_in_after_cursor_iri_is_400(client, writer):
    upload(client, "post", "/v1/files/org/proj", writer)
    response = client.get("/v1/files/org/proj", {"after": '[1,"a\\u0000b"]'}, **auth(writer))
    error(response, 400, "MalformedQueryParamRejection", "The query parameter 'after' was malformed.")


@pytest.mark.parametrize("method", ["post", "put"])
def test_nul_in_storage_param_is_400_and_stores_nothing(client, writer, storage_objects, method):
    before = (snapshot(), storage_objects())
    url = "/v1/files/org/proj" if method == "post" else "/v1/files/org/proj/nxv:f"
    response = upload(client, method, f"{url}?storage=nxv:my%00storage", writer)
    body = error(response, 400, "MalformedQueryParamRejection", "The query parameter 'storage' was malformed.")
    assert body["details"] == "The value holds control characters."
    assert (snapshot(), storage_objects()) == before


@pytest.mark.parametrize(
    "path", ["/v1/files/org%00/proj", "/v1/files/org/pr%00oj", "/v1/files/org/pr%00oj/nxv:x", "/v1/orgs/o%00",
             "/v1/projects/org/p%00", "/v1/acls/org%00/proj"],
)  # fmt: skip
def test_nul_in_path_labels_is_404(client, writer, path):
    error(client.get(path, **auth(writer)), 404, "ResourceNotFound", "The requested resource does not exist.")


@pytest.mark.parametrize("tag", ["a\x00b", "\x00", "tab\there", "del\x7f", "caf\u00e9", "", "x" * 65, "latest", 5])
def test_tag_body_must_be_printable_ascii(client, writer, tag):
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer)
    before = snapshot()
    response = client.post(
        "/v1/files/org/proj/nxv:f/tags?rev=1", json.dumps({"tag": tag, "rev": 1}), content_type="application/json",
        **auth(writer),
    )  # fmt: skip
    body = error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
    assert body["details"] == (
        'The payload is {"tag": <1 to 64 printable ASCII characters, not \'latest\'>, "rev": <number>}.'
    )
    assert snapshot() == before


def test_deeply_nested_json_body_is_400(client, writer):
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer)
    before = snapshot()
    response = client.post(
        "/v1/files/org/proj/nxv:f/tags?rev=1", "[" * 10_000, content_type="application/json", **auth(writer)
    )
    body = error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
    assert body["details"] == "The body is not JSON: nested too deeply."
    assert snapshot() == before


@pytest.mark.parametrize("method, url", [("post", "/v1/files/org/proj"), ("put", "/v1/files/org/proj/nxv:f")])
def test_tag_param_on_write_must_be_printable_ascii(client, writer, storage_objects, method, url):
    before = (snapshot(), storage_objects())
    for tag in ("a%1Fb", "caf%C3%A9", "latest"):
        response = upload(client, method, f"{url}?tag={tag}", writer)
        error(response, 400, "MalformedQueryParamRejection", "The query parameter 'tag' was malformed.")
        assert (snapshot(), storage_objects()) == before


def test_printable_ascii_tag_with_space_and_symbols_works(client, writer):
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer)
    tag = "v 1.0~!@#$%^&*()"
    response = client.post(
        "/v1/files/org/proj/nxv:f/tags?rev=1", json.dumps({"tag": tag, "rev": 1}), content_type="application/json",
        **auth(writer),
    )  # fmt: skip
    assert response.status_code == 201, response.content
    tags = client.get("/v1/files/org/proj/nxv:f/tags", **auth(writer), HTTP_ACCEPT="application/json").json()
    assert tags["tags"] == [{"rev": 1, "tag": tag}]


def test_over_long_id_is_invalid_file_id(client, writer, storage_objects):
    upload(client, "put", "/v1/files/org/proj/nxv:f", writer)
    before = (snapshot(), storage_objects())
    segment = "nxv:" + "i" * 2000  # 2040 characters once expanded: more than an id can hold
    for response in (
        upload(client, "put", f"/v1/files/org/proj/{segment}", writer),
        upload(client, "put", f"/v1/files/org/proj/{segment}?rev=1", writer),
        client.get(f"/v1/files/org/proj/{segment}", **auth(writer)),
        client.delete(f"/v1/files/org/proj/{segment}?rev=1", **auth(writer)),
    ):
        error(response, 400, "InvalidFileId", f"File identifier '{segment}' cannot be expanded to an Iri.")
    assert (snapshot(), storage_objects()) == before
    longest = "nxv:" + "i" * (2000 - len("https://bluebrain.github.io/nexus/vocabulary/"))
    assert upload(client, "put", f"/v1/files/org/proj/{longest}", writer).status_code == 201


@pytest.mark.parametrize("method, url", [("post", "/v1/files/org/proj"), ("put", "/v1/files/org/proj/nxv:f")])
def test_over_long_media_type_is_400_and_stores_nothing(client, writer, storage_objects, method, url):
    before = (snapshot(), storage_objects())
    response = upload(client, method, url, writer, content_type="application/" + "x" * 250)
    body = error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
    assert body["details"] == "The media type is longer than 255 characters."
    assert (snapshot(), storage_objects()) == before
    response = upload(client, method, url, writer, content_type="application/" + "x" * 243)  # 255
    assert response.status_code == 201, response.content
    assert response.json()["_mediaType"] == "application/" + "x" * 243


@pytest.mark.parametrize("storage_kind", ["s3"], indirect=True)  # linking needs S3
def test_over_long_link_media_type_and_filename_are_400(client, writer, project, storage_kind, request):
    from files.models import StorageType
    from files.services import storage_create

    s3, bucket = request.getfixturevalue("s3_storage")
    storage_create(project=project, iri="https://bluebrain.github.io/nexus/vocabulary/s3", type=StorageType.S3)
    s3.put_object(Bucket=bucket, Key="links/org/proj/a.png", Body=b"png")
    storage_objects = request.getfixturevalue("storage_objects")
    before = (snapshot(), storage_objects())
    for payload, details in (
        ({"path": "a.png", "mediaType": "image/" + "p" * 250}, "The media type is longer than 255 characters."),
        ({"path": "a.png", "filename": "f" * 1001}, "The filename is longer than 1000 characters."),
    ):
        response = client.post(
            "/v1/files/org/proj?storage=nxv:s3", json.dumps(payload), content_type="application/json", **auth(writer)
        )
        body = error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
        assert body["details"] == details
        assert (snapshot(), storage_objects()) == before


@pytest.mark.parametrize(
    "payload",
    [{"path": "rel/x.png", "filename": 5}, {"path": "rel/x.png", "mediaType": 5}, {"path": 5},
     {"path": "rel/x.png", "filename": ["a"]}, {"path": "rel/x.png", "mediaType": {"a": 1}},
     {"path": None}, {"path": "rel/x.png", "filename": True}],
)  # fmt: skip
@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_link_payload_fields_must_be_strings(client, writer, project, storage_kind, request, payload, content_type):
    from files.models import StorageType
    from files.services import storage_create

    storage_create(project=project, iri="https://bluebrain.github.io/nexus/vocabulary/s3", type=StorageType.S3)
    if storage_kind == "s3":
        s3, bucket = request.getfixturevalue("s3_storage")
        s3.put_object(Bucket=bucket, Key="links/org/proj/rel/x.png", Body=b"png")
    storage_objects = request.getfixturevalue("storage_objects")
    before = (snapshot(), storage_objects())
    for method, url in (("post", "/v1/files/org/proj"), ("put", "/v1/files/org/proj/nxv:l")):
        response = getattr(client, method)(
            f"{url}?storage=nxv:s3", json.dumps(payload), content_type=content_type, **auth(writer)
        )
        body = error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
        assert body["details"] == (
            'A link payload is {"path": <string>, "filename"?: <string>, "mediaType"?: <string>}.'
        )
        assert (snapshot(), storage_objects()) == before


@pytest.mark.parametrize("storage_kind", ["s3"], indirect=True)  # linking needs S3
def test_control_characters_in_link_filename_or_media_type_are_400(client, writer, project, storage_kind, request):
    from files.models import StorageType
    from files.services import storage_create

    s3, bucket = request.getfixturevalue("s3_storage")
    storage_create(project=project, iri="https://bluebrain.github.io/nexus/vocabulary/s3", type=StorageType.S3)
    s3.put_object(Bucket=bucket, Key="links/org/proj/a.png", Body=b"png")
    storage_objects = request.getfixturevalue("storage_objects")
    before = (snapshot(), storage_objects())
    for payload in ({"path": "a.png", "filename": "a\x00.png"}, {"path": "a.png", "mediaType": "image/png\x00"}):
        response = client.post(
            "/v1/files/org/proj?storage=nxv:s3", json.dumps(payload), content_type="application/json", **auth(writer)
        )
        body = error(response, 400, "MalformedRequestContentRejection", "The request content was malformed.")
        assert body["details"] == "The filename and the media type cannot hold control characters."
        assert (snapshot(), storage_objects()) == before


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
