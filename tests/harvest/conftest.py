"""Ingest test helpers: a catalog with one source per format, and an upload run through the pipeline."""

from dataclasses import dataclass

import pytest

from accounts.models import Role
from accounts.services import membership_ensure, organization_get_or_create
from blobs.services import blob_stage
from harvest.models import Measurement
from synctasks.models import DataConnection, DataSource, FeatureKind
from synctasks.services import data_source_create, feature_type_ensure
from uploads.models import Upload
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


@pytest.fixture
def sources(django_user_model) -> Sources:
    user = django_user_model.objects.create(username="supplier", name="Data supplier X")
    org = organization_get_or_create(name="Organization Y")
    membership_ensure(user=user, organization=org, role=Role.UPLOADER)
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
