"""Appliers: stored data changed set-wise inside the ingest's transaction, with connection stats."""

import csv
import io
from collections.abc import Iterable, Iterator

from django.db import connection
from django.db.models import Count, Max, Min

from synctasks.models import DataConnection

from .models import Document, Feature, Measurement, RasterFrame
from .parsers.timeseries import Point

SQLITE_BATCH = 2000
FEATURE_BATCH = 1000


class _CopyFeed:
    """A file object for COPY ... FROM STDIN: CSV text produced from points as PostgreSQL reads it,
    noting the features and time range on the way."""

    def __init__(self, points: Iterator[Point], stager: "MeasurementStager"):
        self.points, self.stager = points, stager
        self.buffer = io.StringIO()
        self.writer = csv.writer(self.buffer, lineterminator="\n")
        self.iso: dict = {}
        # psycopg2 turns an exception inside read() into QueryCanceled: it is kept and raised after.
        self.error: BaseException | None = None

    def read(self, size: int = 65536) -> str:
        stager, writer, buffer, iso = self.stager, self.writer, self.buffer, self.iso
        buffer.seek(0)
        buffer.truncate()
        try:
            for point in self.points:
                stager.seq += 1
                stager.note(point)
                # Every feature repeats the same timestamps: each is formatted once.
                stamp = iso.get(point.timestamp)
                if stamp is None:
                    if len(iso) > 100_000:
                        iso.clear()
                    stamp = iso[point.timestamp] = point.timestamp.isoformat()
                writer.writerow((stager.seq, point.feature, point.parameter, stamp, point.value))
                if buffer.tell() >= size:
                    break
        except Exception as error:
            self.error = error
            return ""
        return buffer.getvalue()


