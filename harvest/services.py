"""The ingest engine's entry point: one blob of one data source in, a report out.

It knows nothing of who sent the bytes. The caller runs it inside a transaction: any error leaves
every stored row as it was. The format follows from the file's extension and the kinds of the data
source's connections; a zip is ingested member by member, in name order, as one ingest.
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

from blobs.archives import ArchiveRefused, member_basename
from blobs.selectors import blob_digests, blob_open, blob_open_seekable, blob_open_zip
from blobs.services import blob_bytes_delete, blob_write
from synctasks.models import DataConnection, DataSource, FeatureKind

from .appliers import (
    FeatureReplacer,
    MeasurementStager,
    document_store,
    frame_store,
    measurement_stager,
    stats_from_rows,
)
from .calculations import calculations_mark_changed
from .formats import extension_of, format_for
from .models import Document, RasterFrame
from .parsers.common import ErrorLog, IngestFailed, InputRefused, OutOfRange, Timestamps
from .parsers.raster import NotARaster, tiff_info, timestamp_from_filename

if TYPE_CHECKING:
    from blobs.models import Blob

__all__ = ["CHUNK", "IngestFailed", "empty_report", "ingest"]

CHUNK = 1024 * 1024


def empty_report() -> dict:
    return {
        "rows_inserted": 0,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "features_replaced": 0,
        "frames_stored": 0,
        "documents_stored": 0,
        "errors": [],
    }


class _Ingest:
    """The state of one ingest: the data source's connections by kind and what each received."""

    def __init__(self, data_source: DataSource):
        self.data_source = data_source
        connections = list(
            DataConnection.objects.select_related("feature_type").filter(sync_task__data_source=data_source)
        )
        self.by_kind: dict[str, DataConnection] = {}
        for dc in connections:
            self.by_kind.setdefault(dc.feature_type.kind, dc)
        self.zone = ZoneInfo(data_source.time_zone or "UTC")
        self.timestamps = Timestamps(self.zone)
        self.log = ErrorLog()
        self.report = empty_report()
        self.stager: MeasurementStager | None = None
        self.replacer: FeatureReplacer | None = None
        self.frames = self.documents = False
        # Keys of blobs this ingest wrote (zip members): their bytes go if the ingest fails.
        self.created: list[str] = []

    def connection(self, kind: str, what: str) -> DataConnection:
        dc = self.by_kind.get(kind)
        if dc is None:
            raise IngestFailed(
                [f"{self.log.where}data source '{self.data_source.name}' has no {kind} data connection for {what}."]
            )
        return dc

    def measurements(self) -> MeasurementStager:
        if self.stager is None:
            self.stager = measurement_stager(self.connection(FeatureKind.TIMESERIES, "timeseries"), log=self.log)
        return self.stager

    def features(self) -> FeatureReplacer:
        if self.replacer is None:
            self.replacer = FeatureReplacer(self.connection(FeatureKind.SPATIAL, "spatial features"))
        return self.replacer

    def only_documents(self) -> bool:
        return set(self.by_kind) == {FeatureKind.DOCUMENT}

    # --- one file -----------------------------------------------------------------------------

    def file(self, name: str, open_binary: Callable, as_blob: Callable[[], Blob]) -> None:
        try:
            self._file(name, open_binary, as_blob)
        except InputRefused as refusal:
            # A bound of the parsers (line, field, nesting, ...): the file is refused here, named.
            self.log.where = self.log.where or f"{name}: "
            self.log.add(str(refusal))
            self.log.raise_if_any()
        except UnicodeDecodeError as error:
            self.log.add(f"the file is not UTF-8 text ({error.reason}: byte {error.object[error.start : error.end]!r})")
            # Stop here: the upsert of this file was abandoned mid-statement (the transaction can
            # take no more), and the errors so far are the report.
            self.log.raise_if_any()

    def _file(self, name: str, open_binary: Callable, as_blob: Callable[[], Blob]) -> None:
        ext = extension_of(name)
        entry = None if self.only_documents() else format_for(ext, self.by_kind)
        if entry is not None:
            entry.read(self, name, open_binary, as_blob)
        elif FeatureKind.DOCUMENT in self.by_kind:
            self.document(name, as_blob())
        else:
            raise IngestFailed(
                [f"{self.log.where}no ingest for '.{ext}' files in data source '{self.data_source.name}'."]
            )

    def raster(self, name: str, blob: Blob) -> None:
        dc = self.connection(FeatureKind.RASTER, "rasters")
        try:
            when = timestamp_from_filename(name, self.zone)
        except OutOfRange as error:
            self.log.add(f"the date in the name of '{name}' {error}")
            return
        if when is None:
            self.log.add(f"'{name}' has no date in its name (e.g. evaporation2020-1-1.tif or ..._20200101.tif)")
            return
        try:
            with blob_open_seekable(key=blob.key) as stream:
                info = tiff_info(stream)
        except NotARaster as error:
            self.log.add(f"'{name}' is {error}")
            return
        frame_store(data_connection=dc, timestamp=when, blob=blob, info=info)
        self.report["frames_stored"] += 1
        self.frames = True

    def document(self, name: str, blob: Blob) -> None:
        dc = self.connection(FeatureKind.DOCUMENT, "documents")
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        document_store(data_connection=dc, filename=name, blob=blob, media_type=media_type, timestamp=timezone.now())
        self.report["documents_stored"] += 1
        self.documents = True

    # --- the end --------------------------------------------------------------------------------

    def finish(self) -> dict:
        self.log.where = ""
        self.log.raise_if_any()
        if self.stager is not None:
            self.report.update(self.stager.finish())
        if self.replacer is not None:
            self.report["features_replaced"] = self.replacer.finish()
        if self.frames:
            stats_from_rows(data_connection=self.by_kind[FeatureKind.RASTER], model=RasterFrame)
        if self.documents:
            stats_from_rows(data_connection=self.by_kind[FeatureKind.DOCUMENT], model=Document)
        return self.report


