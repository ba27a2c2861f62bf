"""The real client, nexus-sdk 0.3.2, unchanged against the live server: create, create with id,
update, tag, fetch by rev and by tag (its two GETs each), tags, list and deprecate; and its own
workflow around the files: the org and project it creates, updates and deprecates."""

import hashlib

import nexussdk
import pytest
import requests
from nexussdk import files, organizations, projects

from accounts.models import User
from accounts.services import token_create
from files.models import File, IdentityKind, Org, Project
from files.services import acl_grant
from tests.support.files import NXV


@pytest.fixture
def sdk(live_server, writer):
    nexussdk.config.set_environment(f"{live_server.url}/v1")
    nexussdk.config.set_token(writer)
    yield live_server.url
    nexussdk.config.remove_token()


def write(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["local", "s3"])
def test_nexus_sdk_round_trip(sdk, tmp_path, request, kind):
    if kind == "s3":
        request.getfixturevalue("s3_storage")
    base = f"{sdk}/v1/resources/org/proj/_/"
    hello = write(tmp_path, "hello.txt", b"hello world\n")

    # create (POST, generated id)
    created = files.create("org", "proj", hello)
    assert created["@id"].startswith(base)
    assert (created["_rev"], created["_bytes"], created["_filename"]) == (1, 12, "hello.txt")
    assert created["_digest"] == {"_algorithm": "SHA-256", "_value": hashlib.sha256(b"hello world\n").hexdigest()}
    assert created["_mediaType"] == "text/plain"

    # create with an id: a plain one, and a full IRI (the SDK quote_plus-encodes it: %2F, %3A, %2B)
    mine = files.create("org", "proj", hello, file_id="myid")
    assert (mine["@id"], mine["_rev"]) == (base + "myid", 1)
    full = files.create("org", "proj", hello, file_id=base + "my+id", storage_id="nxv:diskStorageDefault")
    assert full["@id"] == base + "my+id"
    assert full["_storage"] == {"@id": NXV + "diskStorageDefault", "@type": "DiskStorage", "_rev": 1}

    # update by id, then through _self (update_ uses it verbatim)
    v2 = write(tmp_path, "v2.csv", b"a,b\n1,2\n")
    updated = files.update("org", "proj", v2, "myid", rev=1, content_type="text/csv")
    assert (updated["_rev"], updated["_bytes"], updated["_filename"], updated["_mediaType"]) == (
        2,
        8,
        "v2.csv",
        "text/csv",
    )
    v3 = write(tmp_path, "v3.bin", bytes(range(256)))
    updated = files.update_(updated, v3)
    assert (updated["_rev"], updated["_bytes"], updated["_filename"]) == (3, 256, "v2.csv")

    # tag revision 1, by id and through _self
    tagged = files.tag("org", "proj", "myid", rev_to_tag=1, tag_value="v1", rev=3)
    assert tagged["_rev"] == 4
    tagged = files.tag_(tagged, "v2", rev_to_tag=2)
    assert tagged["_rev"] == 5
    assert files.tags(tagged)["tags"] == [{"rev": 1, "tag": "v1"}, {"rev": 2, "tag": "v2"}]

    # fetch: metadata (first GET) and bytes (second GET) by rev, by tag and latest
    out = tmp_path / "out"
    out.mkdir()
    meta = files.fetch("org", "proj", "myid", rev=1, out_filepath=str(out / "rev1"))
    assert (meta["_rev"], meta["_filename"], meta["_bytes"]) == (1, "hello.txt", 12)
    assert (out / "rev1").read_bytes() == b"hello world\n"
    meta = files.fetch("org", "proj", "myid", tag="v2", out_filepath=str(out))
    assert (meta["_rev"], meta["_filename"]) == (2, "v2.csv")
    assert (out / "v2.csv").read_bytes() == b"a,b\n1,2\n"
    meta = files.fetch("org", "proj", base + "myid", out_filepath=str(out / "latest"))
    assert meta["_rev"] == 5
    assert (out / "latest").read_bytes() == bytes(range(256))
    meta = files.fetch("org", "proj", base + "my+id", out_filepath=str(out / "plus"))
    assert (meta["@id"], (out / "plus").read_bytes()) == (base + "my+id", b"hello world\n")

    # list: all, then the SDK's deprecated=True (Python's bool repr)
    listed = files.list("org", "proj")
    assert listed["_total"] == 3
    assert sorted(r["@id"] for r in listed["_results"]) == sorted([created["@id"], base + "myid", base + "my+id"])

    # deprecate by id, and through _self
    gone = files.deprecate("org", "proj", "myid", rev=5)
    assert (gone["_rev"], gone["_deprecated"]) == (6, True)
    gone = files.deprecate_(full)
    assert (gone["_rev"], gone["_deprecated"]) == (2, True)
    deprecated = files.list("org", "proj", deprecated=True)["_results"]
    assert sorted(r["@id"] for r in deprecated) == sorted([base + "myid", base + "my+id"])
    assert [r["@id"] for r in files.list("org", "proj", deprecated=False)["_results"]] == [created["@id"]]

    # A refused call raises in the SDK: a second deprecation is 400 FileIsDeprecated.
    with pytest.raises(requests.HTTPError) as refused:
        files.deprecate("org", "proj", "myid", rev=6)
    assert refused.value.response.status_code == 400
    assert refused.value.response.json()["@type"] == "FileIsDeprecated"
    assert File.objects.get(iri=base + "myid").rev == 6


