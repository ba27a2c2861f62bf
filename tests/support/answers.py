"""The golden answers' machinery: the Scenario that sends each request and keeps its answer, the
Normaliser that hides what changes from run to run, and the comparison with the recorded files."""

import base64
import datetime
import difflib
import hashlib
import json
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.test.client import encode_multipart

GOLDEN = Path(__file__).resolve().parent.parent / "data" / "api_answers"
RECORD = os.environ.get("NEXUS_RECORD_ANSWERS") == "1"
BOUNDARY = "GoLdEnBoUnDaRy"
MIB = 1024 * 1024
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

    def __init__(self, normalise: Normaliser, s3=None, observe=None):
        self.client = Client(raise_request_exception=False)
        self.s3 = s3  # (boto3 client, bucket) when the blob storage is S3
        self.normalise = normalise
        # Called with each exchange as sent and answered, before normalising (the OpenAPI conformance).
        self.observe = observe
        self.answers: list[dict] = []

    def __call__(
        self, name, method, path, *, body=b"", content_type=None, files=None, headers=None, body_elsewhere="", **meta
    ):
        """Sends one request and records its answer; `body_elsewhere` names the test that checks a body
        this scenario records only by status and headers (the OpenAPI document, which grows on purpose)."""
        if files is not None:
            body, content_type = multipart(**files)
        headers = headers or {}
        response = self.client.generic(
            method, path, body, content_type=content_type or "application/octet-stream", headers=headers, **meta
        )
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        if self.observe is not None:
            self.observe(name=name, method=method, path=path, headers=headers, meta=meta, response=response, raw=raw)
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
                "body": f"<checked by {body_elsewhere}>" if body_elsewhere else self._body(raw),
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
    assert path.exists(), f"{path} is missing: run NEXUS_RECORD_ANSWERS=1 pytest tests/test_api_answers.py"
    golden = json.loads(path.read_text())
    if golden != answers:
        pytest.fail(
            f"{sum(a != b for a, b in zip(golden, answers, strict=False))} answer(s) differ from "
            f"{path.name}:\n{differences(golden, answers)}",
            pytrace=False,
        )
