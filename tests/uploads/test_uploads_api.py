"""The uploads seed over real HTTP: the seed's bodies, the latest-per-source list, the sync task
upload action, sanitising, limits and every refusal with nothing stored."""

import hashlib
import io
import re
import zipfile

import pytest
import requests
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blobs.models import Blob
from blobs.services import blob_write
from tests.support.uploads import SEED_KEYS, GeneratedMultipart, post_upload
from uploads.models import Upload

pytestmark = pytest.mark.django_db(transaction=True)

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")


def stored(local_storage) -> list[str]:
    if not local_storage.exists():
        return []
    return sorted(p.relative_to(local_storage).as_posix() for p in local_storage.rglob("*") if p.is_file())


def assert_nothing_stored(local_storage):
    assert Upload.objects.count() == 0
    assert Blob.objects.count() == 0
    assert stored(local_storage) == []


def test_post_answers_with_exactly_the_seed_fields(live_server, catalog, local_storage):
    content = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1.5\n"
    response = post_upload(
        live_server.url, catalog.token, datasource=catalog.dataset.pk, filename="dataset.csv", content=content
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == SEED_KEYS
    upload = Upload.objects.get()
    assert body["id"] == upload.pk
    assert body["filename"] == "dataset.csv"
    assert body["uploader_name"] == "Data supplier X"
    assert body["upload_file"].startswith(f"{live_server.url}/blobs/download/")
    assert ISO_WITH_OFFSET.match(body["upload_date"]), body["upload_date"]
    assert (body["uploader"], body["datasource"]) == (catalog.supplier.pk, catalog.dataset.pk)
    assert (body["datasource_name"], body["datasource_owner"]) == ("Dataset export", "Organization Y")
    assert (body["sync_last_finished"], body["sync_status"]) == (None, "harvesting")
    assert (upload.blob.size, upload.blob.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert stored(local_storage) == [upload.blob.key]
    download = requests.get(body["upload_file"], timeout=10)
    assert (download.status_code, download.content) == (200, content)


def test_list_holds_the_latest_upload_per_permitted_source(live_server, catalog, settings):
    settings.TIME_ZONE = "Europe/Amsterdam"
    first = post_upload(live_server.url, catalog.token, datasource=catalog.dataset.pk, filename="Dataset.csv")
    post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, filename="0700.csv", content=b"old")
    latest = post_upload(
        live_server.url,
        catalog.token,
        datasource=catalog.measurements.pk,
        filename="0800_new_measurements.csv",
        content=b"newest",
    )
    # Uploads to a source the supplier may not upload to, or that takes no uploads, are not listed.
    Upload.objects.create(
        data_source=catalog.not_uploadable, uploader=catalog.supplier, filename="h.csv", blob=blob_write(chunks=[b"h"])
    )
    Upload.objects.create(
        data_source=catalog.foreign, uploader=catalog.supplier, filename="x.csv", blob=blob_write(chunks=[b"x"])
    )
    response = requests.get(f"{live_server.url}/api/v1/uploads/?token={catalog.token}", timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert [entry["id"] for entry in body] == [first.json()["id"], latest.json()["id"]]
    assert all(list(entry) == SEED_KEYS for entry in body)
    assert [(e["filename"], e["datasource_name"], e["datasource_owner"]) for e in body] == [
        ("Dataset.csv", "Dataset export", "Organization Y"),
        ("0800_new_measurements.csv", "Measurements export", "Organization Z"),
    ]
    assert all(e["upload_date"].endswith(("+01:00", "+02:00")) for e in body)
    assert requests.get(body[1]["upload_file"], timeout=10).content == b"newest"


def test_detail_adds_the_report(live_server, catalog):
    created = post_upload(live_server.url, catalog.token, datasource=catalog.dataset.pk).json()
    response = requests.get(f"{live_server.url}/api/v1/uploads/{created['id']}/?token={catalog.token}", timeout=10)
    assert response.status_code == 200
    assert list(response.json()) == [*SEED_KEYS, "report"]
    assert response.json()["report"] == {}
    other = Upload.objects.create(
        data_source=catalog.foreign, uploader=catalog.supplier, filename="x.csv", blob=blob_write(chunks=[b"x"])
    )
    hidden = requests.get(f"{live_server.url}/api/v1/uploads/{other.pk}/?token={catalog.token}", timeout=10)
    assert (hidden.status_code, hidden.json()) == (404, {"detail": f"Upload {other.pk} does not exist."})


def test_sync_task_upload_action(live_server, catalog, local_storage):
    task = catalog.measurements.sync_task
    response = post_upload(
        live_server.url, catalog.token, filename="m.csv", path=f"/api/v1/sync_tasks_new/{task.pk}/upload/"
    )
    assert response.status_code == 201, response.text
    assert list(response.json()) == SEED_KEYS
    assert response.json()["datasource"] == catalog.measurements.pk
    assert Upload.objects.get().data_source == catalog.measurements


@pytest.mark.parametrize(
    ("case", "status", "body"),
    [
        ("calculation", 400, "Sync task {calc} is a calculation task; only data_source tasks take uploads."),
        ("not_uploadable", 400, "Data source {nu} ('Harvested only') does not accept uploads."),
        ("unknown", 404, "Sync task 999999 does not exist."),
        ("foreign", 403, "You may not upload to data source {foreign} ('Someone else's')."),
    ],
)
def test_sync_task_upload_refusals_store_nothing(live_server, catalog, local_storage, case, status, body):
    task_id = {
        "calculation": catalog.calculation_task.pk,
        "not_uploadable": catalog.not_uploadable.sync_task.pk,
        "unknown": 999999,
        "foreign": catalog.foreign.sync_task.pk,
    }[case]
    response = post_upload(live_server.url, catalog.token, path=f"/api/v1/sync_tasks_new/{task_id}/upload/")
    detail = body.format(calc=catalog.calculation_task.pk, nu=catalog.not_uploadable.pk, foreign=catalog.foreign.pk)
    assert (response.status_code, response.json()) == (status, {"detail": detail})
    assert_nothing_stored(local_storage)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _refusal_cases():
    return [
        # (case, post kwargs, status, body)
        ("no token", {"token": None}, 401, {"detail": "Authentication credentials were not provided."}),
        ("bad token", {"token": "nope"}, 401, {"detail": "Invalid token."}),
        ("unknown source", {"datasource": 999999}, 404, {"detail": "Data source 999999 does not exist."}),
        (
            "no right",
            {"datasource": "foreign"},
            403,
            {"detail": "You may not upload to data source {foreign} ('Someone else's')."},
        ),
        (
            "private source of another organization",
            {"datasource": "hidden"},
            404,
            {"detail": "Data source {hidden} does not exist."},
        ),
        (
            "zip with a parent path to a source taking any file",
            {"datasource": "documents", "filename": "d.zip", "content": _zip({"../a.pdf": b"1"})},
            400,
            {"upload_file": ["Zip member '../a.pdf' has an absolute path or '..' in its path."]},
        ),
        (
            "not uploadable",
            {"datasource": "not_uploadable"},
            400,
            {"detail": "Data source {not_uploadable} ('Harvested only') does not accept uploads."},
        ),
        ("missing datasource", {"datasource": None}, 400, {"datasource": ["This field is required."]}),
        ("datasource not a number", {"datasource": "abc"}, 400, {"datasource": ["A valid integer is required."]}),
        ("missing file", {"filename": None}, 400, {"upload_file": ["No file was submitted."]}),
        (
            "wrong format",
            {"filename": "parcels.json"},
            400,
            {
                "upload_file": [
                    "File format 'json' of 'parcels.json' does not match data source 'Dataset export', "
                    "which expects 'csv'."
                ]
            },
        ),
        (
            "not a zip",
            {"filename": "data.zip", "content": b"PK but not really"},
            400,
            {"upload_file": ["The file is not a readable zip archive (no end of central directory: truncated?)."]},
        ),
        (
            "empty zip",
            {"filename": "data.zip", "content": _zip({})},
            400,
            {"upload_file": ["The zip archive holds no files."]},
        ),
        (
            "zip of two formats",
            {"filename": "data.zip", "content": _zip({"a.csv": b"1", "b.json": b"{}"})},
            400,
            {
                "upload_file": [
                    "The zip archive holds files of more than one format (csv, json); "
                    "it must hold files of one format only."
                ]
            },
        ),
        (
            "zip of another format",
            {"filename": "data.zip", "content": _zip({"a.json": b"{}"})},
            400,
            {"upload_file": ["The zip archive holds 'json' files; data source 'Dataset export' expects 'csv'."]},
        ),
        (
            "zip absolute path",
            {"filename": "data.zip", "content": _zip({"/etc/a.csv": b"1"})},
            400,
            {"upload_file": ["Zip member '/etc/a.csv' has an absolute path or '..' in its path."]},
        ),
        (
            "zip parent path",
            {"filename": "data.zip", "content": _zip({"x/../../a.csv": b"1"})},
            400,
            {"upload_file": ["Zip member 'x/../../a.csv' has an absolute path or '..' in its path."]},
        ),
        (
            "zip too large uncompressed",
            {"filename": "data.zip", "content": _zip({"a.csv": b"0" * 5000})},
            400,
            {"upload_file": ["The file unpacks to 5000 bytes; the limit is 4096 bytes uncompressed."]},
        ),
        (
            "json too large",
            {"datasource": "geojson", "filename": "p.geojson", "content": b" " * 2049},
            413,
            {"detail": "JSON file 'p.geojson' is 2049 bytes; the maximum is 2048 bytes."},
        ),
        (
            "json in zip too large",
            {"datasource": "geojson", "filename": "p.zip", "content": _zip({"p.geojson": b" " * 2049})},
            413,
            {"detail": "JSON file 'p.geojson' in the zip archive is 2049 bytes; the maximum is 2048 bytes."},
        ),
    ]


@pytest.mark.parametrize(("case", "given", "status", "body"), _refusal_cases(), ids=[c[0] for c in _refusal_cases()])
def test_refusals_store_nothing(live_server, catalog, local_storage, settings, case, given, status, body):
    settings.NEXUS_MAX_ZIP_UNCOMPRESSED_BYTES = 4096
    settings.NEXUS_MAX_JSON_BYTES = 2048
    ids = {
        name: getattr(catalog, name).pk
        for name in ("foreign", "not_uploadable", "geojson", "dataset", "hidden", "documents")
    }
    kwargs = {"datasource": catalog.dataset.pk, "filename": "dataset.csv", "content": b"a\n", **given}
    if isinstance(kwargs["datasource"], str) and kwargs["datasource"] in ids:
        kwargs["datasource"] = ids[kwargs["datasource"]]
    token = kwargs.pop("token", catalog.token)
    response = post_upload(live_server.url, token, **kwargs)
    expected = {key: (value.format(**ids) if isinstance(value, str) else value) for key, value in body.items()}
    assert (response.status_code, response.json()) == (status, expected)
    if status == 401:
        assert response.headers["WWW-Authenticate"] == "Token"
    assert_nothing_stored(local_storage)


def test_a_zip_of_the_sources_format_is_accepted(live_server, catalog):
    content = _zip({"b.csv": b"2", "a.CSV": b"1", "dir/": b""})
    response = post_upload(
        live_server.url, catalog.token, datasource=catalog.dataset.pk, filename="batch.zip", content=content
    )
    assert response.status_code == 201, response.text
    assert Upload.objects.get().blob.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("sent", "kept", "source"),
    [
        ("evaporation#2020-1-1.tif", "evaporation2020-1-1.tif", "rasters"),
        ("new measurements 0800.csv", "newmeasurements0800.csv", "measurements"),
        ("métingen_ñ_2021.csv", "mtingen__2021.csv", "measurements"),
        ("data#1.csv", "data1.csv", "measurements"),
        ("C:\\path\\to\\new\\dataset.csv", "dataset.csv", "measurements"),
        ("sub/dir/dataset.csv", "dataset.csv", "measurements"),
        ("...", "upload", "documents"),
        ("..", "upload", "documents"),
        ("%%%%", "upload", "documents"),
        ("a" * 300 + ".csv", "a" * 251 + ".csv", "measurements"),
    ],
)
def test_filenames_are_sanitised_over_http(live_server, catalog, sent, kept, source):
    response = post_upload(live_server.url, catalog.token, datasource=getattr(catalog, source).pk, filename=sent)
    assert response.status_code == 201, response.text
    assert response.json()["filename"] == kept
    assert Upload.objects.get().filename == kept
    assert response.json()["upload_file"].endswith(f"/{kept}")


def test_every_token_placement_uploads(live_server, catalog):
    for param in ("token", "api-token", "key"):
        response = post_upload(live_server.url, catalog.token, datasource=catalog.dataset.pk, token_param=param)
        assert response.status_code == 201
    bearer = requests.post(
        f"{live_server.url}/api/v1/uploads/",
        data={"datasource": catalog.dataset.pk},
        files={"upload_file": ("d.csv", b"1")},
        headers={"Authorization": f"Bearer {catalog.token}"},
        timeout=10,
    )
    assert bearer.status_code == 201
    assert Upload.objects.count() == 4


def test_list_query_count_does_not_grow_with_data_sources(client, catalog):
    def add_sources(count):
        for index in range(count):
            source = type(catalog.dataset).objects.create(
                name=f"Source {index}", organization=catalog.dataset.organization, ext="csv", uploadable=True
            )
            Upload.objects.create(
                data_source=source, uploader=catalog.supplier, filename=f"{index}.csv", blob=blob_write(chunks=[b"x"])
            )

    url = f"/api/v1/uploads/?token={catalog.token}"
    client.get(url)  # records the token's last use, which is then not written again within the minute
    add_sources(1)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).json()) == 1
    add_sources(199)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(url).json()) == 200
    assert len(one.captured_queries) == len(many.captured_queries) == 2


LIMIT = 500 * 1024 * 1024


@pytest.mark.parametrize("size", [LIMIT, LIMIT + 1], ids=["exactly-500MiB", "one-byte-over"])
def test_500_mib_exactly_is_accepted_and_one_byte_more_refused(live_server, catalog, local_storage, size):
    body = GeneratedMultipart(fields={"datasource": catalog.documents.pk}, filename="big.bin", size=size)
    response = requests.post(
        f"{live_server.url}/api/v1/uploads/?token={catalog.token}",
        data=body,
        headers={"Content-Type": body.content_type},
        timeout=600,
    )
    if size == LIMIT:
        assert response.status_code == 201, response.text
        blob = Upload.objects.get().blob
        assert (blob.size, blob.sha256) == (LIMIT, body.sha256())
        assert stored(local_storage) == [blob.key]
    else:
        assert (response.status_code, response.json()) == (
            413,
            {"detail": f"The upload exceeds the maximum size of {LIMIT} bytes."},
        )
        assert_nothing_stored(local_storage)
