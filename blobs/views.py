"""Local storage's signed links: the expiring download (streamed) and the direct-upload PUT."""

from django.http import FileResponse, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .selectors import LinkRefused, blob_from_signed_link, blob_open
from .services import PutRefused, direct_put_receive


# Exempt so that any other method meets the 405 below, not CSRF's 403: a download changes nothing.
@csrf_exempt
@require_http_methods(["GET", "HEAD"])
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


@csrf_exempt
@require_http_methods(["PUT"])
def direct_put(request, signed: str):
    """The local storage's pre-signed PUT: the whole object or one part; 200 with its ETag, as S3."""
    try:
        length = int(request.META["CONTENT_LENGTH"]) if request.META.get("CONTENT_LENGTH") else None
    except ValueError:
        length = None
    try:
        etag = direct_put_receive(signed=signed, stream=request, content_length=length)
    except PutRefused as refused:
        return HttpResponse(refused.message, status=refused.status, content_type="text/plain")
    response = HttpResponse(status=200)
    response["ETag"] = etag
    return response
