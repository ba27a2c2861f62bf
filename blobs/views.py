"""The signed, expiring download link of local storage, served as a stream."""

from django.http import FileResponse, HttpResponseForbidden

from .selectors import LinkRefused, blob_from_signed_link, blob_open


def download(request, signed: str, filename: str):
    try:
        blob, name = blob_from_signed_link(signed=signed, filename=filename)
    except LinkRefused as refused:
        return HttpResponseForbidden(str(refused), content_type="text/plain")
    response = FileResponse(
        blob_open(blob=blob), as_attachment=True, filename=name or None, content_type=blob.media_type
    )
    response["Content-Length"] = str(blob.size)
    response["ETag"] = f'"{blob.sha256}"'
    return response
