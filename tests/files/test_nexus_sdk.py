"""The real client, nexus-sdk 0.3.2, unchanged against the live server: create, create with id,
update, tag, fetch by rev and by tag (its two GETs each), tags, list and deprecate."""

import hashlib

import nexussdk
import pytest
import requests
from nexussdk import files

from files.models import File
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
