"""The golden scenario's Nexus Delta part: files created, linked, updated, tagged, deprecated and
listed, with the refusals, and the orgs, projects and ACLs routes."""

from tests.support.accounts import DEMO_TOKEN
from tests.support.answers import BOUNDARY, MIB, STRANGER_TOKEN, Scenario


def delta(s: Scenario):
    bearer = {"Authorization": f"Bearer {DEMO_TOKEN}"}
    stranger = {"Authorization": f"Bearer {STRANGER_TOKEN}"}
    f = "/v1/files/myorg/myproj"
    jpg, png = b"\xff\xd8\xff" + b"j" * 667, b"\x89PNG" + b"p" * 2666
    link = b'{"filename": "myfile.png", "path": "relative/path/to/myfile.png", "mediaType": "image/png"}'

    s("delta: create by POST", "POST", f, files={"file": ("myfile.jpg", jpg, "image/jpeg")}, headers=bearer)
    s(
        "delta: create by PUT",
        "PUT",
        f"{f}/nxv:myfile.jpg",
        files={"file": ("myfile.jpg", jpg, "image/jpeg")},
        headers=bearer,
    )
    s(
        "delta: create on the S3 storage",
        "POST",
        f"{f}?storage=nxv:mys3storage",
        files={"file": ("myfile.jpg", jpg, "image/jpeg")},
        headers=bearer,
    )
    if s.s3:
        client, bucket = s.s3
        client.put_object(Bucket=bucket, Key="links/myorg/myproj/relative/path/to/myfile.png", Body=b"\x89PNG linked")
    s(
        "delta: link on the S3 storage",
        "POST",
        f"{f}?storage=nxv:mys3storage",
        body=link,
        content_type="application/json",
        headers=bearer,
    )
    s(
        "delta: link to the default (disk) storage",
        "PUT",
        f"{f}/nxv:myfile.png",
        body=link,
        content_type="application/json",
        headers=bearer,
    )
    s(
        "delta: update rev 1",
        "PUT",
        f"{f}/nxv:myfile.jpg?rev=1",
        files={"file": ("myfile2.png", png, "image/png")},
        headers=bearer,
    )
    s(
        "delta: update at a stale rev",
        "PUT",
        f"{f}/nxv:myfile.jpg?rev=1",
        files={"file": ("myfile2.png", png, "image/png")},
        headers=bearer,
    )
    s(
        "delta: create an existing id",
        "PUT",
        f"{f}/nxv:myfile.jpg",
        files={"file": ("x.jpg", jpg, "image/jpeg")},
        headers=bearer,
    )
    s(
        "delta: tag a missing file",
        "POST",
        f"{f}/nxv:myfile/tags?rev=2",
        body=b'{"tag": "mytag", "rev": 1}',
        content_type="application/json",
        headers=bearer,
    )
    s(
        "delta: create nxv:myfile",
        "PUT",
        f"{f}/nxv:myfile",
        files={"file": ("myfile.jpg", jpg, "image/jpeg")},
        headers=bearer,
    )
    s(
        "delta: update nxv:myfile",
        "PUT",
        f"{f}/nxv:myfile?rev=1",
        files={"file": ("myfile2.png", png, "image/png")},
        headers=bearer,
    )
    s(
        "delta: tag",
        "POST",
        f"{f}/nxv:myfile/tags?rev=2",
        body=b'{"tag": "mytag", "rev": 1}',
        content_type="application/json",
        headers=bearer,
    )
    s(
        "delta: tag without rev",
        "POST",
        f"{f}/nxv:myfile/tags",
        body=b'{"tag": "t2", "rev": 1}',
        content_type="application/json",
        headers=bearer,
    )
    s(
        "delta: tag, bad body",
        "POST",
        f"{f}/nxv:myfile/tags?rev=3",
        body=b'{"rev": 1}',
        content_type="application/json",
        headers=bearer,
    )
    s("delta: tags", "GET", f"{f}/nxv:myfile/tags", headers=bearer)
    s("delta: fetch the bytes", "GET", f"{f}/nxv:myfile.jpg", headers=bearer)
    s("delta: fetch rev 1", "GET", f"{f}/nxv:myfile?rev=1", headers=bearer)
    s("delta: fetch by tag", "GET", f"{f}/nxv:myfile?tag=mytag", headers=bearer)
    s("delta: fetch an unknown tag", "GET", f"{f}/nxv:myfile?tag=nope", headers=bearer)
    s("delta: fetch an invalid tag", "GET", f"{f}/nxv:myfile?tag=%20", headers=bearer)
    s("delta: metadata", "GET", f"{f}/nxv:myfile.jpg", headers={**bearer, "Accept": "application/json"})
    s("delta: metadata as ld+json", "GET", f"{f}/nxv:myfile", headers={**bearer, "Accept": "application/ld+json"})
    s("delta: not acceptable", "GET", f"{f}/nxv:myfile.jpg", headers={**bearer, "Accept": "text/csv"})
    s("delta: deprecate (the seed's /tags path)", "DELETE", f"{f}/nxv:myfile/tags?rev=3", headers=bearer)
    s(
        "delta: update a deprecated file",
        "PUT",
        f"{f}/nxv:myfile?rev=4",
        files={"file": ("a.png", png, "image/png")},
        headers=bearer,
    )
    s("delta: delete a tag", "DELETE", f"{f}/nxv:myfile/tags/mytag?rev=4", headers=bearer)
    s("delta: undeprecate", "PUT", f"{f}/nxv:myfile/undeprecate?rev=5", headers=bearer)
    s("delta: list", "GET", f, headers=bearer)
    s("delta: list, size 1", "GET", f"{f}?size=1", headers=bearer)
    s("delta: list, filtered", "GET", f"{f}?from=0&size=20&deprecated=false&q=myfile", headers=bearer)
    s("delta: list, bad size", "GET", f"{f}?size=abc", headers=bearer)
    s("delta: list without a token", "GET", f)
    s("delta: list with a bad token", "GET", f, headers={"Authorization": "Bearer nope"})
    s("delta: list by a stranger", "GET", f, headers=stranger)
    s("delta: write by a stranger", "POST", f, files={"file": ("a.jpg", jpg, "image/jpeg")}, headers=stranger)
    s("delta: unknown file", "GET", f"{f}/nxv:nothing", headers=bearer)
    s("delta: unknown project", "GET", "/v1/files/myorg/nope", headers=bearer)
    s(
        "delta: unknown storage",
        "POST",
        f"{f}?storage=nxv:nope",
        files={"file": ("a.jpg", jpg, "image/jpeg")},
        headers=bearer,
    )
    s("delta: no file part", "POST", f, files={"other": ("a.jpg", jpg, "image/jpeg")}, headers=bearer)
    s("delta: PATCH not allowed", "PATCH", f"{f}/nxv:myfile", headers=bearer)
    s(
        "delta: oversize Content-Length",
        "POST",
        f,
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=bearer,
        CONTENT_LENGTH=str(600 * MIB),
    )
    s("delta: orgs", "GET", "/v1/orgs", headers=bearer)
    s("delta: org", "GET", "/v1/orgs/myorg", headers=bearer)
    s("delta: projects", "GET", "/v1/projects/myorg", headers=bearer)
    s("delta: project", "GET", "/v1/projects/myorg/myproj", headers=bearer)
    s("delta: project by a stranger", "GET", "/v1/projects/myorg/myproj", headers=stranger)
    s("delta: acls with ancestors", "GET", "/v1/acls/myorg/myproj?ancestors=true", headers=bearer)
    s("delta: acls of a stranger", "GET", "/v1/acls/myorg", headers=stranger)
    s("delta: unknown route", "GET", "/v1/nothing/here", headers=bearer)
