"""The files API on disk and on S3 storage: create, update with every revision's bytes, tags,
deprecation, fetch by rev and tag, content negotiation, special ids, listing."""

import base64
import json
from urllib.parse import quote

import pytest

from blobs.models import Blob
from files.models import File, FileRevision
from tests.support.files import BASE, NXV, auth, sha256, upload

pytestmark = pytest.mark.django_db

MYFILE = NXV + "myfile"
MYFILE_SELF = "http://testserver/v1/files/org/proj/https:%2F%2Fbluebrain.github.io%2Fnexus%2Fvocabulary%2Fmyfile"
JSONLD = {"HTTP_ACCEPT": "application/ld+json, application/json"}


@pytest.fixture(autouse=True)
def _both_storages(storage_kind):
    """Every test here runs on local storage and on S3 (moto's server)."""
    return storage_kind


def metadata(client, url, token, **extra):
    response = client.get(url, **JSONLD, **auth(token), **extra)
    assert response.status_code == 200, response.content
    return response.json()


def content(client, url, token, accept="*/*"):
    response = client.get(url, HTTP_ACCEPT=accept, **auth(token))
    return response, b"".join(response.streaming_content) if response.status_code == 200 else response.content


def test_create_with_id_answers_the_full_metadata(client, writer, storage_objects):
    response = upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer, content=b"file content")
    assert response.status_code == 201
    assert response["Content-Type"] == "application/ld+json"
    body = response.json()
    file = File.objects.get()
    assert body == {
        "@context": "https://bluebrain.github.io/nexus/contexts/resource.json",
        "@id": MYFILE,
        "@type": "File",
        "_bytes": 12,
        "_digest": {"_algorithm": "SHA-256", "_value": sha256(b"file content")},
        "_filename": "myfile.txt",
        "_mediaType": "text/plain",
        "_storage": {"@id": NXV + "diskStorageDefault", "@type": "DiskStorage", "_rev": 1},
        "_incoming": MYFILE_SELF + "/incoming",
        "_outgoing": MYFILE_SELF + "/outgoing",
        "_self": MYFILE_SELF,
        "_constrainedBy": "https://bluebrain.github.io/nexus/schemas/file.json",
        "_project": "http://testserver/v1/projects/org/proj",
        "_rev": 1,
        "_deprecated": False,
        "_createdAt": file.created_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "_createdBy": "http://testserver/v1/realms/local/users/writer",
        "_updatedAt": body["_createdAt"],
        "_updatedBy": "http://testserver/v1/realms/local/users/writer",
        "_origin": "Client",
        "_uuid": str(file.uuid),
    }
    assert [o for o in storage_objects()] == [file.blob.key]


def test_post_generates_an_id_under_the_project_base(client, writer):
    response = upload(client, "post", "/v1/files/org/proj", writer, content=b"abc", name="a.bin", content_type="")
    assert response.status_code == 201
    body = response.json()
    assert body["@id"].startswith(BASE) and len(body["@id"]) == len(BASE) + 36
    assert body["_self"] == "http://testserver/v1/files/org/proj/" + quote(body["@id"], safe=":")
    # No part type: by extension, else application/octet-stream.
    assert body["_mediaType"] == "application/octet-stream"
    assert (body["_rev"], body["_bytes"]) == (1, 3)
    # The short form (relative to the base) and the _self both reach it.
    short = body["@id"][len(BASE) :]
    assert metadata(client, f"/v1/files/org/proj/{short}", writer)["@id"] == body["@id"]
    assert metadata(client, body["_self"], writer)["@id"] == body["@id"]


