"""Dataverse's Access API: the file a `datafile` path names (restricted and draft files for the
dataset's writers only), its bytes streamed with a Content-Disposition, its errors' shape, and a
negotiation that leaves its `format` parameter to it."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import FileResponse
from rest_framework.negotiation import DefaultContentNegotiation

from blobs.selectors import blob_open
from core.errors import InvalidInput, NotFound

from ..models import DatasetFile
from .access import dataset_file_visible

# Query parameters that carry an API key: never echoed back in an error's `requestUrl`.
_KEY_PARAMS = {"key", "api-token", "token", "apikey"}


def datafile_for_access(*, user, ident: str, persistent_id: str | None) -> DatasetFile:
    """The file by its id; files have no persistent ids here, so one named by one is not found."""
    if ident == ":persistentId":
        if not persistent_id:
            raise InvalidInput("When accessing a datafile based on Persistent ID, a persistentId must be present.")
        raise NotFound(f"Datafile with Persistent ID {persistent_id} not found.")
    return dataset_file_visible(user=user, file_id=ident)


class FirstRenderer(DefaultContentNegotiation):
    """Always the view's first renderer: `?format=` is the Access API's own parameter, not DRF's."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _Download(FileResponse):
    # Read in chunks of 1 MiB (FileResponse's own 4 KiB means many small writes for a large file).
    block_size = 1024 * 1024


def datafile_response(file: DatasetFile, *, original: bool = False) -> FileResponse:
    """The bytes; with `original`, an ingested table's upload as it was sent (other files are their
    own original)."""
    blob, name, media_type = file.blob, file.name, file.media_type
    if original and file.original_blob_id is not None:
        blob, name, media_type = file.original_blob, file.original_name, file.original_media_type
    # Opened before the response starts, so that missing bytes are an error body, not a cut reply.
    # Content-Disposition as Dataverse sends it (`attachment; filename="..."`, RFC 6266's UTF-8 form
    # for other names).
    response = _Download(blob_open(blob=blob), content_type=media_type, as_attachment=True, filename=name)
    response["Content-Length"] = str(blob.size)
    return response


def access_error_response(response, request):
    """Dataverse's Access API error: the status body with `code`, `requestUrl` (without any key
    given in the query) and `requestMethod`."""
    if response is None or not isinstance(getattr(response, "data", None), dict):
        return response
    query = [(k, v) for k, values in request.query_params.lists() for v in values if k.lower() not in _KEY_PARAMS]
    url = request.build_absolute_uri(request.path)
    if query:
        url += "?" + urlencode(query)
    response.data = {
        "status": "ERROR",
        "code": response.status_code,
        "message": response.data.get("message", ""),
        "requestUrl": url,
        "requestMethod": request.method,
    }
    return response
