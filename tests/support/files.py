"""Request helpers of the files (Nexus Delta) tests: multipart bodies, bearer headers, and the
state a refused request must leave unchanged."""

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
