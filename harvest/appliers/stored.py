"""Appliers of features, raster frames and documents: rows replaced inside the ingest's transaction."""

from collections.abc import Iterable

from django.db.models import Count, Max, Min

from synctasks.models import DataConnection
from synctasks.services import data_connection_statistics_update

from ..models import Document, Feature, RasterFrame

FEATURE_BATCH = 1000


class FeatureReplacer:
    """Replaces a connection's feature set inside the ingest's transaction: readers see the old set
    until it commits, then the new one. Several files (zip members) add up to the new set."""

    def __init__(self, data_connection: DataConnection):
        self.dc = data_connection
        self.started = False

    def add(self, features: Iterable[dict]) -> None:
        if not self.started:
            Feature.objects.filter(data_connection=self.dc).delete()
            self.started = True
        batch: dict[str, Feature] = {}
        for item in features:
            batch[item["key"]] = Feature(
                data_connection=self.dc, key=item["key"], geometry=item["geometry"], properties=item["properties"]
            )
            if len(batch) >= FEATURE_BATCH:
                self._flush(batch)
        self._flush(batch)

    def _flush(self, batch: dict) -> None:
        if batch:
            Feature.objects.bulk_create(
                batch.values(),
                update_conflicts=True,
                unique_fields=["data_connection", "key"],
                update_fields=["geometry", "properties"],
            )
            batch.clear()

    def finish(self) -> int:
        if not self.started:
            return 0
        count = Feature.objects.filter(data_connection=self.dc).count()
        data_connection_statistics_update(data_connection_id=self.dc.pk, n_features=count)
        return count


def frame_store(*, data_connection: DataConnection, timestamp, blob, info: dict) -> None:
    RasterFrame.objects.update_or_create(
        data_connection=data_connection,
        timestamp=timestamp,
        defaults={"blob": blob, "width": info["width"], "height": info["height"], "bounds": info["bounds"]},
    )


def document_store(*, data_connection: DataConnection, filename: str, blob, media_type: str, timestamp) -> None:
    Document.objects.update_or_create(
        data_connection=data_connection,
        filename=filename,
        defaults={"blob": blob, "media_type": media_type, "timestamp": timestamp},
    )


def stats_from_rows(*, data_connection: DataConnection, model) -> None:
    """n_features / oldest / newest of frame and document connections (small tables)."""
    stats = model.objects.filter(data_connection=data_connection).aggregate(
        n=Count("id"), oldest=Min("timestamp"), newest=Max("timestamp")
    )
    data_connection_statistics_update(
        data_connection_id=data_connection.pk,
        n_features=stats["n"],
        oldest_time=stats["oldest"],
        newest_time=stats["newest"],
    )