class MeasurementStager:
    """Collects the points of one ingest (all members of a zip), then upserts them in one go: on
    PostgreSQL through COPY into a staging table and one set-based upsert, elsewhere through the
    ORM's conflict-aware bulk insert. The newest upload wins per key; within an ingest, the last
    point for a key wins."""

    def __init__(self, data_connection: DataConnection):
        self.dc = data_connection
        self.postgres = connection.vendor == "postgresql"
        self.seq = 0
        self.received = 0
        self.features: set[str] = set()
        self.oldest = self.newest = None
        self._staged = False
        self._count_before = None

    def note(self, point: Point) -> None:
        self.received += 1
        self.features.add(point.feature)
        if self.oldest is None or point.timestamp < self.oldest:
            self.oldest = point.timestamp
        if self.newest is None or point.timestamp > self.newest:
            self.newest = point.timestamp

    def add(self, points: Iterable[Point]) -> None:
        if self.postgres:
            self._copy(iter(points))
        else:
            self._bulk(iter(points))

    def _copy(self, points: Iterator[Point]) -> None:
        with connection.cursor() as cursor:
            if not self._staged:
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS harvest_stage "
                    "(seq bigint, feature_key text, parameter text, ts timestamptz, value double precision) "
                    "ON COMMIT DROP"
                )
                cursor.execute("TRUNCATE harvest_stage")
                self._staged = True
            feed = _CopyFeed(points, self)
            cursor.cursor.copy_expert(
                "COPY harvest_stage (seq, feature_key, parameter, ts, value) FROM STDIN WITH (FORMAT csv)",
                feed,
                size=1024 * 1024,
            )
            if feed.error is not None:
                raise feed.error

    def _bulk(self, points: Iterator[Point]) -> None:
        if self._count_before is None:
            self._count_before = Measurement.objects.filter(data_connection=self.dc).count()
        batch: dict[tuple, Measurement] = {}
        for point in points:
            self.note(point)
            batch[(point.feature, point.parameter, point.timestamp)] = Measurement(
                data_connection=self.dc,
                feature_key=point.feature,
                parameter=point.parameter,
                timestamp=point.timestamp,
                value=point.value,
            )
            if len(batch) >= SQLITE_BATCH:
                self._flush(batch)
        self._flush(batch)

    def _flush(self, batch: dict) -> None:
        if batch:
            Measurement.objects.bulk_create(
                batch.values(),
                update_conflicts=True,
                unique_fields=["data_connection", "feature_key", "parameter", "timestamp"],
                update_fields=["value"],
            )
            batch.clear()

    def finish(self) -> dict:
        """Applies what was staged; returns the counts, and updates the connection's stats."""
        if not self.received:
            return {"rows_inserted": 0, "rows_updated": 0, "rows_unchanged": 0}
        existing = self._existing_features() if self.postgres else None
        if self.postgres:
            inserted, updated = self._upsert_staged()
            new_features = len(self.features - existing)
        else:
            after = Measurement.objects.filter(data_connection=self.dc).count()
            inserted = after - self._count_before
            # The ORM does not say which conflicting rows changed: on SQLite every conflict counts as updated.
            updated = self.received - inserted
            new_features = None
        self._update_stats(new_features)
        return {
            "rows_inserted": inserted,
            "rows_updated": updated,
            "rows_unchanged": self.received - inserted - updated,
        }

    def _existing_features(self) -> set[str]:
        """Which of the file's features the connection already has: one index probe per feature."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT k FROM unnest(%s::text[]) AS k WHERE EXISTS (SELECT 1 FROM harvest_measurement m "
                "WHERE m.data_connection_id = %s AND m.feature_key = k)",
                [list(self.features), self.dc.pk],
            )
            return {row[0] for row in cursor.fetchall()}

    def _upsert_staged(self) -> tuple[int, int]:
        """Set-based: changed values updated through a join, new keys inserted through an anti-join.
        The ingest lock keeps other writers of this connection out between the two statements."""
        keys = (
            "m.data_connection_id = %s AND m.feature_key = s.feature_key AND m.parameter = s.parameter "
            'AND m."timestamp" = s.ts'
        )
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute("ANALYZE harvest_stage")
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM harvest_stage GROUP BY feature_key, parameter, ts HAVING count(*) > 1)"
            )
            source = "harvest_stage"
            if cursor.fetchone()[0]:
                # Within one ingest the last point for a key wins.
                cursor.execute(
                    "CREATE TEMP TABLE harvest_stage_last ON COMMIT DROP AS "
                    "SELECT DISTINCT ON (feature_key, parameter, ts) feature_key, parameter, ts, value "
                    "FROM harvest_stage ORDER BY feature_key, parameter, ts, seq DESC"
                )
                source = "harvest_stage_last"
            cursor.execute(
                f"UPDATE harvest_measurement m SET value = s.value FROM {source} s "  # noqa: S608 (fixed names)
                f"WHERE {keys} AND m.value IS DISTINCT FROM s.value",
                [self.dc.pk],
            )
            updated = cursor.rowcount
            # A plain insert of the keys the connection lacks (an anti-join), cheaper than ON CONFLICT's
            # speculative insertion per row; the ingest lock keeps other writers of the connection
            # out, and the unique constraint would refuse (failing the ingest) rather than duplicate.
            cursor.execute(
                'INSERT INTO harvest_measurement (data_connection_id, feature_key, parameter, "timestamp", value) '  # noqa: S608
                f"SELECT %s, s.feature_key, s.parameter, s.ts, s.value FROM {source} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM harvest_measurement m WHERE {keys})",
                [self.dc.pk, self.dc.pk],
            )
            inserted = cursor.rowcount
            cursor.execute("TRUNCATE harvest_stage")
            if source != "harvest_stage":
                cursor.execute(f"DROP TABLE {source}")
        return inserted, updated

    def _update_stats(self, new_features: int | None) -> None:
        dc = DataConnection.objects.select_for_update().get(pk=self.dc.pk)
        if new_features is None:
            dc.n_features = Measurement.objects.filter(data_connection=dc).values("feature_key").distinct().count()
        else:
            dc.n_features += new_features
        dc.oldest_time = min(filter(None, [dc.oldest_time, self.oldest]))
        dc.newest_time = max(filter(None, [dc.newest_time, self.newest]))
        dc.save(update_fields=["n_features", "oldest_time", "newest_time"])


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
        DataConnection.objects.filter(pk=self.dc.pk).update(n_features=count)
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
    DataConnection.objects.filter(pk=data_connection.pk).update(
        n_features=stats["n"], oldest_time=stats["oldest"], newest_time=stats["newest"]
    )
