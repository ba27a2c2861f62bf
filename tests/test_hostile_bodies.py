"""Hostile request bodies in the dialects: unusable part types, non-ASCII digits, bodies over Django's
limits, JSON that cannot be stored or is nested too deeply: a 4xx in the dialect's shape, nothing stored."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from blobs.models import Blob
from datasets.models import DatasetFile
from tests.support.accounts import DEMO_TOKEN
from tests.support.hostile import AUTH, CSV, media_files, multipart_data, shape_ok, stored_counts

pytestmark = pytest.mark.django_db


LONG_TYPE = "text/" + "x" * 300


@pytest.mark.parametrize(
    ("dialect", "url", "field"),
    [
        ("nexus", f"/api/v1/uploads/?token={DEMO_TOKEN}", "upload_file"),
        ("cdg", "/api/v1/dataset/ncl.630.0/file.json", "file"),
        ("dataverse", "/api/datasets/:persistentId/add?persistentId=doi:10.5072/FK27U7YBV", "file"),
    ],
)
@pytest.mark.parametrize("part_type", [LONG_TYPE, "text/csv\x00", "no slash", "text/csv\x7fx"])
def test_an_unusable_part_content_type_is_stored_as_octet_stream(demo, client, dialect, url, field, part_type):
    data = {field: SimpleUploadedFile("a.csv", CSV, content_type=part_type)}
    if dialect == "nexus":
        data["datasource"] = str(demo["data_sources"]["Dataset export"])
    response = client.post(url, data, **AUTH[dialect])
    assert response.status_code in (200, 201), response.content
    # The unusable label is dropped; Dataverse then detects the type from the name, as it does for
    # application/octet-stream.
    expected = "text/csv" if dialect == "dataverse" else "application/octet-stream"
    assert Blob.objects.get().media_type == expected
    if dialect != "nexus":
        assert DatasetFile.objects.get().media_type == expected


@pytest.mark.parametrize("value", ["\u0661", "\u0662", "\x00", "1.5", "1_0"])
def test_an_upload_names_its_data_source_in_ascii_digits(demo, client, value):
    data = {"datasource": value, "upload_file": SimpleUploadedFile("a.csv", CSV, content_type="text/csv")}
    response = client.post(f"/api/v1/uploads/?token={DEMO_TOKEN}", data)
    assert (response.status_code, response.json()) == (400, {"datasource": ["A valid integer is required."]})
    assert Blob.objects.count() == 0


# A multipart upload (with its file) and Django's limits on what it reads into memory: more fields
# than DATA_UPLOAD_MAX_NUMBER_FIELDS, or fields larger than DATA_UPLOAD_MAX_MEMORY_SIZE.
UPLOAD_URLS = [
    ("nexus", "/api/v1/uploads/?token=" + DEMO_TOKEN),
    ("cdg", "/api/v1/dataset/ncl.630.0/file.json"),
    ("dataverse", "/api/datasets/:persistentId/add?persistentId=doi:10.5072/FK27U7YBV"),
    ("delta", "/v1/files/myorg/myproj"),
]


@pytest.mark.parametrize(("dialect", "url"), UPLOAD_URLS)
def test_a_body_over_djangos_limits_is_refused_in_the_dialects_shape(demo, client, settings, dialect, url):
    """Django raises TooManyFieldsSent / RequestDataTooBig when the view first reads the body:
    the client's error (400, 413), not a logged 500."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    before, media_before = stored_counts(), media_files(settings)
    file = {"datasource": str(demo["data_sources"]["Dataset export"])}
    for name in ("upload_file", "file"):
        file[name] = SimpleUploadedFile("a.csv", CSV, content_type="text/csv")
    many = {**file, **{f"f{i}": "1" for i in range(60)}}
    response = client.generic("POST", url, **multipart_data(client, many), **AUTH[dialect])
    assert response.status_code == 400, response.content
    assert shape_ok(dialect, response), response.content
    for name in ("upload_file", "file"):
        file[name] = SimpleUploadedFile("a.csv", CSV, content_type="text/csv")
    big = {**file, "description": "x" * 8192}
    response = client.generic("POST", url, **multipart_data(client, big), **AUTH[dialect])
    assert response.status_code == 413, response.content
    assert shape_ok(dialect, response), response.content
    assert stored_counts() == before
    assert media_files(settings) == media_before


@pytest.mark.parametrize(
    "json_data",
    [
        {"description": "a\x00b"},
        {"directoryLabel": "data\x00"},
        {"mimeType": "text/csv\x00"},
        {"categories": ["Data", "a\x00"]},
        {"description": "\ud800"},  # a lone surrogate: valid JSON, no UTF-8
        {"fileToReplaceId": 1e400},  # read as infinity
    ],
)
def test_unstorable_json_data_is_400_with_nothing_stored(demo, client, settings, json_data):
    """What PostgreSQL cannot store or Python cannot convert, in a Dataverse jsonData: a 400 that
    names the key, not a 500 at the write."""
    before, media_before = stored_counts(), media_files(settings)
    for url in (
        "/api/datasets/:persistentId/add?persistentId=doi:10.5072/FK27U7YBV",
        "/api/datasets/:persistentId/replaceFiles?persistentId=doi:10.5072/FK27U7YBV",
    ):
        body = json.dumps([json_data]) if "replaceFiles" in url else json.dumps(json_data)
        data = {"file": SimpleUploadedFile("a.csv", CSV, content_type="text/csv"), "jsonData": body}
        response = client.post(url, data, **AUTH["dataverse"])
        assert response.status_code == 400, (url, response.content)
        assert shape_ok("dataverse", response), response.content
    assert stored_counts() == before
    assert media_files(settings) == media_before


@pytest.mark.parametrize("body", [b'{"name": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"[" * 100_000])
def test_a_json_body_nested_too_deeply_is_400(demo, client, body):
    """DRF's JSON parser catches ValueError only; nesting past Python's recursion limit was a 500."""
    url = f"/api/v1/sync_tasks_new/{demo['sync_tasks']['scenario_task']}/?token={DEMO_TOKEN}"
    before, shown = stored_counts(), client.get(url).json()
    response = client.generic("PATCH", url, body, content_type="application/json")
    assert (response.status_code, response.json()) == (400, {"detail": "JSON parse error - nested too deeply."})
    assert stored_counts() == before
    assert client.get(url).json() == shown


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/uploads/", {"detail": "Authentication credentials were not provided."}),
        ("/api/v1/uploads/?format=api", {"detail": "Authentication credentials were not provided."}),
        ("/api/v1/dataset/nope/files.json", {"error": "Dataset 'nope' does not exist."}),
        ("/api/datasets/999", {"status": "ERROR", "message": "Dataset with ID 999 not found."}),
    ],
)
def test_an_error_is_json_when_a_browser_asks_for_html(demo, client, url, body):
    """DRF's browsable API would render the error as an HTML page for Accept: text/html."""
    response = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert (response["Content-Type"], response.json()) == ("application/json", body)
