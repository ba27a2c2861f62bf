"""Dataverse's tabular ingest of a native upload: a `.csv` or `.tsv` also kept as the `.tab` Dataverse
makes of it (tab-separated, its name ending in `.tab`), the original downloadable beside it."""

from __future__ import annotations

import codecs
import csv
import io

from django.conf import settings

from blobs.selectors import blob_open_seekable
from blobs.services import StagedBlob, blob_discard_staged, blob_stage

TAB_TYPE = "text/tab-separated-values"
_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_ORIGINAL_TYPES = {".csv": "text/csv", ".tsv": "text/tab-separated-values"}


def ingestible(name: str) -> str | None:
    """The extension (`.csv`, `.tsv`) of a file Dataverse ingests, else None."""
    lower = name.lower()
    return next((ext for ext in _DELIMITERS if lower.endswith(ext) and len(lower) > len(ext)), None)


def tab_name(name: str) -> str:
    """Dataverse's name of the ingested file: `rain.csv` becomes `rain.tab`."""
    return name[: name.rfind(".")] + ".tab"


def original_type(ext: str) -> str:
    return _ORIGINAL_TYPES[ext]


class _Refused(Exception):
    pass


def _rows_as_tab(reader, limit: int):
    """The rows as tab-separated lines (fields with a tab, quote or line break quoted), in chunks;
    a line longer than `limit` characters ends the ingest (the file then stays as uploaded)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t", lineterminator="\n")
    for row in reader:
        writer.writerow(row)
        if out.tell() > limit:
            raise _Refused
        yield out.getvalue().encode("utf-8")
        out.seek(0)
        out.truncate()


def tab_ingest(*, staged: StagedBlob, ext: str) -> StagedBlob | None:
    """The staged `.tab` made of the staged original, or None when it cannot be read as UTF-8 CSV
    within the bounds (rows of at most NEXUS_DATAVERSE_MAX_TAB_LINE_CHARS characters); as in
    Dataverse, a failed ingest leaves the file as it was uploaded."""
    limit = settings.NEXUS_DATAVERSE_MAX_TAB_LINE_CHARS
    source = blob_open_seekable(key=staged.key)
    try:
        text = codecs.getreader("utf-8-sig")(source, errors="strict")
        reader = csv.reader(text, delimiter=_DELIMITERS[ext], strict=True)
        return blob_stage(chunks=_rows_as_tab(reader, limit), media_type=TAB_TYPE)
    except (_Refused, csv.Error, UnicodeDecodeError):
        return None
    finally:
        source.close()


def tab_discard(staged: StagedBlob | None) -> None:
    if staged is not None:
        blob_discard_staged(keys=[staged.key])
