"""Golden answers: one fixed scenario of requests through every dialect, compared byte for byte with
the answers recorded in tests/data/api_answers/ (`NEXUS_RECORD_ANSWERS=1` records them again)."""

import base64
import datetime
import difflib
import hashlib
import io
import json
import os
import re
import zipfile
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart

from accounts.models import User
from accounts.services import token_create
from tests.conftest import DEMO_TOKEN

GOLDEN = Path(__file__).resolve().parent / "data" / "api_answers"
RECORD = os.environ.get("NEXUS_RECORD_ANSWERS") == "1"
BOUNDARY = "GoLdEnBoUnDaRy"
MIB = 1024 * 1024
PID = "doi:10.5072/FK27U7YBV"
# A user with no organization, grant or ACL: the 403s and the hidden 404s. Its token is fixed so the
# scenario is; it is masked in the golden file all the same.
STRANGER_TOKEN = "5e1f4a0c-0000-4000-8000-000000000403"

# Headers that change from run to run whatever the code does; every other header is compared.
VOLATILE_HEADERS = {"date", "server", "x-request-id", "expires", "last-modified"}

# The narrow substitutions, applied to bodies, header values and paths in the order of
# Normaliser.__call__. Each names what it hides; what none matches is compared as it is.

# A date, with its time when it has one; only those near today are the server's clock (see _clock).
TIMESTAMP = re.compile(rb"(?<!\d)(\d{4})-(\d\d)-(\d\d)(?:[T ]\d\d:\d\d:\d\d(?:\.\d{1,6})?)?(?!\d)")
# Not \b: an id inside a %-encoded IRI follows `%2F`.
UUID = re.compile(rb"(?<![0-9a-f])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9a-f])")
# A Dataverse multipart ticket's upload id (secrets.token_hex(16)); MD5s elsewhere stay compared.
UPLOAD_ID = re.compile(rb"(uploadid=)([0-9a-f]{32})\b")
# The server's own signed routes, on this host (an S3 key may also begin with blobs/direct/).
SIGNED_DOWNLOAD = re.compile(rb"(^|testserver)/blobs/download/[^/\"\s]+/")
SIGNED_DIRECT = re.compile(rb"(^|testserver)/blobs/direct/[^/\"\s?&]+")
# Dataverse's storage identifiers: a hex time and 12 random hex digits.
STORAGE_ID = re.compile(rb"(file://|s3://[^:\"\s]+:|blobs/direct/[\w.-]+/)([0-9a-f]{6,16}-[0-9a-f]{12})\b")
# The multipart upload id S3 (moto) gives.
S3_UPLOAD_ID = re.compile(rb"(uploadId=)([^&\"\s]+)")
# Delta's `_next` carries the creation time in epoch milliseconds (`after=[<ms>,...`, maybe %-encoded).
EPOCH_MS = re.compile(rb"(after=(?:\[|%5B))\d{12,14}")
# A blob's storage key, blobs/{day}/{uuid hex}, as S3's pre-signed links name it.
BLOB_KEY = re.compile(rb"blobs/\d{4}/\d\d/\d\d/([0-9a-f]{32})")
# The signing of S3's pre-signed links (moto's, on the S3 stack): the date and the signature.
AMZ_DATE = re.compile(rb"(X-Amz-Date=|X-Amz-Credential=[^%&\"]+%2F)(\d{8}(?:T\d{6}Z)?)")
AMZ_SIGNATURE = re.compile(rb"(X-Amz-Signature=)[0-9a-f]{64}")