def test_every_revision_keeps_its_bytes(client, writer, reader):
    assert upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer, content=b"first").status_code == 201
    response = upload(
        client,
        "put",
        "/v1/files/org/proj/nxv:myfile?rev=1",
        writer,
        content=b"second!",
        name="two.png",
        content_type="image/png",
    )
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("_rev", "_bytes", "_filename", "_mediaType")} == {
        "_rev": 2,
        "_bytes": 7,
        "_filename": "two.png",
        "_mediaType": "image/png",
    }
    response = upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=2&tag=third", writer, content=b"3")
    assert response.status_code == 200
    for query, expected, filename, media_type in (
        ("", b"3", "myfile.txt", "text/plain"),
        ("?rev=1", b"first", "myfile.txt", "text/plain"),
        ("?rev=2", b"second!", "two.png", "image/png"),
        ("?tag=third", b"3", "myfile.txt", "text/plain"),
    ):
        response, body = content(client, f"/v1/files/org/proj/nxv:myfile{query}", reader)
        assert (response.status_code, body) == (200, expected)
        assert response["Content-Type"] == media_type
        assert response["Content-Length"] == str(len(expected))
        assert response["Vary"] == "Accept,Accept-Encoding"
        assert response["Content-Disposition"] == (
            f'attachment; filename="=?UTF-8?B?{base64.b64encode(filename.encode()).decode()}?="'
        )
    assert metadata(client, "/v1/files/org/proj/nxv:myfile?rev=2", reader)["_rev"] == 2
    assert Blob.objects.count() == 3
    assert list(FileRevision.objects.order_by("rev").values_list("rev", "action")) == [
        (1, "created"),
        (2, "updated"),
        (3, "updated"),
    ]


def test_tag_fetch_by_tag_tags_listing_and_delete_tag(client, writer, reader):
    upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer, content=b"one")
    upload(client, "put", "/v1/files/org/proj/nxv:myfile?rev=1", writer, content=b"two")
    response = client.post(
        "/v1/files/org/proj/nxv:myfile/tags?rev=2",
        json.dumps({"tag": "mytag", "rev": 1}),
        content_type="application/json",
        **auth(writer),
    )
    assert response.status_code == 201
    assert (response.json()["_rev"], response.json()["_bytes"]) == (3, 3)
    _, body = content(client, "/v1/files/org/proj/nxv:myfile?tag=mytag", reader)
    assert body == b"one"
    assert metadata(client, "/v1/files/org/proj/nxv:myfile?tag=mytag", reader)["_rev"] == 1
    tags = client.get("/v1/files/org/proj/nxv:myfile/tags", **auth(reader))
    assert tags.json() == {
        "@context": "https://bluebrain.github.io/nexus/contexts/tags.json",
        "tags": [{"rev": 1, "tag": "mytag"}],
    }
    # As of rev 1, before the tag was added: none.
    assert client.get("/v1/files/org/proj/nxv:myfile/tags?rev=1", **auth(reader)).json()["tags"] == []
    response = client.delete("/v1/files/org/proj/nxv:myfile/tags/mytag?rev=3", **auth(writer))
    assert (response.status_code, response.json()["_rev"]) == (200, 4)
    assert client.get("/v1/files/org/proj/nxv:myfile/tags", **auth(reader)).json()["tags"] == []
    missing = client.get("/v1/files/org/proj/nxv:myfile?tag=mytag", **auth(reader))
    assert (missing.status_code, missing.json()["@type"]) == (404, "TagNotFound")


def test_deprecate_then_tag_then_undeprecate(client, writer, reader):
    upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer)
    response = client.delete("/v1/files/org/proj/nxv:myfile?rev=1", **auth(writer))
    assert (response.status_code, response.json()["_rev"], response.json()["_deprecated"]) == (200, 2, True)
    # Tagging a deprecated file is allowed (reference FilesSpec "allow tagging after deprecation").
    response = client.post(
        "/v1/files/org/proj/nxv:myfile/tags?rev=2",
        json.dumps({"tag": "kept", "rev": 1}),
        content_type="application/json",
        **auth(writer),
    )
    assert (response.status_code, response.json()["_rev"], response.json()["_deprecated"]) == (201, 3, True)
    # Content of a deprecated file is still served.
    assert content(client, "/v1/files/org/proj/nxv:myfile", reader)[1] == b"file content"
    listed = client.get("/v1/files/org/proj?deprecated=false", **auth(reader)).json()
    assert listed["_total"] == 0
    response = client.put("/v1/files/org/proj/nxv:myfile/undeprecate?rev=3", **auth(writer))
    assert (response.status_code, response.json()["_rev"], response.json()["_deprecated"]) == (200, 4, False)
    listed = client.get("/v1/files/org/proj?deprecated=False", **auth(reader)).json()
    assert [r["@id"] for r in listed["_results"]] == [MYFILE]


