"""A small catalog for the uploads tests: sources the supplier may and may not upload to."""

from dataclasses import dataclass

import pytest

from accounts.models import Role
from accounts.services import membership_ensure, organization_get_or_create, token_create
from synctasks.models import Calculation, DataSource, FeatureKind, SyncTask, TaskType
from synctasks.services import data_source_create, feature_type_ensure

SEED_KEYS = [
    "id",
    "filename",
    "uploader_name",
    "upload_file",
    "upload_date",
    "uploader",
    "datasource",
    "datasource_name",
    "datasource_owner",
    "sync_last_finished",
    "sync_status",
]


@dataclass
class Catalog:
    token: str
    supplier: object
    dataset: DataSource  # spatial csv, Organization Y
    measurements: DataSource  # timeseries csv, Organization Z
    rasters: DataSource  # tif
    geojson: DataSource
    documents: DataSource  # takes any format
    not_uploadable: DataSource
    foreign: DataSource  # owned by an organization the supplier is only a member of
    hidden: DataSource  # private, owned by an organization the supplier is not in
    calculation_task: SyncTask


@pytest.fixture
def catalog(django_user_model) -> Catalog:
    supplier = django_user_model.objects.create(username="supplier", name="Data supplier X")
    org_y = organization_get_or_create(name="Organization Y")
    org_z = organization_get_or_create(name="Organization Z")
    other = organization_get_or_create(name="Other organization")
    stranger = organization_get_or_create(name="Stranger")
    for org in (org_y, org_z):
        membership_ensure(user=supplier, organization=org, role=Role.UPLOADER)
    membership_ensure(user=supplier, organization=other, role=Role.MEMBER)
    spatial = feature_type_ensure(alias="location", kind=FeatureKind.SPATIAL)
    timeseries = feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES)
    raster = feature_type_ensure(alias="evaporation", kind=FeatureKind.RASTER)
    document = feature_type_ensure(alias="photo", kind=FeatureKind.DOCUMENT)

    def source(name, org, ext, feature_type, uploadable=True):
        return data_source_create(
            name=name, organization=org, ext=ext, uploadable=uploadable, feature_types=[feature_type]
        )

    return Catalog(
        token=token_create(user=supplier).raw,
        supplier=supplier,
        dataset=source("Dataset export", org_y, "csv", spatial),
        measurements=source("Measurements export", org_z, "csv", timeseries),
        rasters=source("Evaporation", org_y, "tif", raster),
        geojson=source("Parcels", org_y, "geojson", spatial),
        documents=source("Photos", org_y, "*", document),
        not_uploadable=source("Harvested only", org_y, "csv", timeseries, uploadable=False),
        foreign=source("Someone else's", other, "csv", timeseries),
        hidden=data_source_create(
            name="Secret", organization=stranger, ext="csv", uploadable=True, private=True, feature_types=[timeseries]
        ),
        calculation_task=SyncTask.objects.create(
            task_type=TaskType.CALCULATION,
            calculation=Calculation.objects.create(name="Daily mean", organization=org_y),
        ),
    )