@pytest.fixture
def creator(live_server, db):
    """A user who may only create orgs (as the demo supplier): everything else comes from owning them."""
    user = User.objects.create(username="creator")
    acl_grant(path="/", permissions=["orgs/create"], identity=IdentityKind.USER, user=user)
    nexussdk.config.set_environment(f"{live_server.url}/v1")
    nexussdk.config.set_token(token_create(user=user, name="t").raw)
    yield live_server.url
    nexussdk.config.remove_token()


@pytest.mark.django_db(transaction=True)
def test_nexus_sdk_creates_the_org_and_project_it_uploads_into(creator, tmp_path):
    base = creator
    author = f"{base}/v1/realms/local/users/creator"

    # organizations: create, fetch, update (the SDK sends the fetched body back), fetch a revision
    created = organizations.create("sdkorg", "An org")
    assert (created["@id"], created["_rev"], created["_deprecated"], created["_createdBy"]) == (
        f"{base}/v1/orgs/sdkorg",
        1,
        False,
        author,
    )
    fetched = organizations.fetch("sdkorg")
    assert (fetched["_label"], fetched["description"], fetched["_uuid"]) == ("sdkorg", "An org", created["_uuid"])
    fetched["description"] = "Our lab"
    updated = organizations.update(fetched)
    assert (updated["_rev"], updated["_updatedBy"]) == (2, author)
    assert organizations.fetch("sdkorg")["description"] == "Our lab"
    assert organizations.fetch("sdkorg", rev=1)["description"] == "An org"
    with pytest.raises(requests.HTTPError) as stale:
        organizations.update(fetched, rev=1)
    assert stale.value.response.status_code == 409
    assert stale.value.response.json()["@type"] == "IncorrectRev"
    with pytest.raises(requests.HTTPError) as taken:
        organizations.create("sdkorg")
    assert taken.value.response.json()["@type"] == "OrganizationAlreadyExists"

    # projects: create with its settings, fetch, update, fetch a revision
    mappings = [{"prefix": "lab", "namespace": "https://lab.example.org/ids/"}]
    project = projects.create(
        "sdkorg", "sdkproj", description="Data", api_mappings=mappings, vocab="https://schema.org/", base=None
    )
    assert (project["@id"], project["_rev"], project["_organizationLabel"]) == (
        f"{base}/v1/projects/sdkorg/sdkproj",
        1,
        "sdkorg",
    )
    fetched = projects.fetch("sdkorg", "sdkproj")
    assert (fetched["apiMappings"], fetched["vocab"], fetched["base"]) == (
        mappings,
        "https://schema.org/",
        f"{base}/v1/resources/sdkorg/sdkproj/_/",
    )
    fetched["description"] = "Measurements"
    updated = projects.update(fetched)
    assert updated["_rev"] == 2
    assert projects.fetch("sdkorg", "sdkproj")["description"] == "Measurements"
    assert projects.fetch("sdkorg", "sdkproj", rev=1)["description"] == "Data"

    # files into the new project: its default storage, an id from its mappings
    data = write(tmp_path, "data.csv", b"t,v\n1,2\n")
    uploaded = files.create("sdkorg", "sdkproj", data, file_id="lab:first", content_type="text/csv")
    assert (uploaded["@id"], uploaded["_bytes"], uploaded["_storage"]["@id"]) == (
        "https://lab.example.org/ids/first",
        8,
        NXV + "diskStorageDefault",
    )
    out = tmp_path / "back.csv"
    files.fetch("sdkorg", "sdkproj", "lab:first", out_filepath=str(out))
    assert out.read_bytes() == b"t,v\n1,2\n"

    # deprecate the project (through its payload), then the org: no more files
    gone = projects.deprecate(updated)
    assert (gone["_rev"], gone["_deprecated"]) == (3, True)
    gone = organizations.deprecate("sdkorg", rev=2)
    assert (gone["_rev"], gone["_deprecated"]) == (3, True)
    with pytest.raises(requests.HTTPError) as refused:
        files.create("sdkorg", "sdkproj", data)
    assert (refused.value.response.status_code, refused.value.response.json()["@type"]) == (400, "ProjectIsDeprecated")
    assert File.objects.filter(project__label="sdkproj").count() == 1
    assert (Org.objects.get(label="sdkorg").rev, Project.objects.get(label="sdkproj").rev) == (3, 3)
