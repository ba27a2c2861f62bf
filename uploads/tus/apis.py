"""HTTP endpoints of resumable uploads (tus 1.0 core, creation, creation-with-upload, termination,
expiration, checksum) at /api/v1/uploads/tus/ and /api/v1/uploads/tus/{id}/."""

from django.conf import settings
from django.urls import reverse
from django.utils.http import http_date
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from blobs.services import CHECKSUM_ALGORITHMS, StreamInterrupted
from uploads.serializers import absolute_base

from . import headers as tus_headers
from .services import tus_append, tus_create, tus_get, tus_terminate

READ_CHUNK = 1024 * 1024


def _body(request, length: int):
    """The request body in chunks, never whole; StreamInterrupted when it ends before `length`."""
    remaining = length
    while remaining > 0:
        try:
            chunk = request._request.read(min(READ_CHUNK, remaining))
        except OSError:  # UnreadablePostError, a reset connection
            raise StreamInterrupted from None
        if not chunk:
            raise StreamInterrupted
        remaining -= len(chunk)
        yield chunk


def _state_headers(request, tus) -> dict:
    answer = {"Upload-Offset": str(tus.offset)}
    if tus.upload_id is not None:
        # The ordinary upload it became: its id, and where its status and ingest report are read.
        path = reverse("upload-detail", kwargs={"pk": tus.upload_id})
        answer["Nexus-Upload-Id"] = str(tus.upload_id)
        answer["Nexus-Upload"] = f"{absolute_base(request)}{path}"
    else:
        answer["Upload-Expires"] = http_date(tus.expires_at.timestamp())
    return answer


@extend_schema(exclude=True)  # the tus protocol is headers only; described in the README
class TusBaseApi(APIView):
    def get_permissions(self):
        # Discovery (OPTIONS) needs no token, as tus clients and browsers send none there.
        return [AllowAny()] if self.request.method == "OPTIONS" else [IsAuthenticated()]

    def initial(self, request, *args, **kwargs):
        if request.method != "OPTIONS":
            tus_headers.check_version(request.headers)
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Tus-Resumable"] = tus_headers.TUS_VERSION
        if response.status_code == 412:
            response["Tus-Version"] = tus_headers.TUS_VERSION
        if response.status_code == 460:
            response.reason_phrase = "Checksum Mismatch"
        return response

    def options(self, request, *args, **kwargs):
        return Response(
            status=204,
            headers={
                "Tus-Version": tus_headers.TUS_VERSION,
                "Tus-Extension": tus_headers.TUS_EXTENSIONS,
                "Tus-Max-Size": str(settings.NEXUS_MAX_UPLOAD_BYTES),
                "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
            },
        )


class TusCreateApi(TusBaseApi):
    def post(self, request):
        length = tus_headers.creation_length(request.headers)
        metadata = tus_headers.metadata(request.headers)
        body_length = tus_headers.content_length(request.headers, required=False)
        checksum = None
        if body_length:  # creation-with-upload: the first bytes come with the POST
            tus_headers.check_offset_type(request.headers)
            checksum = tus_headers.checksum(request.headers)
        tus = tus_create(user=request.user, length=length, metadata=metadata)
        if body_length:
            tus = tus_append(
                user=request.user,
                upload_id=tus.pk,
                offset=0,
                length=None,
                checksum=checksum,
                content_length=body_length,
                chunks=_body(request, body_length),
            )
        location = f"{absolute_base(request)}{reverse('upload-tus-detail', kwargs={'upload_id': tus.pk})}"
        return Response(status=201, headers={"Location": location, **_state_headers(request, tus)})


class TusUploadApi(TusBaseApi):
    def head(self, request, upload_id):
        tus = tus_get(user=request.user, upload_id=upload_id)
        answer = {**_state_headers(request, tus), "Cache-Control": "no-store"}
        if tus.length is None:
            answer["Upload-Defer-Length"] = "1"
        else:
            answer["Upload-Length"] = str(tus.length)
        if tus.metadata:
            answer["Upload-Metadata"] = tus_headers.encode_metadata(tus.metadata)
        return Response(status=200, headers=answer)

    def patch(self, request, upload_id):
        tus_headers.check_offset_type(request.headers)
        length = tus_headers.content_length(request.headers)
        tus = tus_append(
            user=request.user,
            upload_id=upload_id,
            offset=tus_headers.offset(request.headers),
            length=tus_headers.optional_length(request.headers),
            checksum=tus_headers.checksum(request.headers),
            content_length=length,
            chunks=_body(request, length),
        )
        return Response(status=204, headers=_state_headers(request, tus))

    def delete(self, request, upload_id):
        tus_terminate(user=request.user, upload_id=upload_id)
        return Response(status=204)
