"""Fixtures of the files tests: org/project with storages, writer and reader tokens, org creators (helpers:
support/files.py, files/registry.py)."""

import pytest

from accounts.models import User
from accounts.services import token_create
from files.models import IdentityKind, StorageType
from files.services import acl_grant, org_create, project_create, storage_create
from tests.support.files import NXV, auth, snapshot, upload


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


@pytest.fixture
def alice(db):
    """Auth headers of a user who may create orgs (on `/`), nothing else yet."""
    user = User.objects.create(username="alice")
    acl_grant(path="/", permissions=["orgs/create"], identity=IdentityKind.USER, user=user)
    return auth(token_create(user=user, name="t").raw)


@pytest.fixture
def nobody(db):
    return auth(token_create(user=User.objects.create(username="nobody"), name="t").raw)


@pytest.fixture
def neworg(client, alice):
    """Org `neworg`, created (and so owned) by alice."""
    response = client.put("/v1/orgs/neworg", '{"description": "mine"}', content_type="application/json", **alice)
    assert response.status_code == 201
