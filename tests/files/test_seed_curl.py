"""The seed's curl examples and the README's client workflow against the live server and the demo world
(`seed_demo`), with the demo token as Bearer: the seed's keys, the reference statuses."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from files.models import File, Org, Project
from tests.support.accounts import DEMO_TOKEN
from tests.support.stack import curl

TOKEN = DEMO_TOKEN
NXV = "https://bluebrain.github.io/nexus/vocabulary/"
SEED_KEYS = {
    "@context", "@id", "@type", "_bytes", "_digest", "_filename", "_mediaType", "_incoming", "_outgoing", "_self",
    "_constrainedBy", "_project", "_rev", "_deprecated", "_createdAt", "_createdBy", "_updatedAt", "_updatedBy",
}  # fmt: skip
# What the reference server adds to the seed's examples (v1.9.1 metadata response).
REFERENCE_EXTRA = {"_storage", "_origin", "_uuid"}


@pytest.fixture
def files_dir(tmp_path):
    (tmp_path / "myfile.jpg").write_bytes(b"\xff\xd8\xff" + b"j" * 667)  # 670 bytes, as in the seed
    (tmp_path / "myfile2.png").write_bytes(b"\x89PNG" + b"p" * 2666)  # 2670 bytes
    return tmp_path


def run(*args) -> tuple[int, dict]:
    code, body = curl("-H", f"Authorization: Bearer {TOKEN}", *args)
    return code, json.loads(body) if body else {}


def assert_metadata(body, *, extra=frozenset()):
    assert set(body) == SEED_KEYS | REFERENCE_EXTRA | set(extra), set(body) ^ (SEED_KEYS | REFERENCE_EXTRA)


@pytest.mark.django_db(transaction=True)
def test_seed_examples_on_disk(live_server, demo, files_dir):
    """The seed's commands, exactly and in the seed's order, against a freshly seeded server on the
    default (local) blob storage; then the README's steps that create `nxv:myfile` for the seed's tag
    and deprecate examples."""
    url = f"{live_server.url}/v1/files/myorg/myproj"
    assert demo["files"] == {
        "org": "myorg", "project": "myproj", "storages": [NXV + "diskStorageDefault", NXV + "mys3storage"]
    }  # fmt: skip
    assert File.objects.count() == 0

    # Create a file using POST
    code, body = run("-XPOST", "-F", f"file=@{files_dir}/myfile.jpg;type=image/jpeg", url)
    assert code == 201
    assert_metadata(body)
    assert (body["_bytes"], body["_filename"], body["_mediaType"], body["_rev"]) == (670, "myfile.jpg", "image/jpeg", 1)
    assert body["_createdBy"] == f"{live_server.url}/v1/realms/local/users/supplier"

    # Create a file using PUT
    code, body = run("-XPUT", "-F", f"file=@{files_dir}/myfile.jpg;type=image/jpeg", f"{url}/nxv:myfile.jpg")
    assert code == 201
    assert_metadata(body)
    assert body["@id"] == NXV + "myfile.jpg"

    # Create a file (specific storage): the seeded S3 storage takes uploads on local blob storage too
    code, body = run("-XPOST", "-F", f"file=@{files_dir}/myfile.jpg;type=image/jpeg", f"{url}?storage=nxv:mys3storage")
    assert code == 201, body
    assert_metadata(body, extra={"_location"})
    assert body["_storage"] == {"@id": NXV + "mys3storage", "@type": "S3Storage", "_rev": 1}

    # Link an existing file using POST, then using PUT: refused without S3 blob storage
    link = (
        '{\n    "filename": "myfile.png",\n    "path": "relative/path/to/myfile.png",\n    "mediaType": "image/png"\n}'
    )
    for method, target in (("-XPOST", url), ("-XPUT", f"{url}/nxv:myfile.png")):
        code, body = run(method, f"{target}?storage=nxv:mys3storage", "-d", link)
        assert (code, body["@type"], body["details"]) == (400, "LinkRejection", "The server's blob storage is not S3.")

    # Update a file
    code, body = run("-XPUT", "-F", f"file=@{files_dir}/myfile2.png;type=image/png", f"{url}/nxv:myfile.jpg?rev=1")
    assert code == 200
    assert_metadata(body)
    assert (body["_bytes"], body["_filename"], body["_mediaType"], body["_rev"]) == (
        2670,
        "myfile2.png",
        "image/png",
        2,
    )

    # Tag a file, deprecate a file: nxv:myfile does not exist yet (the README says so)
    tag = ("-XPOST", "-H", "Content-Type: application/json", f"{url}/nxv:myfile/tags?rev=2", "-d",
           '{\n  "tag": "mytag",\n  "rev": 1\n}')  # fmt: skip
    deprecate = ("-XDELETE", f"{url}/nxv:myfile/tags?rev=3")
    for command in (tag, deprecate):
        code, body = run(*command)
        assert (code, body["@type"], body["reason"]) == (
            404, "ResourceNotFound", f"File '{NXV}myfile' not found in project 'myorg/myproj'."
        )  # fmt: skip

    # Fetch a file: binary, then metadata
    code, content = curl("-H", f"Authorization: Bearer {TOKEN}", f"{url}/nxv:myfile.jpg")
    assert (code, content) == (200, (files_dir / "myfile2.png").read_bytes())
    code, body = run("-H", "Accept: application/json", f"{url}/nxv:myfile.jpg")
    assert code == 200
    assert_metadata(body)
    assert body["_storage"] == {"@id": NXV + "diskStorageDefault", "@type": "DiskStorage", "_rev": 1}

    # List files
    code, body = run(url)
    assert code == 200
    assert set(body) == {"@context", "_total", "_results"}
    assert body["_total"] == 3
    for entry in body["_results"]:
        assert set(entry) - {"_location"} == SEED_KEYS - {"@context"} | {"_storage", "_uuid"}
    code, body = run(f"{url}?size=1")
    assert set(body) == {"@context", "_total", "_results", "_next"}
    assert File.objects.count() == 3

    # The README's steps: create nxv:myfile and update it once, then the seed's tag and deprecate work.
    code, body = run("-XPUT", "-F", f"file=@{files_dir}/myfile.jpg;type=image/jpeg", f"{url}/nxv:myfile")
    assert (code, body["_rev"]) == (201, 1)
    code, body = run("-XPUT", "-F", f"file=@{files_dir}/myfile2.png;type=image/png", f"{url}/nxv:myfile?rev=1")
    assert (code, body["_rev"]) == (200, 2)
    code, body = run(*tag)
    assert code == 201
    assert_metadata(body)
    assert (body["_rev"], body["_deprecated"]) == (3, False)
    code, body = run(*deprecate)
    assert code == 200
    assert_metadata(body)
    assert (body["_rev"], body["_deprecated"], body["_bytes"]) == (4, True, 2670)
    code, body = run(f"{url}/nxv:myfile/tags")
    assert (code, body["tags"]) == (200, [{"rev": 1, "tag": "mytag"}])
    code, body = run("-XDELETE", f"{url}/nxv:myfile/tags/mytag?rev=4")
    assert (code, body["_rev"]) == (200, 5)
    code, body = run("-XPUT", f"{url}/nxv:myfile/undeprecate?rev=5")
    assert (code, body["_rev"], body["_deprecated"]) == (200, 6, False)
    assert File.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_seed_examples_on_s3(live_server, s3_storage, demo, files_dir):
    client, bucket = s3_storage
    url = f"{live_server.url}/v1/files/myorg/myproj"
    assert demo["files"]["storages"] == [NXV + "diskStorageDefault", NXV + "mys3storage"]

    # Create a file (specific storage)
    code, body = run("-XPOST", "-F", f"file=@{files_dir}/myfile.jpg;type=image/jpeg", f"{url}?storage=nxv:mys3storage")
    assert code == 201
    assert_metadata(body, extra={"_location"})
    assert body["_storage"] == {"@id": NXV + "mys3storage", "@type": "S3Storage", "_rev": 1}
    created = File.objects.get()
    assert body["_location"] == f"file:///{created.storage.uuid}/{created.uuid}/1"  # no bucket key

    # Link an existing file using POST, then using PUT: the path is relative to the project's link area
    client.put_object(Bucket=bucket, Key="links/myorg/myproj/relative/path/to/myfile.png", Body=b"\x89PNG linked")
    link = (
        '{\n    "filename": "myfile.png",\n    "path": "relative/path/to/myfile.png",\n    "mediaType": "image/png"\n}'
    )
    code, body = run("-XPOST", f"{url}?storage=nxv:mys3storage", "-d", link)
    assert code == 201
    assert_metadata(body, extra={"_location"})
    linked = File.objects.get(iri=body["@id"])
    assert body["_location"] == f"file:///{linked.storage.uuid}/{linked.uuid}/1"
    assert (body["_filename"], body["_mediaType"], body["_bytes"], body["_origin"]) == (
        "myfile.png", "image/png", 11, "Storage"
    )  # fmt: skip
    code, body = run("-XPUT", f"{url}/nxv:myfile.png?storage=nxv:mys3storage", "-d", link)
    assert (code, body["@id"], body["_rev"]) == (201, NXV + "myfile.png", 1)
    # The linked bytes are the revision's own: changing the object later does not change them.
    client.put_object(Bucket=bucket, Key="links/myorg/myproj/relative/path/to/myfile.png", Body=b"changed")
    code, content = curl("-H", f"Authorization: Bearer {TOKEN}", f"{url}/nxv:myfile.png")
    assert (code, content) == (200, b"\x89PNG linked")


def readme_block(marker: str) -> str:
    """The README's ```sh block that contains `marker`, as written."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.S)
    (block,) = [b for b in blocks if marker in b]
    return block


