"""The ingest engine's entry point: one blob of one data source in, a report out.

It knows nothing of who sent the bytes. Today it verifies the stored bytes against their recorded
size and SHA-256; the format parsers and appliers (timeseries append, spatial replace, rasters,
documents) plug in here.
"""

import hashlib
import time

from blobs.models import Blob
from blobs.selectors import blob_iter_chunks
from synctasks.models import DataSource


class IngestFailed(Exception):
    """The bytes cannot be ingested; `errors` are readable reasons (with line numbers where known)."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def empty_report() -> dict:
    return {
        "rows_inserted": 0,
        "rows_updated": 0,
        "features_replaced": 0,
        "frames_stored": 0,
        "documents_stored": 0,
        "errors": [],
    }


def ingest(*, blob: Blob, data_source: DataSource, filename: str) -> dict:
    """Ingests the blob into the data source's stored data; raises IngestFailed, changing nothing."""
    started = time.monotonic()
    digest = hashlib.sha256()
    size = 0
    for chunk in blob_iter_chunks(blob=blob):
        digest.update(chunk)
        size += len(chunk)
    if size != blob.size or digest.hexdigest() != blob.sha256:
        raise IngestFailed(
            [
                f"The stored bytes of '{filename}' do not match the upload: expected {blob.size} bytes with "
                f"SHA-256 {blob.sha256}, found {size} bytes with SHA-256 {digest.hexdigest()}."
            ]
        )
    return {**empty_report(), "bytes_verified": size, "duration_s": round(time.monotonic() - started, 3)}
