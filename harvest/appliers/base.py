"""The interface of the timeseries upsert: one ingest's points in, counts and connection stats out."""

from abc import ABC, abstractmethod
from collections.abc import Iterable

from synctasks.models import DataConnection
from synctasks.services import data_connection_statistics_update

from ..locks import series_lock
from ..models import Series
from ..parsers.common import ErrorLog
from ..parsers.timeseries import Point


def series_feature_count(*, data_connection_id: int) -> int:
    """How many features of a timeseries connection have data (series without rows are removed)."""
    return Series.objects.filter(data_connection_id=data_connection_id).values("feature_key").distinct().count()


class MeasurementStager(ABC):
    """Upserts the points of one ingest (all members of a zip): the newest upload wins per key;
    within an ingest, the last point for a key wins. Memory is bounded by the chunk size, not the
    file's. Two implementations, chosen once by the connection's vendor (measurement_stager()):
    PostgreSQL's COPY applied set-wise in a helper thread, and the ORM's portable bulk upsert."""

    CHUNK_POINTS = 100_000
    # Series ids remembered while parsing: beyond this many, the cache starts again (a file of
    # millions of one-point series must not hold them all).
    SERIES_CACHE = 200_000

    def __init__(self, data_connection: DataConnection, log: ErrorLog | None = None):
        self.dc = data_connection
        self.log = log
        self.received = 0
        self.oldest = self.newest = None
        # (feature, parameter) -> this ingest's own id for the series (PostgreSQL) or its row id.
        self.series: dict[tuple[str, str], int] = {}
        series_lock(data_connection_id=self.dc.pk, wait=True)

    def _failed(self) -> bool:
        return self.log is not None and self.log.total > 0

    @abstractmethod
    def add(self, points: Iterable[Point]) -> None:
        """Upserts the points (may be called once per file of the ingest)."""

    @abstractmethod
    def _counts(self) -> tuple[int, int]:
        """(rows inserted, rows updated) once every point is in, each series' newest_time kept."""

    def finish(self) -> dict:
        """The counts, with the connection's stats brought up to date (call once the points are in)."""
        if not self.received:
            return {"rows_inserted": 0, "rows_updated": 0, "rows_unchanged": 0}
        inserted, updated = self._counts()
        data_connection_statistics_update(
            data_connection_id=self.dc.pk,
            n_features=series_feature_count(data_connection_id=self.dc.pk),
            oldest_time=self.oldest,
            newest_time=self.newest,
            widen=True,
        )
        return {
            "rows_inserted": inserted,
            "rows_updated": updated,
            "rows_unchanged": self.received - inserted - updated,
        }
