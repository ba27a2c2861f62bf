"""The harvest and ingest side of the tests: a catalog with one source per format, uploads recorded
and ingested, a local stand-in for the KNMI service and a data source harvesting from it, and the
timeseries files and checks the chunked-upsert and bounded-parser tests share."""

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from accounts.services import token_create
from blobs.services import blob_stage
from harvest.models import Measurement
from synctasks.models import DataConnection, DataSource, FeatureKind, SyncTask, TaskType
from synctasks.services import data_source_create, feature_type_ensure
from tests.support.accounts import member_create, supplier_create
from uploads.models import SyncStatus, Upload
from uploads.services import upload_create, upload_ingest


@dataclass
class Sources:
    user: object
    timeseries: DataSource
    wide: DataSource  # timeseries, naive timestamps in Europe/Amsterdam
    knmi: DataSource
    geojson: DataSource
    spatial_csv: DataSource
    rasters: DataSource
    documents: DataSource

    def dc(self, source: DataSource, kind: str) -> DataConnection:
        return DataConnection.objects.get(sync_task__data_source=source, feature_type__kind=kind)


def sources_create() -> Sources:
    """The supplier and one uploadable source of Organization Y per format the ingest reads."""
    user, org = supplier_create()
    timeseries = feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)
    station = feature_type_ensure(alias="weather_station", kind=FeatureKind.SPATIAL)
    location = feature_type_ensure(alias="location", kind=FeatureKind.SPATIAL)
    raster = feature_type_ensure(alias="evaporation", kind=FeatureKind.RASTER)
    photo = feature_type_ensure(alias="photo", kind=FeatureKind.DOCUMENT)

    def make(name, ext, *types):
        return data_source_create(name=name, organization=org, ext=ext, uploadable=True, feature_types=list(types))

    wide = make("Wide", "csv", timeseries)
    wide.time_zone = "Europe/Amsterdam"
    wide.save()
    return Sources(
        user=user,
        timeseries=make("Measurements", "csv", timeseries),
        wide=wide,
        knmi=make("Klimatologie - Daggegevens meteostations", "txt", station, timeseries),
        geojson=make("Parcels", "geojson", location),
        spatial_csv=make("Dataset export", "csv", location),
        rasters=make("Evaporation", "tif", raster),
        documents=make("Photos", "*", photo),
    )


def upload_queued(sources: Sources, name: str, content: bytes, source=None) -> Upload:
    """A CSV upload recorded as the API records it (and queued for the worker), to `source` or the
    timeseries source."""
    return upload_create(
        user=sources.user,
        data_source_id=(source or sources.timeseries).pk,
        client_filename=name,
        staged=blob_stage(chunks=[content]),
        media_type="text/csv",
    )


def upload_and_ingest(sources: Sources, source: DataSource, filename: str, content: bytes) -> Upload:
    """An upload recorded as the API records it, then ingested by the code the Celery task runs."""
    staged = blob_stage(chunks=[content])
    upload = upload_create(
        user=sources.user,
        data_source_id=source.pk,
        client_filename=filename,
        staged=staged,
        media_type="application/octet-stream",
    )
    upload_ingest(upload_id=upload.pk)
    upload.refresh_from_db()
    return upload


def stored(dc: DataConnection) -> list[tuple]:
    """A timeseries connection's rows as (feature, parameter, timestamp, value), in key order."""
    return list(
        Measurement.objects.filter(series__data_connection=dc)
        .order_by("series__feature_key", "series__parameter", "timestamp")
        .values_list("series__feature_key", "series__parameter", "timestamp", "value")
    )


class Endpoint:
    """A local stand-in for the KNMI daily-data service: scripted answers, recorded requests."""

    def __init__(self):
        self.answers: list[tuple[int, bytes]] = []
        self.requests: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                endpoint.requests.append({"path": self.path, **form})
                status, body = endpoint.answers.pop(0) if endpoint.answers else (500, b"no answer scripted")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def knmi_create(endpoint_url: str) -> dict:
    """A KNMI data source harvesting from `endpoint_url`: its sync task, its timeseries connection
    and the token of an uploader of its organization."""
    user, organization = member_create("operator", "KNMI")
    source = DataSource.objects.create(name="KNMI daily", organization=organization, ext="txt", endpoint=endpoint_url)
    task = SyncTask.objects.create(task_type=TaskType.DATA_SOURCE, data_source=source)
    stations = DataConnection.objects.create(
        sync_task=task, feature_type=feature_type_ensure(alias="weather_station", kind=FeatureKind.SPATIAL)
    )
    series = DataConnection.objects.create(
        sync_task=task,
        feature_type=feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES),
        join_to=stations,
        join_prop="id_src",
        join_dtype="text",
        output_params=["parameter:prec_mm_d", "parameter:airtemp_max_deg_c"],
    )
    return {"task": task, "series": series, "token": token_create(user=user).raw}


# The chunked-upsert tests' days of January 2021, timeseries files and applier threads.
def t(day):
    return datetime(2021, 1, day, tzinfo=UTC)


def csv(*rows: str) -> bytes:
    return ("feature,parameter,timestamp,value\n" + "".join(f"{row}\n" for row in rows)).encode()


FIRST = csv("A,h,2021-01-01,1", "A,h,2021-01-02,2", "B,h,2021-01-01,3", "B,q,2021-01-01,4", "A,h,2021-01-03,5")


def applier_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "harvest-applier"]


# The bounded-parser tests' timeseries file and the check of a failed upload's errors.
HEADER = b"feature,parameter,timestamp,value\n"
GOOD = HEADER + b"A,p,2021-01-01T00:00:00Z,1.5\n"


def failed_with(upload, errors):
    assert upload.sync_status == SyncStatus.FAILED, upload.report
    assert upload.report["errors"] == errors