@pytest.mark.parametrize(
    "accept",
    ["application/ld+json", "application/json", "application/n-triples", "text/plain, application/ld+json"],
)
def test_metadata_for_an_rdf_accept_range(client, writer, reader, accept):
    upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer)
    response = client.get("/v1/files/org/proj/nxv:myfile", HTTP_ACCEPT=accept, **auth(reader))
    assert (response.status_code, response.json()["@id"], response["Vary"]) == (200, MYFILE, "Accept,Accept-Encoding")


@pytest.mark.parametrize("accept", ["*/*", "text/*", "text/plain", "application/json;q=0.9, text/plain"])
def test_content_for_any_other_matching_accept(client, writer, reader, accept):
    upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer)
    response, body = content(client, "/v1/files/org/proj/nxv:myfile", reader, accept=accept)
    assert (response.status_code, body) == (200, b"file content")


def test_406_when_accept_does_not_match_the_media_type(client, writer, reader):
    upload(client, "put", "/v1/files/org/proj/nxv:myfile", writer)
    response = client.get("/v1/files/org/proj/nxv:myfile", HTTP_ACCEPT="video/*", **auth(reader))
    assert response.status_code == 406
    assert response.json() == {
        "@context": "https://bluebrain.github.io/nexus/contexts/error.json",
        "@type": "UnacceptedResponseContentTypeRejection",
        "reason": "Resource representation is only available with these types: 'text/plain'",
    }
    assert "Accept" not in response.get("Vary", "")


@pytest.mark.parametrize(
    ("segment", "iri"),
    [
        ("my+id", BASE + "my+id"),
        ("a:b", "a:b"),
        (quote("http://example.org/a/b?c#d", safe=""), "http://example.org/a/b?c#d"),
        (quote("nxv:dir/file", safe=""), NXV + "dir/file"),
        ("caf%C3%A9", BASE + "café"),
    ],
)
def test_special_ids_round_trip(client, writer, reader, segment, iri):
    response = upload(client, "put", f"/v1/files/org/proj/{segment}", writer, content=b"x")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["@id"] == iri
    assert File.objects.get().iri == iri
    self_url = body["_self"]
    assert self_url == "http://testserver/v1/files/org/proj/" + quote(iri, safe="!$&'()*+,;=:@")
    # The _self works for every operation, as the SDK uses it verbatim.
    assert metadata(client, self_url, reader)["@id"] == iri
    response = upload(client, "put", self_url + "?rev=1", writer, content=b"y")
    assert (response.status_code, response.json()["_rev"]) == (200, 2)
    response = client.post(
        self_url + "/tags?rev=2", json.dumps({"tag": "t", "rev": 1}), content_type="application/json", **auth(writer)
    )
    assert response.status_code == 201
    assert client.get(self_url + "/tags", **auth(reader)).json()["tags"] == [{"rev": 1, "tag": "t"}]
    assert content(client, self_url + "?tag=t", reader)[1] == b"x"
    response = client.delete(self_url + "?rev=3", **auth(writer))
    assert (response.status_code, response.json()["_deprecated"]) == (200, True)


def test_raw_uri_keeps_an_encoded_slash_in_one_segment(client, writer, reader):
    """Under gunicorn (RAW_URI) an id that ends in '/tags' stays an id when its slash is encoded."""
    raw = "/v1/files/org/proj/nxv:dir%2Ftags"
    response = upload(client, "put", "/v1/files/org/proj/nxv:dir%2Ftags", writer, RAW_URI=raw)
    assert (response.status_code, response.json()["@id"]) == (201, NXV + "dir/tags")
    response = client.get(raw + "/tags", **auth(reader), RAW_URI=raw + "/tags?x=1")
    assert response.json()["tags"] == []
    response = client.get(raw, **JSONLD, **auth(reader), REQUEST_URI=raw)
    assert response.json()["@id"] == NXV + "dir/tags"


