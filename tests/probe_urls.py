"""The real URLs plus two probe views: who the request is, and a multipart upload into blobs."""

from django.urls import include, path
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from blobs.services import blob_record
from core.errors import InvalidInput


class WhoAmI(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        user = request.user
        return Response({"user": user.username if user.is_authenticated else None})

    post = get


class ProbeUpload(APIView):
    """Records each uploaded file as a blob, unless `fail` is sent (then records nothing)."""

    permission_classes = [AllowAny]
    parser_classes = [MultiPartParser]

    def post(self, request):
        if "fail" in request.data:
            raise InvalidInput("Refused on purpose.", field="fail")
        upload = request.FILES["upload_file"]
        blob = blob_record(staged=upload.staged, media_type=upload.content_type)
        return Response({"key": blob.key, "size": blob.size, "sha256": blob.sha256, "md5": blob.md5}, status=201)


urlpatterns = [
    path("probe/whoami/", WhoAmI.as_view()),
    path("probe/upload/", ProbeUpload.as_view()),
    path("", include("nexus_server.urls")),
]
