"""Fixtures of the files tests: org/project with storages, writer and reader tokens, request helpers."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart

from accounts.models import User
from accounts.services import token_create
from blobs.models import Blob
from files.models import File, FileRevision, IdentityKind, StorageType
from files.services import acl_grant, org_create, project_create, storage_create

BOUNDARY = "BoUnDaRyFiLeS"
NXV = "https://bluebrain.github.io/nexus/vocabulary/"
BASE = "http://testserver/v1/resources/org/proj/_/"


@pytest.fixture
def project(db):
    org = org_create(label="org")
    return project_create(org=org, label="proj")


@pytest.fixture
def writer(project):
    user = User.objects.create(username="writer")
    acl_grant(path="/org/proj", permissions=["files/write", "resources/read"], identity=IdentityKind.USER, user=user)
    return token_create(user=user, name="t").raw


@pytest.fixture
def reader(project):
    user = User.objects.create(username="reader")
    acl_grant(path="/org", permissions=["resources/read"], identity=IdentityKind.USER, user=user)
    return token_create(user=user, name="t").raw


@pytest.fixture
def s3_linkable(project, s3_storage):
    """An S3 storage `nxv:mys3storage` on the S3 blob bucket (moto), and that bucket."""
    storage_create(project=project, iri=NXV + "mys3storage", type=StorageType.S3)
    return s3_storage


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