@pytest.mark.django_db(transaction=True)
def test_the_readme_client_workflow_runs_as_written(live_server, demo, files_dir):
    """The README's org -> project -> files block, as written, with the demo token: each line's status."""
    script = readme_block('"$D/orgs/mylab"')
    script = script.replace("http://127.0.0.1:8000", live_server.url)
    # Each curl prints only its status, one a line.
    shell = 'curl() { command curl -s -o /dev/null -w "%{http_code}\\n" "$@"; }\n' + script
    result = subprocess.run(
        ["bash", "-c", shell],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "TOKEN": TOKEN},
        cwd=files_dir,  # where the files the block names are, as the seed's block before it makes them
    )
    assert result.stdout.decode().split() == [
        "201",
        "201",
        "201",
        "201",
        "200",
        "200",
        "200",
        "200",
        "200",
        "200",
        "200",
    ]
    org, project = Org.objects.get(label="mylab"), Project.objects.get(label="data")
    assert (org.rev, org.deprecated, org.description, org.created_by) == (
        3,
        True,
        "Our lab",
        "realms/local/users/supplier",
    )
    assert (project.rev, project.deprecated, project.api_mappings) == (2, True, {"lab": "https://lab.example.org/"})
    assert (
        sorted(File.objects.filter(project=project).values_list("iri", flat=True))[-1]
        == "https://lab.example.org/myfile"
    )
    assert File.objects.filter(project=project).count() == 2