def test_listing_filters_and_pages(client, writer, reader):
    for name in ("a", "b", "c"):
        upload(client, "put", f"/v1/files/org/proj/{name}", writer, content=name.encode(), name=f"{name}.txt")
    upload(client, "put", "/v1/files/org/proj/b?rev=1", writer, content=b"bb", name="b.csv", content_type="text/csv")
    client.delete("/v1/files/org/proj/c?rev=1", **auth(writer))
    listed = client.get("/v1/files/org/proj", **auth(reader)).json()
    assert listed["@context"] == [
        "https://bluebrain.github.io/nexus/contexts/search.json",
        "https://bluebrain.github.io/nexus/contexts/resource.json",
    ]
    assert listed["_total"] == 3 and "_next" not in listed
    assert [r["@id"] for r in listed["_results"]] == [BASE + "a", BASE + "b", BASE + "c"]
    assert "@context" not in listed["_results"][0] and "_origin" not in listed["_results"][0]

    def ids(query):
        return [
            r["@id"][len(BASE) :] for r in client.get(f"/v1/files/org/proj?{query}", **auth(reader)).json()["_results"]
        ]

    assert ids("deprecated=true") == ["c"]
    assert ids("deprecated=false") == ["a", "b"]
    assert ids("rev=2") == ["b", "c"]
    assert ids("q=B.CSV") == ["b"]
    assert ids("type=nxv:File") == ["a", "b", "c"]
    assert ids("type=nxv:Other") == []
    assert ids("createdBy=http://testserver/v1/realms/local/users/writer") == ["a", "b", "c"]
    assert ids("updatedBy=http://testserver/v1/anonymous") == []
    assert ids("from=1&size=1") == ["b"]
    page = client.get("/v1/files/org/proj?size=2&deprecated=false", **auth(reader)).json()
    assert page["_total"] == 2 and "_next" not in page
    page = client.get("/v1/files/org/proj?size=1", **auth(reader)).json()
    seen = [page["_results"][0]["@id"]]
    while "_next" in page:
        assert "from=" not in page["_next"] and "size=1" in page["_next"]
        page = client.get(page["_next"], **auth(reader)).json()
        assert page["_total"] == 3
        seen += [r["@id"] for r in page["_results"]]
    assert seen == [BASE + "a", BASE + "b", BASE + "c"]


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ('filename="na\u00efve.txt"'.encode(), "na\u00efve.txt"),  # raw UTF-8, as nexus-sdk (urllib3 2) sends it
        (b"filename*=utf-8''na%C3%AFve.txt", "na\u00efve.txt"),  # RFC 2231, as urllib3 1 and aiohttp send it
        (b'filename="-._~:?#[ ]@!$&\'()*,;=.txt"', "-._~:?#[ ]@!$&'()*,;=.txt"),
    ],
)
def test_filenames_are_kept_and_encoded_in_the_download(client, writer, reader, disposition, filename):
    body = (
        b'--B\r\nContent-Disposition: form-data; name="file"; ' + disposition + b"\r\n"
        b"Content-Type: text/plain\r\n\r\nhello\r\n--B--\r\n"
    )
    response = client.put(
        "/v1/files/org/proj/named", body, content_type="multipart/form-data; boundary=B", **auth(writer)
    )
    assert (response.status_code, response.json()["_filename"]) == (201, filename)
    response, data = content(client, "/v1/files/org/proj/named", reader)
    assert data == b"hello"
    encoded = base64.b64encode(filename.encode()).decode()
    assert response["Content-Disposition"] == f'attachment; filename="=?UTF-8?B?{encoded}?="'
