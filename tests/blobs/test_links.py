"""Temporary download links: signed app links on local storage, SigV4 pre-signed GETs on S3."""

import time
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
import requests
from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from blobs.selectors import blob_download_url
from blobs.services import blob_write

pytestmark = pytest.mark.django_db

DATA = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1.5\n"


def test_local_link_downloads_the_bytes(client):
    blob = blob_write(chunks=[DATA], media_type="text/csv")
    url = blob_download_url(blob=blob, filename="Dataset.csv")
    assert url.startswith("/blobs/download/") and url.endswith("/Dataset.csv")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == DATA
    assert response["Content-Disposition"] == 'attachment; filename="Dataset.csv"'
    assert response["Content-Length"] == str(len(DATA))
    assert response["Content-Type"] == "text/csv"


def test_local_link_expires(client):
    blob = blob_write(chunks=[DATA])
    url = blob_download_url(blob=blob, filename="a.csv", ttl=-1)
    response = client.get(url)
    assert (response.status_code, response.content) == (403, b"The link has expired.")


@pytest.mark.parametrize("tamper", ["signature", "filename"])
def test_local_link_tampered_is_refused(client, tamper):
    blob = blob_write(chunks=[DATA])
    url = blob_download_url(blob=blob, filename="a.csv")
    prefix, signed, name = url.rsplit("/", 2)
    if tamper == "signature":
        signed = signed[:-1] + ("A" if signed[-1] != "A" else "B")
    else:
        name = "b.csv"
    response = client.get(f"{prefix}/{signed}/{name}")
    assert (response.status_code, response.content) == (403, b"The link's signature does not match.")


def test_local_link_of_a_deleted_blob_is_refused(client):
    blob = blob_write(chunks=[DATA])
    url = blob_download_url(blob=blob, filename="a.csv")
    blob.delete()
    assert client.get(url).status_code == 403


def _sigv4_valid(url: str, secret: str) -> bool:
    """Recomputes a pre-signed URL's SigV4 signature the way S3 checks it."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    signature = dict(query)["X-Amz-Signature"]
    rest = [(k, v) for k, v in query if k != "X-Amz-Signature"]
    fields = dict(rest)
    access_key, _date, region, service, _ = fields["X-Amz-Credential"].split("/")
    auth = S3SigV4QueryAuth(Credentials(access_key, secret), service, region, expires=int(fields["X-Amz-Expires"]))
    request = AWSRequest(method="GET", url=parts._replace(query=urlencode(rest, quote_via=quote)).geturl())
    request.context["timestamp"] = fields["X-Amz-Date"]
    return auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request) == signature


def test_s3_link_is_a_presigned_get_that_downloads_the_bytes(s3_storage, moto_endpoint):
    """moto serves the bytes but does not enforce expiry or signatures; S3 does. So the link's
    expiry and signature are checked here by recomputing them as S3 would."""
    blob = blob_write(chunks=[DATA], media_type="text/csv")
    url = blob_download_url(blob=blob, filename="Dataset.csv", ttl=600)
    assert url.startswith(f"{moto_endpoint}/{s3_storage[1]}/{blob.key}?")
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == DATA
    assert response.headers["Content-Disposition"] == 'attachment; filename="Dataset.csv"'

    fields = dict(parse_qsl(urlsplit(url).query))
    assert fields["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert fields["X-Amz-Expires"] == "600"
    signed_at = datetime.strptime(fields["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
    assert abs(signed_at - time.time()) < 60
    assert _sigv4_valid(url, "testing")
    assert not _sigv4_valid(url, "another-secret")
    assert not _sigv4_valid(url.replace("X-Amz-Expires=600", "X-Amz-Expires=6000"), "testing")
    other_key = blob.key[:-1] + ("0" if blob.key[-1] != "0" else "1")
    assert not _sigv4_valid(url.replace(blob.key, other_key), "testing")
