"""Harvest adapters: the HTTP request that fetches what a data source's endpoint has new."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Max

from synctasks.models import DataConnection, DataSource, FeatureKind

from .models import Measurement
from .parsers.knmi import VARIABLES

KNMI_PATH = "/klimatologie/daggegevens"


@dataclass
class FetchRequest:
    method: str
    url: str
    data: dict = field(default_factory=dict)
    filename: str = "harvest"

    def describe(self) -> dict:
        return {"method": self.method, "url": self.url, "data": self.data}


def _knmi(source: DataSource, connections: list[DataConnection]) -> FetchRequest:
    """KNMI daily data: the window since the newest stored day (less an overlap, for late
    corrections), for the variables its timeseries connection outputs, all stations."""
    series = next((dc for dc in connections if dc.feature_type.kind == FeatureKind.TIMESERIES), None)
    newest = (
        Measurement.objects.filter(series__data_connection=series).aggregate(m=Max("timestamp"))["m"]
        if series
        else None
    )
    today = datetime.now(UTC).date()
    overlap = timedelta(days=settings.NEXUS_KNMI_OVERLAP_DAYS)
    start = newest.date() - overlap if newest else today - timedelta(days=settings.NEXUS_KNMI_FIRST_DAYS)
    wanted = {f"parameter:{name}" for name, _factor in VARIABLES.values()}
    params = set(series.output_params) & wanted if series else wanted
    codes = [code for code, (name, _f) in VARIABLES.items() if f"parameter:{name}" in params] or list(VARIABLES)
    return FetchRequest(
        method="POST",
        url=source.endpoint.rstrip("/") + KNMI_PATH,
        data={
            "start": start.strftime("%Y%m%d"),
            "end": today.strftime("%Y%m%d"),
            "vars": ":".join(codes),
            "stns": "ALL",
        },
        filename=f"knmi_{start:%Y%m%d}_{today:%Y%m%d}.txt",
    )


def fetch_request_for(source: DataSource) -> FetchRequest:
    """The request for a source: KNMI's daily data for `txt` sources, else a GET of the endpoint."""
    connections = list(DataConnection.objects.select_related("feature_type").filter(sync_task__data_source=source))
    if source.ext == "txt":
        return _knmi(source, connections)
    return FetchRequest(method="GET", url=source.endpoint, filename=f"harvest.{source.ext}")
