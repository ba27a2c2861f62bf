"""The uploads tests' helpers: the catalog of sources the supplier may and may not upload to, the
keys of an upload as the seeds show it, curl-like multipart posts, and a generated multipart stream."""

import hashlib
import time
import uuid
from dataclasses import dataclass

import requests

from accounts.models import Role
from accounts.services import membership_ensure, organization_get_or_create, token_create
from synctasks.models import Calculation, DataSource, FeatureKind, SyncTask, TaskType
from synctasks.services import data_source_create, feature_type_ensure
from tests.support.accounts import supplier_create
from tests.support.data import pattern

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


def catalog_create() -> Catalog:
    """The supplier, an uploader of Organizations Y and Z and a member of another, and sources of each kind."""
    supplier, org_y = supplier_create()
    org_z = organization_get_or_create(name="Organization Z")
    other = organization_get_or_create(name="Other organization")
    stranger = organization_get_or_create(name="Stranger")
    membership_ensure(user=supplier, organization=org_z, role=Role.UPLOADER)
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


def post_upload(
    base_url,
    token,
    *,
    datasource=None,
    filename="dataset.csv",
    content=b"a,b\n1,2\n",
    path=None,
    extra=None,
    token_param="token",
):
    """What `curl -F datasource=.. -F upload_file=@file "...?token=.."` sends."""
    data = {} if datasource is None else {"datasource": str(datasource)}
    data.update(extra or {})
    files = None if filename is None else {"upload_file": (filename, content, "application/octet-stream")}
    url = f"{base_url}{path or '/api/v1/uploads/'}"
    if token is not None:
        url += f"?{token_param}={token}"
    return requests.post(url, data=data, files=files, timeout=60)


class GeneratedMultipart:
    """A multipart body with one generated file of `size` bytes, produced chunk by chunk as it is
    sent (never held in memory); `len()` gives requests its Content-Length."""

    CHUNK = 1024 * 1024

    def __init__(self, *, fields: dict, filename: str, size: int):
        self.boundary = uuid.uuid4().hex
        head = "".join(
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
            for name, value in fields.items()
        )
        head += (
            f'--{self.boundary}\r\nContent-Disposition: form-data; name="upload_file"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        )
        self.head, self.tail, self.size = head.encode(), f"\r\n--{self.boundary}--\r\n".encode(), size
        self.block = pattern(self.CHUNK, seed=11)

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def file_chunks(self):
        remaining = self.size
        while remaining:
            chunk = self.block[: min(self.CHUNK, remaining)]
            remaining -= len(chunk)
            yield chunk

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for chunk in self.file_chunks():
            digest.update(chunk)
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.head) + self.size + len(self.tail)

    def __iter__(self):
        yield self.head
        yield from self.file_chunks()
        yield self.tail


# One row of the measurements source's timeseries CSV (feature, parameter, timestamp, value).
MEASUREMENT_CSV = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1.5\n"


def get_upload_waiting(base_url, token, upload_id, wait):
    """`GET /api/v1/uploads/{id}/?wait=N`: the answer, and how many seconds it took to come."""
    started = time.monotonic()
    answer = requests.get(f"{base_url}/api/v1/uploads/{upload_id}/?token={token}&wait={wait}", timeout=90)
    return answer, time.monotonic() - started