def _verify(blob: Blob, filename: str) -> None:
    """The stored bytes are the ones that were uploaded (size and SHA-256 as recorded)."""
    found = blob_digests(key=blob.key, hashes=("sha256",))
    sha256 = found.digests["sha256"]
    if found.size != blob.size or sha256 != blob.sha256:
        raise IngestFailed(
            [
                f"The stored bytes of '{filename}' do not match the upload: expected {blob.size} bytes with "
                f"SHA-256 {blob.sha256}, found {found.size} bytes with SHA-256 {sha256}."
            ]
        )


def ingest(*, blob: Blob, data_source: DataSource, filename: str) -> dict:
    """Ingests the blob into the data source's stored data; raises IngestFailed, changing nothing
    (the caller's transaction is rolled back)."""
    started = time.monotonic()
    _verify(blob, filename)
    state = _Ingest(data_source)
    try:
        report = _run(state, blob=blob, filename=filename)
        calculations_mark_changed(data_source=data_source)
    except BaseException:
        # The caller's rollback removes the rows; the bytes written for them are removed here.
        blob_bytes_delete(keys=state.created)
        raise
    report["duration_s"] = round(time.monotonic() - started, 3)
    return report


def _run(state: _Ingest, *, blob: Blob, filename: str) -> dict:
    if extension_of(filename) == "zip" and not state.only_documents():
        # Uploads and harvests alike: the archive is read within blobs' zip limits, member bytes
        # counted as they are decompressed; a refusal names the member.
        try:
            with blob_open_zip(key=blob.key, name=f"'{filename}'") as archive:
                members = sorted(archive.members, key=lambda i: i.filename)
                for info in members:
                    name = member_basename(info)
                    state.log.where = f"{info.orig_filename}: "

                    def member_blob(info=info, name=name):
                        stored = blob_write(
                            chunks=archive.chunks(info, CHUNK),
                            media_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
                        )
                        state.created.append(stored.key)
                        return stored

                    state.file(name, lambda info=info: archive.open(info), member_blob)
                state.report["members"] = len(members)
        except ArchiveRefused as refusal:
            state.log.where = ""
            state.log.add(refusal.message)
            state.log.raise_if_any()
    else:
        state.file(filename, lambda: blob_open(blob=blob), lambda: blob)
    return state.finish()
