"""Request helpers of the files (Nexus Delta) tests: multipart bodies, bearer headers, the state a
refused request must leave unchanged, and the check of an error answer's status and body."""

import hashlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart

from blobs.models import Blob
from files.models import File, FileRevision

BOUNDARY = "BoUnDaRyFiLeS"
NXV = "https://bluebrain.github.io/nexus/vocabulary/"
BASE = "http://testserver/v1/resources/org/proj/_/"


def auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}


def multipart(content=b"file content", name="myfile.txt", content_type="text/plain", field="file"):
    data = encode_multipart(BOUNDARY, {field: SimpleUploadedFile(name, content, content_type=content_type)})
    return data, f"multipart/form-data; boundary={BOUNDARY}"


def upload(client, method, url, token, content=b"file content", name="myfile.txt", content_type="text/plain", **kw):
    data, ctype = multipart(content, name, content_type, kw.pop("field", "file"))
    return getattr(client, method)(url, data, content_type=ctype, **auth(token), **kw)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def snapshot():
    """What a refused request must leave unchanged."""
    return (
        File.objects.count(),
        FileRevision.objects.count(),
        Blob.objects.count(),
        sorted(File.objects.values_list("iri", "rev", "deprecated", "filename", "tags")),
    )


ERROR_CONTEXT = "https://bluebrain.github.io/nexus/contexts/error.json"
MYFILE = NXV + "myfile"


def error(response, status, type_, reason=None, **extra):
    """Asserts a Delta error answer: its status, @context, @type, reason and other keys; its body."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["@context"] == ERROR_CONTEXT
    assert body["@type"] == type_
    if reason is not None:
        assert body["reason"] == reason
    for key, value in extra.items():
        assert body[key] == value
    return body


def json_ld_error(response, status, type_, reason=None):
    """Asserts a Delta error answer in JSON-LD: its status, Content-Type, @context, @type and reason; its body."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/ld+json"), response["Content-Type"]
    body = response.json()
    assert (body["@context"], body["@type"]) == (ERROR_CONTEXT, type_), body
    if reason is not None:
        assert body["reason"] == reason
    return body