class Normaliser:
    """Replaces the volatile parts of an answer; uuids, random hex ids and storage identifiers are
    numbered in the order first seen over the whole scenario, so that which answers name the same
    one stays compared."""

    def __init__(self, tokens: dict[str, str]):
        self.tokens = tokens
        self.seen: dict[tuple[str, bytes], int] = {}

    def _numbered(self, kind: str, value: bytes) -> bytes:
        number = self.seen.setdefault((kind, value), sum(1 for k, _ in self.seen if k == kind) + 1)
        return f"<{kind}:{number}>".encode()

    def __call__(self, data: bytes) -> bytes:
        for raw, name in self.tokens.items():
            data = data.replace(raw.encode(), f"<{name}>".encode())
        data = SIGNED_DOWNLOAD.sub(rb"\1/blobs/download/<signed>/", data)
        data = SIGNED_DIRECT.sub(rb"\1/blobs/direct/<signed>", data)
        data = STORAGE_ID.sub(lambda m: m.group(1) + self._numbered("sid", m.group(2)), data)
        data = S3_UPLOAD_ID.sub(lambda m: m.group(1) + self._numbered("s3-upload", m.group(2)), data)
        data = UUID.sub(lambda m: self._numbered("uuid", m.group(0)), data)
        data = UPLOAD_ID.sub(lambda m: m.group(1) + self._numbered("uploadid", m.group(2)), data)
        data = EPOCH_MS.sub(rb"\1<epoch-ms>", data)
        data = BLOB_KEY.sub(lambda m: b"blobs/<day>/" + self._numbered("key", m.group(1)), data)
        data = AMZ_DATE.sub(lambda m: m.group(1) + re.sub(rb"\d", b"0", m.group(2)), data)
        data = AMZ_SIGNATURE.sub(rb"\1<signature>", data)
        return TIMESTAMP.sub(_clock, data)


def _clock(match: re.Match) -> bytes:
    """A date within two days of today is the server's clock: its digits become zeros, so that the
    format (precision, separator, offset) stays compared. Other dates (the scenario's data) stay."""
    try:
        day = datetime.date(*(int(g) for g in match.groups()))
    except ValueError:
        return match.group(0)
    if abs((day - datetime.datetime.now(datetime.UTC).date()).days) > 2:
        return match.group(0)
    return re.sub(rb"\d", b"0", match.group(0))


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def multipart(**fields) -> tuple[bytes, str]:
    """A multipart body; a (name, bytes[, type]) tuple is a file part."""
    parts = {}
    for key, value in fields.items():
        if isinstance(value, tuple):
            name, content, *ctype = value
            parts[key] = SimpleUploadedFile(name, content, content_type=ctype[0] if ctype else "text/plain")
        else:
            parts[key] = value
    return encode_multipart(BOUNDARY, parts), f"multipart/form-data; boundary={BOUNDARY}"


class Scenario:
    """Sends the requests in order through Django's test client and keeps each normalised answer."""

    def __init__(self, normalise: Normaliser, s3=None):
        self.client = Client(raise_request_exception=False)
        self.s3 = s3  # (boto3 client, bucket) when the blob storage is S3
        self.normalise = normalise
        self.answers: list[dict] = []

    def __call__(self, name, method, path, *, body=b"", content_type=None, files=None, headers=None, **meta):
        if files is not None:
            body, content_type = multipart(**files)
        headers = headers or {}
        response = self.client.generic(
            method, path, body, content_type=content_type or "application/octet-stream", headers=headers, **meta
        )
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        answer_headers = {}
        for key, value in sorted(response.items(), key=lambda kv: kv[0].lower()):
            if key.lower() in VOLATILE_HEADERS:
                continue
            if key.lower() == "content-length" and value == str(len(raw)):
                value = "<length of the body>"  # the body's own length, which normalising may change
            answer_headers[key] = self._text(value.encode())
        self.answers.append(
            {
                "n": len(self.answers) + 1,
                "name": name,
                "request": f"{method} {self._text(path.encode())}",
                "request_headers": {k: self._text(v.encode()) for k, v in headers.items()},
                **({"request_meta": {k: self._text(str(v).encode()) for k, v in meta.items()}} if meta else {}),
                "status": response.status_code,
                "streaming": response.streaming,
                "headers": answer_headers,
                "body": self._body(raw),
            }
        )
        return response, raw

    def json(self, *args, **kwargs):
        _, raw = self(*args, **kwargs)
        return json.loads(raw)

    def _text(self, data: bytes) -> str:
        return self.normalise(data).decode()

    def _body(self, raw: bytes):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:  # a file's bytes: nothing of them is volatile, so all are compared
            return {"base64": base64.b64encode(raw).decode(), "sha256": hashlib.sha256(raw).hexdigest()}
        return self._text(raw)


