"""The timeseries upsert on any other database (SQLite): the ORM's conflict-aware bulk insert."""

from collections.abc import Iterable, Iterator

from django.db.models import Max, OuterRef, Subquery

from synctasks.models import DataConnection

from ..models import Measurement, Series
from ..parsers.common import ErrorLog
from ..parsers.timeseries import Point
from .base import MeasurementStager

SQLITE_BATCH = 2000


class PortableMeasurementStager(MeasurementStager):
    """Series rows made as they are met, points bulk-upserted in batches through the ORM."""

    def __init__(self, data_connection: DataConnection, log: ErrorLog | None = None):
        super().__init__(data_connection, log)
        self._count_before = None

    def add(self, points: Iterable[Point]) -> None:
        self._bulk(iter(points))

    def _series_id(self, feature: str, parameter: str) -> int:
        key = (feature, parameter)
        sid = self.series.get(key)
        if sid is None:
            if len(self.series) >= self.SERIES_CACHE:
                self.series.clear()
            sid = self.series[key] = Series.objects.get_or_create(
                data_connection=self.dc, feature_key=feature, parameter=parameter
            )[0].pk
        return sid

    def _bulk(self, points: Iterator[Point]) -> None:
        if self._count_before is None:
            self._count_before = Measurement.objects.filter(series__data_connection=self.dc).count()
        batch: dict[tuple, Measurement] = {}
        for point in points:
            self.received += 1
            when = point.timestamp
            if self.oldest is None or when < self.oldest:
                self.oldest = when
            if self.newest is None or when > self.newest:
                self.newest = when
            if self._failed():
                continue
            sid = self._series_id(point.feature, point.parameter)
            batch[(sid, when)] = Measurement(series_id=sid, timestamp=when, value=point.value)
            if len(batch) >= SQLITE_BATCH:
                self._flush(batch)
        self._flush(batch)

    def _flush(self, batch: dict) -> None:
        if batch:
            Measurement.objects.bulk_create(
                batch.values(), update_conflicts=True, unique_fields=["series", "timestamp"], update_fields=["value"]
            )
            batch.clear()

    def _counts(self) -> tuple[int, int]:
        self._keep_newest()
        after = Measurement.objects.filter(series__data_connection=self.dc).count()
        inserted = after - self._count_before
        # The ORM does not say which conflicting rows changed: on SQLite every conflict counts as updated.
        return inserted, self.received - inserted

    def _keep_newest(self) -> None:
        newest = (
            Measurement.objects.filter(series=OuterRef("pk")).order_by().values("series").annotate(n=Max("timestamp"))
        )
        Series.objects.filter(data_connection=self.dc).update(newest_time=Subquery(newest.values("n")))
