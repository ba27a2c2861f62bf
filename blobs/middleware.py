"""Request-size refusal before the body is read, and removal of uploads a request did not record."""

from django.conf import settings

from nexus_server.dialects import error_response

from .services import BlobTooLarge, blob_discard_staged
from .uploadhandler import BlobUploadHandler


class RequestSizeLimitMiddleware:
    """A declared Content-Length over the upload limit (plus room for the multipart envelope) is
    answered 413 at once, without reading the body. Bodies past the limit while streaming are cut
    off by the upload handler and answered 413 here when the view did not render it itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.NEXUS_MAX_UPLOAD_BYTES + settings.NEXUS_MAX_REQUEST_OVERHEAD_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return error_response(
                request.path,
                status=413,
                message=f"Request body of {declared} bytes exceeds the maximum upload size of "
                f"{settings.NEXUS_MAX_UPLOAD_BYTES} bytes.",
            )
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, BlobTooLarge):
            return error_response(request.path, status=413, message=exception.message)
        return None


class DiscardUnrecordedUploadsMiddleware:
    """After the response: bytes that the request's upload handler staged but that no Blob row
    records (the view failed or refused the request) are deleted, as is any half-written file."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            return self.get_response(request)
        finally:
            handlers = getattr(request, "_upload_handlers", None) or []
            for handler in handlers:
                if isinstance(handler, BlobUploadHandler):
                    handler.abort_current()
                    blob_discard_staged(keys=[staged.key for staged in handler.staged])
