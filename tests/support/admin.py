"""The admin tests' world: a superuser, and one of each thing the admin shows, made as the API, the
ingest and the harvest make them (a failed upload with supplier HTML in its errors, stored series,
features, raster frames, documents, a failed and a successful harvest run)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model

from blobs.services import blob_write
from harvest.appliers import stats_from_rows
from harvest.models import HarvestRun, RasterFrame, RunStatus, Series
from synctasks.models import DataConnection, FeatureKind
from tests.support.harvest import Sources, csv, knmi_create, sources_create, upload_and_ingest

ADMIN_PASSWORD = "admin-pass-1"
# Supplier text that would be markup if the admin did not escape it.
HOSTILE = "<b id=injected>bold</b><script>window.injected=1</script>"
# 60 values of one series (more than the page's last 50), 3 of another.
SERIES_A = [f"De Bilt,temp,2021-01-01T{h:02d}:00:00Z,{h}.5" for h in range(24)] + [
    f"De Bilt,temp,2021-01-02T{h:02d}:00:00Z,{h + 24}.5" for h in range(24)
] + [f"De Bilt,temp,2021-01-03T{h:02d}:00:00Z,{h + 48}.5" for h in range(12)]  # fmt: skip
SERIES_B = [
    "Eelde,rain,2021-01-01T00:00:00Z,0.5",
    "Eelde,rain,2021-01-02T00:00:00Z,1",
    "Eelde,rain,2021-01-03T00:00:00Z,2",
]


@dataclass
class AdminWorld:
    admin: object
    sources: Sources
    failed_upload: object
    series_a: Series
    series_b: Series
    timeseries_dc: DataConnection
    spatial_dc: DataConnection
    raster_dc: DataConnection
    document_dc: DataConnection
    knmi: dict
    failed_run: HarvestRun
    good_run: HarvestRun


def admin_world(endpoint_url: str = "http://127.0.0.1:9/knmi") -> AdminWorld:
    admin = get_user_model().objects.create_superuser(
        username="admin", password=ADMIN_PASSWORD, email="admin@example.org"
    )
    sources = sources_create()
    failed = upload_and_ingest(
        sources,
        sources.timeseries,
        "bad.csv",
        csv("A,h,2021-01-01,1", f"A,h,2021-01-02,{HOSTILE}", "A,h,not-a-date,3"),
    )
    upload_and_ingest(sources, sources.timeseries, "good.csv", csv(*SERIES_A, *SERIES_B))
    geojson = (
        b'{"type": "FeatureCollection", "features": ['
        b'{"type": "Feature", "id": "p1", "geometry": {"type": "Point", "coordinates": [4.9, 52.4]},'
        b' "properties": {"name": "North"}},'
        b'{"type": "Feature", "id": "p2", "geometry": {"type": "Point", "coordinates": [5.0, 52.0]},'
        b' "properties": {"name": "South"}}]}'
    )
    upload_and_ingest(sources, sources.geojson, "parcels.geojson", geojson)
    upload_and_ingest(sources, sources.documents, "site-photo.jpg", b"\xff\xd8\xff" + b"j" * 100)
    raster_dc = sources.dc(sources.rasters, FeatureKind.RASTER)
    RasterFrame.objects.create(
        data_connection=raster_dc,
        timestamp=datetime(2020, 1, 1, tzinfo=UTC),
        blob=blob_write(chunks=[b"II*\x00"]),
        width=3,
        height=2,
        bounds=[100.0, 480.0, 130.0, 500.0],
    )
    stats_from_rows(data_connection=raster_dc, model=RasterFrame)  # as the raster ingest keeps them
    knmi = knmi_create(endpoint_url)
    failed_run = HarvestRun.objects.create(
        sync_task=knmi["task"],
        status=RunStatus.FAILED,
        attempts=3,
        started=datetime(2026, 12, 1, 12, 0, tzinfo=UTC),
        finished=datetime(2026, 12, 1, 12, 5, tzinfo=UTC),
        report={"request": {"url": endpoint_url}, "errors": [f"Fetching {endpoint_url} failed: 502 {HOSTILE}"]},
    )
    good_run = HarvestRun.objects.create(
        sync_task=knmi["task"],
        status=RunStatus.SUCCESSFUL,
        attempts=1,
        bytes=12345,
        started=datetime(2026, 12, 2, 12, 0, tzinfo=UTC),
        finished=datetime(2026, 12, 2, 12, 1, tzinfo=UTC),
        report={"rows_inserted": 62, "rows_updated": 0, "errors": []},
    )
    timeseries_dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    return AdminWorld(
        admin=admin,
        sources=sources,
        failed_upload=failed,
        series_a=Series.objects.get(data_connection=timeseries_dc, feature_key="De Bilt"),
        series_b=Series.objects.get(data_connection=timeseries_dc, feature_key="Eelde"),
        timeseries_dc=timeseries_dc,
        spatial_dc=sources.dc(sources.geojson, FeatureKind.SPATIAL),
        raster_dc=raster_dc,
        document_dc=sources.dc(sources.documents, FeatureKind.DOCUMENT),
        knmi=knmi,
        failed_run=failed_run,
        good_run=good_run,
    )