def nexus(s: Scenario, demo: dict):
    tk = f"token={DEMO_TOKEN}"
    dataset, measurements = demo["data_sources"]["Dataset export"], demo["data_sources"]["Measurements export"]
    tasks = demo["sync_tasks"]
    csv = b"id,name,wkt\n1,Well A,POINT (5.1 52.1)\n2,Well B,POINT (5.2 52.2)\n"
    series = b"feature,parameter,timestamp,value\nA,waterlevel,2021-01-01T00:00:00Z,1.5\n"
    geojson = b'{"type": "FeatureCollection", "features": []}'

    s("health", "GET", "/healthz")
    s("readiness", "GET", "/readyz")
    s("uploads: list, none yet", "GET", f"/api/v1/uploads/?{tk}")
    s("uploads: list without a token", "GET", "/api/v1/uploads/")
    s("uploads: list with a bad token", "GET", "/api/v1/uploads/?token=nope")
    s("uploads: list, Bearer bad token", "GET", "/api/v1/uploads/", headers={"Authorization": "Bearer nope"})
    created = s.json(
        "uploads: create (CSV, spatial)",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("dataset.csv", csv, "text/csv")},
    )
    if created["upload_file"].startswith("http://testserver/"):  # S3's links are S3's answers, not ours
        s(
            "uploads: the created upload's download link",
            "GET",
            created["upload_file"].removeprefix("http://testserver"),
        )
    s(
        "uploads: create (CSV, timeseries), api-token parameter",
        "POST",
        f"/api/v1/uploads/?api-token={DEMO_TOKEN}",
        files={"datasource": str(measurements), "upload_file": ("0800 new measurements.csv", series)},
    )
    s(
        "uploads: create, a zip of CSVs",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("batch.zip", _zip({"a.csv": csv, "b.csv": csv}))},
    )
    s("uploads: list, latest per source", "GET", f"/api/v1/uploads/?{tk}")
    s("uploads: detail with report", "GET", f"/api/v1/uploads/{created['id']}/?{tk}")
    s("uploads: detail, unknown", "GET", f"/api/v1/uploads/999999/?{tk}")
    s("uploads: detail, another's", "GET", f"/api/v1/uploads/{created['id']}/?token={STRANGER_TOKEN}")
    s(
        "uploads: wrong format (GeoJSON to a CSV source)",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("parcels.geojson", geojson, "application/geo+json")},
    )
    s(
        "uploads: a zip of another format",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("p.zip", _zip({"p.geojson": geojson}))},
    )
    s(
        "uploads: not a zip",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": str(dataset), "upload_file": ("data.zip", b"PK but not really")},
    )
    s("uploads: no datasource", "POST", f"/api/v1/uploads/?{tk}", files={"upload_file": ("d.csv", csv)})
    s("uploads: no file", "POST", f"/api/v1/uploads/?{tk}", files={"datasource": str(dataset)})
    s(
        "uploads: datasource not a number",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": "abc", "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: unknown datasource",
        "POST",
        f"/api/v1/uploads/?{tk}",
        files={"datasource": "999999", "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: no right to upload (stranger)",
        "POST",
        f"/api/v1/uploads/?token={STRANGER_TOKEN}",
        files={"datasource": str(dataset), "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: without a token",
        "POST",
        "/api/v1/uploads/",
        files={"datasource": str(dataset), "upload_file": ("d.csv", csv)},
    )
    s(
        "uploads: oversize Content-Length",
        "POST",
        f"/api/v1/uploads/?{tk}",
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        CONTENT_LENGTH=str(600 * MIB),
    )
    s("uploads: PUT not allowed", "PUT", f"/api/v1/uploads/?{tk}")
    s("uploads: DELETE a detail not allowed", "DELETE", f"/api/v1/uploads/{created['id']}/?{tk}")
    s(
        "sync task upload action",
        "POST",
        f"/api/v1/sync_tasks_new/{measurements_task(demo)}/upload/?{tk}",
        files={"upload_file": ("m.csv", series)},
    )
    s(
        "sync task upload: a calculation task",
        "POST",
        f"/api/v1/sync_tasks_new/{tasks['calculation_task']}/upload/?{tk}",
        files={"upload_file": ("m.csv", series)},
    )
    s(
        "sync task upload: not uploadable (KNMI)",
        "POST",
        f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/upload/?{tk}",
        files={"upload_file": ("k.txt", b"x")},
    )
    s(
        "sync task upload: unknown task",
        "POST",
        f"/api/v1/sync_tasks_new/999999/upload/?{tk}",
        files={"upload_file": ("m.csv", series)},
    )
    s(
        "sync task upload: wrong format",
        "POST",
        f"/api/v1/sync_tasks_new/{measurements_task(demo)}/upload/?{tk}",
        files={"upload_file": ("m.tif", b"II*\x00")},
    )

    # Sync tasks: the list with each filter, the detail, scenarios.
    s("sync tasks: public list", "GET", "/api/v1/sync_tasks_new/")
    s("sync tasks: the seed's filter", "GET", f"/api/v1/sync_tasks_new/?world=sandbox&feature_type=timeseries&{tk}")
    s("sync tasks: full list with a token", "GET", f"/api/v1/sync_tasks_new/?{tk}")
    s("sync tasks: locale en-IE, page 2 of 2", "GET", f"/api/v1/sync_tasks_new/?locale=en_ie&page=2&page_size=2&{tk}")
    s("sync tasks: page out of range", "GET", f"/api/v1/sync_tasks_new/?page=99&{tk}")
    s("sync tasks: page_size 0", "GET", f"/api/v1/sync_tasks_new/?page_size=0&{tk}")
    s("sync tasks: page not a number", "GET", f"/api/v1/sync_tasks_new/?page=abc&{tk}")
    s("sync tasks: unknown world", "GET", f"/api/v1/sync_tasks_new/?world=nowhere&{tk}")
    s("sync tasks: unknown locale", "GET", f"/api/v1/sync_tasks_new/?locale=xx-XX&{tk}")
    s("sync tasks: search without locale", "GET", f"/api/v1/sync_tasks_new/?search=KNMI&{tk}")
    s("sync tasks: search with locale", "GET", f"/api/v1/sync_tasks_new/?search=weerstations&locale=nl&{tk}")
    s("sync tasks: private without a token", "GET", "/api/v1/sync_tasks_new/?private=true")
    s(
        "sync tasks: task_type and uploadable=false",
        "GET",
        f"/api/v1/sync_tasks_new/?task_type=scenario&uploadable=false&{tk}",
    )
    s("sync tasks: dc_id", "GET", f"/api/v1/sync_tasks_new/?dc_id=18&{tk}")
    s("sync tasks: bad token", "GET", "/api/v1/sync_tasks_new/?token=nope")
    s("sync tasks: detail KNMI (public)", "GET", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/")
    s("sync tasks: detail KNMI, en-US", "GET", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/?locale=en-US&{tk}")
    s("sync tasks: detail, unknown", "GET", f"/api/v1/sync_tasks_new/999999/?{tk}")
    scenario = f"/api/v1/sync_tasks_new/{tasks['scenario_task']}/"
    s(
        "sync tasks: rename the scenario",
        "PATCH",
        f"{scenario}?{tk}",
        body=b'{"name": "Heavy rain (v2)"}',
        content_type="application/json",
    )
    s("sync tasks: rename, no name", "PATCH", f"{scenario}?{tk}", body=b"{}", content_type="application/json")
    s("sync tasks: rename, bad JSON", "PATCH", f"{scenario}?{tk}", body=b"{nope", content_type="application/json")
    s("sync tasks: rename without a token", "PATCH", scenario, body=b'{"name": "x"}', content_type="application/json")
    s(
        "sync tasks: rename a data source task",
        "PATCH",
        f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/?{tk}",
        body=b'{"name": "x"}',
        content_type="application/json",
    )
    s("sync tasks: POST not allowed", "POST", f"/api/v1/sync_tasks_new/?{tk}")
    s("harvest: queue a sync", "POST", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/sync/?{tk}")
    s("harvest: runs", "GET", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/runs/?{tk}")
    s(
        "harvest: sync a source without an endpoint",
        "POST",
        f"/api/v1/sync_tasks_new/{measurements_task(demo)}/sync/?{tk}",
    )
    s("harvest: runs of that source", "GET", f"/api/v1/sync_tasks_new/{measurements_task(demo)}/runs/?{tk}")
    s("harvest: sync without a token", "POST", f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/sync/")
    s(
        "harvest: sync by a stranger",
        "POST",
        f"/api/v1/sync_tasks_new/{tasks['knmi_task']}/sync/?token={STRANGER_TOKEN}",
    )
    s(
        "events: a public connection, no rows",
        "GET",
        "/api/v1/dataconnections/6/events/?feature=260&parameter=parameter:prec_mm_d",
    )
    s("events: missing parameters", "GET", "/api/v1/dataconnections/6/events/")
    s("events: unknown connection", "GET", "/api/v1/dataconnections/999999/events/?feature=a&parameter=b")
    s("sync tasks: delete the scenario", "DELETE", f"{scenario}?{tk}")
    s("sync tasks: the deleted scenario", "GET", f"{scenario}?{tk}")


def measurements_task(demo: dict) -> int:
    from synctasks.models import DataSource

    return DataSource.objects.get(pk=demo["data_sources"]["Measurements export"]).sync_task.pk


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


def gateway(s: Scenario):
    header = {"Authorization": f"api-token {DEMO_TOKEN}"}
    d = "/api/v1/dataset/ncl.630.0"
    readme = b"Read me.\n"
    s("cdg: upload (header form)", "POST", f"{d}/file.json", files={"file": ("readme.txt", readme)}, headers=header)
    s(
        "cdg: replace (query form, PUT)",
        "PUT",
        f"/api/v1/ncl.630.0/file.json?api-token={DEMO_TOKEN}",
        files={"file": ("readme.txt", readme)},
    )
    s("cdg: upload without a token", "POST", f"{d}/file.json", files={"file": ("readme.txt", readme)})
    s(
        "cdg: upload by a stranger",
        "POST",
        f"{d}/file.json?api-token={STRANGER_TOKEN}",
        files={"file": ("readme.txt", readme)},
    )
    s("cdg: upload, no file part", "POST", f"{d}/file.json", files={"other": ("readme.txt", readme)}, headers=header)
    s(
        "cdg: upload to an unknown dataset",
        "POST",
        "/api/v1/dataset/nope/file.json",
        files={"file": ("readme.txt", readme)},
        headers=header,
    )
    s(
        "cdg: upload to an unknown version",
        "POST",
        f"{d}/version/9.9/file.json",
        files={"file": ("readme.txt", readme)},
        headers=header,
    )
    s(
        "cdg: oversize Content-Length",
        "POST",
        f"{d}/file.json",
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=header,
        CONTENT_LENGTH=str(600 * MIB),
    )
    s("cdg: files", "GET", f"{d}/files.json")
    s("cdg: version files", "GET", f"{d}/version/1.0/files.json")
    s("cdg: files of an unknown dataset", "GET", "/api/v1/dataset/nope/files.json")
    s("cdg: download link", "GET", f"{d}/version/1.0/file/readme.txt")
    response, _ = s("cdg: download link (dataset form)", "GET", f"{d}/file/readme.txt")
    if response.get("Location", "").startswith("/"):  # ours on local storage; S3's link on S3
        s("cdg: follow the download link", "GET", response["Location"].removeprefix("http://testserver"))
    s("cdg: download an unknown file", "GET", f"{d}/version/1.0/file/nothing.txt")
    s("cdg: publish a published version", "POST", f"{d}/version/1.0/publish.json", headers=header)
    s("cdg: publish an unknown version", "POST", f"{d}/version/2.0/publish.json", headers=header)
    s("cdg: GET file.json not allowed", "GET", f"{d}/file.json", headers=header)
    s("cdg: delete", "DELETE", f"{d}/file/readme.txt", headers=header)
    s("cdg: delete again", "DELETE", f"{d}/file/readme.txt", headers=header)
    s("cdg: unknown URL", "GET", f"{d}/nothing")
    # Version 2.0, as the admin's "Create the next version" makes it.
    from datasets.models import Dataset
    from datasets.services import dataset_version_create

    dataset_version_create(dataset=Dataset.objects.get(short_name="ncl.630.0"), identifier="2.0")
    s(
        "cdg: upload to the draft 2.0",
        "POST",
        f"{d}/version/2.0/file.json",
        files={"file": ("notes.txt", b"v2 only")},
        headers=header,
    )
    s("cdg: draft files without a token", "GET", f"{d}/version/2.0/files.json")
    s("cdg: draft files with a token", "GET", f"{d}/version/2.0/files.json?api-token={DEMO_TOKEN}")
    s("cdg: delete from the draft", "DELETE", f"{d}/version/2.0/file/readme.txt", headers=header)
    s("cdg: publish 2.0", "POST", f"{d}/version/2.0/publish.json", headers=header)
    s("cdg: files, now 2.0", "GET", f"{d}/files.json")
    s("cdg: 1.0 keeps its files", "GET", f"{d}/version/1.0/files.json")


def dataverse(s: Scenario):
    key = {"X-Dataverse-key": DEMO_TOKEN}
    ds = f"/api/datasets/:persistentId/%s?persistentId={PID}"
    data = b"file one\n"
    ticket = s.json("dataverse: upload URL, one part", "GET", ds % "uploadurls" + f"&size={len(data)}", headers=key)
    if ticket["data"]["url"].startswith("http://testserver/"):
        s(
            "dataverse: PUT the bytes to the direct URL",
            "PUT",
            ticket["data"]["url"].removeprefix("http://testserver"),
            body=data,
            content_type="text/plain",
            headers={"x-amz-tagging": "dv-state=temp"},
        )
    else:  # S3's own answer, not recorded
        put = requests.put(ticket["data"]["url"], data=data, headers={"x-amz-tagging": "dv-state=temp"}, timeout=30)
        assert put.status_code == 200, put.text
    sid = ticket["data"]["storageIdentifier"]
    sha1 = hashlib.sha1(data).hexdigest()
    json_data = json.dumps(
        {
            "description": "My description.",
            "directoryLabel": "data/subdir1",
            "categories": ["Data"],
            "restrict": "false",
            "storageIdentifier": sid,
            "fileName": "file1.txt",
            "mimeType": "text/plain",
            "checksum": {"@type": "SHA-1", "@value": sha1},
        }
    )
    bad = json.loads(json_data) | {"checksum": {"@type": "SHA-1", "@value": "0" * 40}, "fileName": "bad.txt"}
    s("dataverse: add with a wrong checksum", "POST", ds % "add", files={"jsonData": json.dumps(bad)}, headers=key)
    added = s.json("dataverse: add (direct)", "POST", ds % "add", files={"jsonData": json_data}, headers=key)
    mp = s.json("dataverse: upload URL, two parts", "GET", ds % "uploadurls" + f"&size={6 * MIB}", headers=key)["data"]
    s("dataverse: complete with no ETags", "PUT", mp["complete"], body=b"{}", headers=key)
    s("dataverse: abort", "DELETE", mp["abort"], headers=key)
    s("dataverse: upload URL, bad size", "GET", ds % "uploadurls" + "&size=abc", headers=key)
    s("dataverse: upload URL, bad key", "GET", ds % "uploadurls" + "&size=9", headers={"X-Dataverse-key": "nope"})
    s("dataverse: upload URL, key parameter, stranger", "GET", ds % "uploadurls" + f"&size=9&key={STRANGER_TOKEN}")
    s(
        "dataverse: upload URL, unknown dataset",
        "GET",
        "/api/datasets/:persistentId/uploadurls?persistentId=doi:10.5072/NOPE&size=9",
        headers=key,
    )
    s(
        "dataverse: native add",
        "POST",
        ds % "add",
        files={"file": ("file2.csv", b"a,b\n1,2\n", "text/csv"), "jsonData": '{"description": "d"}'},
        headers=key,
    )
    s(
        "dataverse: native add, same name",
        "POST",
        ds % "add",
        files={"file": ("file2.csv", b"a,b\n3,4\n", "text/csv"), "jsonData": '{"description": "d"}'},
        headers=key,
    )
    s(
        "dataverse: native add, duplicate content",
        "POST",
        ds % "add",
        files={"file": ("copy.csv", b"a,b\n1,2\n", "text/csv")},
        headers=key,
    )
    s("dataverse: add, bad jsonData", "POST", ds % "add", files={"jsonData": "{nope"}, headers=key)
    s("dataverse: add without a key", "POST", ds % "add", files={"file": ("x.txt", b"x")})
    s(
        "dataverse: add by a stranger",
        "POST",
        ds % "add",
        files={"file": ("x.txt", b"x")},
        headers={"X-Dataverse-key": STRANGER_TOKEN},
    )
    s(
        "dataverse: oversize Content-Length",
        "POST",
        ds % "add",
        body=b"",
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        headers=key,
        CONTENT_LENGTH=str(600 * MIB),
    )
    file_id = added["data"]["files"][0]["dataFile"]["id"]
    s(
        "dataverse: replace natively",
        "POST",
        f"/api/files/{file_id}/replace",
        files={"file": ("file1.txt", b"file one, v2\n", "text/plain")},
        headers=key,
    )
    s(
        "dataverse: metadata",
        "POST",
        f"/api/files/{file_id}/metadata",
        files={"jsonData": '{"description": "new", "label": "renamed.txt"}'},
        headers=key,
    )
    s(
        "dataverse: replace an unknown file",
        "POST",
        "/api/files/999999/replace",
        files={"file": ("a.txt", b"a")},
        headers=key,
    )
    s("dataverse: addFiles", "POST", ds % "addFiles", files={"jsonData": "[]"}, headers=key)
    s(
        "dataverse: replaceFiles, unknown id",
        "POST",
        ds % "replaceFiles",
        files={
            "jsonData": json.dumps(
                [
                    {
                        "fileToReplaceId": 999999,
                        "storageIdentifier": "file://0-000000000000",
                        "fileName": "a.txt",
                        "md5Hash": "0" * 32,
                    }
                ]
            )
        },
        headers=key,
    )
    s("dataverse: dataset (writer)", "GET", ds % "", headers=key)
    s("dataverse: dataset (anonymous)", "GET", ds % "")
    s("dataverse: dataset on /api/v1", "GET", f"/api/v1/datasets/:persistentId/?persistentId={PID}", headers=key)
    s("dataverse: locks", "GET", f"/api/datasets/{dataset_pk()}/locks", headers=key)
    s("dataverse: unknown dataset id", "GET", "/api/datasets/999999")
    s("dataverse: unknown route", "GET", "/api/datasets/:persistentId/nothing", headers=key)
    s("dataverse: unknown file route", "GET", f"/api/files/{file_id}", headers=key)
    s("dataverse: DELETE add not allowed", "DELETE", ds % "add", headers=key)
    s(
        "cdg: the Dataverse dataset's draft files",
        "GET",
        f"/api/v1/dataset/FK27U7YBV/version/1.0/files.json?api-token={DEMO_TOKEN}",
    )


def dataset_pk() -> int:
    from datasets.models import Dataset

    return Dataset.objects.get(persistent_id=PID).pk


def catch_all(s: Scenario):
    s("catch-all: unknown URL", "GET", "/nothing-here")
    s("catch-all: unknown API URL", "POST", "/api/v1/nothing/")
    s("catch-all: blobs, bad signature", "GET", "/blobs/download/nope/a.csv")
    s("catch-all: direct PUT, bad signature", "PUT", "/blobs/direct/nope", body=b"x")
    s("healthz: POST", "POST", "/healthz")
    s("schema", "GET", "/api/schema/")


def run_scenario(demo: dict, s3=None, s3_endpoint: str = "") -> list[dict]:
    stranger = User.objects.create(username="stranger", name="A stranger")
    token_create(user=stranger, name="golden", raw=STRANGER_TOKEN)
    masked = {DEMO_TOKEN: "demo-token", STRANGER_TOKEN: "stranger-token"}
    if s3:  # moto's port and the bucket's name are new for each run
        masked |= {s3_endpoint: "s3-endpoint", s3[1]: "bucket"}
    scenario = Scenario(Normaliser(masked), s3=s3)
    nexus(scenario, demo)
    delta(scenario)
    gateway(scenario)
    dataverse(scenario)
    catch_all(scenario)
    return scenario.answers


def _show(answer: dict) -> list[str]:
    shown = dict(answer)
    if isinstance(shown["body"], str):
        try:
            shown["body"] = json.loads(shown["body"])
        except ValueError:
            shown["body"] = shown["body"].splitlines()
    return json.dumps(shown, indent=2, ensure_ascii=False).splitlines()


def differences(golden: list[dict], answers: list[dict], *, most: int = 3) -> str:
    """A readable account of the first answers that differ (a unified diff of each)."""
    lines = []
    if [a["name"] for a in golden] != [a["name"] for a in answers]:
        lines.append("The scenario itself changed (requests added, removed or renamed); record it again.")
    shown = 0
    for old, new in zip(golden, answers, strict=False):
        if old == new:
            continue
        lines.append(f"--- answer {old['n']}: {old['name']} ({old['request']}) differs:")
        diff = list(difflib.unified_diff(_show(old), _show(new), "golden", "now", lineterm="", n=2))
        if len(diff) <= 2:  # the same once pretty-printed: the bytes differ in layout
            diff = list(difflib.unified_diff([repr(old["body"])], [repr(new["body"])], "golden", "now", lineterm=""))
        lines.extend(diff[:80])
        shown += 1
        if shown == most:
            break
    if len(golden) != len(answers):
        lines.append(f"{len(golden)} answers recorded, {len(answers)} now.")
    return "\n".join(lines)


def golden_path(storage: str) -> Path:
    return GOLDEN / f"{storage}.json"


def check(answers: list[dict], storage: str):
    path = golden_path(storage)
    if RECORD:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(answers, indent=1, ensure_ascii=False) + "\n")
        return
    assert path.exists(), f"{path} is missing: run NEXUS_RECORD_ANSWERS=1 pytest {__file__}"
    golden = json.loads(path.read_text())
    if golden != answers:
        pytest.fail(
            f"{sum(a != b for a, b in zip(golden, answers, strict=False))} answer(s) differ from "
            f"{path.name}:\n{differences(golden, answers)}",
            pytrace=False,
        )


@pytest.fixture
def pinned(settings):
    """The settings that show in answers, at their defaults whatever the environment says: the
    golden answers record the code, not the machine's configuration."""
    settings.TIME_ZONE = "UTC"
    settings.NEXUS_MAX_UPLOAD_BYTES = 500 * MIB
    settings.NEXUS_MAX_REQUEST_OVERHEAD_BYTES = 1 * MIB
    settings.NEXUS_MAX_JSON_BYTES = 100 * MIB
    settings.NEXUS_LINK_TTL_SECONDS = 3600
    settings.NEXUS_DEFAULT_LOCALE = "nl-NL"
    settings.NEXUS_LOCALES = ["nl-NL", "en-IE", "en-GB", "en-US", "de-DE", "fr-FR"]
    settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = 5 * MIB  # the smallest part: a multipart ticket for 6 MiB


# Ids are those of a fresh database (reset_sequences), as the README's examples have them.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_local_storage(pinned, demo):
    check(run_scenario(demo), "local")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_s3_storage(pinned, s3_storage, moto_endpoint, demo):
    check(run_scenario(demo, s3=s3_storage, s3_endpoint=moto_endpoint), "s3")
