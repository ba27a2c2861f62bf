"""Request-size refusal before the body is read, and removal of uploads a request did not record."""

import logging

from django.conf import settings

from core.dialects import error_response

from .services import BlobTooLarge, blob_staging_scope
from .uploadhandler import BlobUploadHandler

logger = logging.getLogger(__name__)


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
    """After the response: bytes that the request wrote but that no committed Blob row records (the
    view failed or refused the request, the database went away) are deleted, as is any half-written
    file or multipart upload. Keys the request never handed to blob_record go without asking the
    database, so a lost database leaves nothing behind either."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with blob_staging_scope():
            try:
                return self.get_response(request)
            finally:
                handlers = getattr(request, "_upload_handlers", None) or []
                for handler in handlers:
                    if isinstance(handler, BlobUploadHandler):
                        try:
                            handler.abort_current()
                        except Exception:  # storage down: the response stands, the sweep cleans up
                            logger.warning("could not abort a partial upload", exc_info=True)
