"""Input the reference server refuses in its own shape, never a 500 or an HTML page: unknown routes,
unexpected errors, out-of-range cursors, control characters, over-long values, ill-typed payloads."""

import json
import logging

import pytest

from tests.support.files import auth, snapshot, upload
from tests.support.files import json_ld_error as error

pytestmark = pytest.mark.django_db


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
