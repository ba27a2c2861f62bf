"""The real URLs plus views that raise a bug, one under each dialect's root and one plain Django view."""

from django.urls import include, path, re_path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from datasets.cdg.apis import CdgView
from datasets.dataverse.apis import DataverseView
from files.api.base import DeltaView
from nexus_server.urls import handler400, handler403, handler404, handler500  # noqa: F401 (Django reads them here)


def _boom(*args, **kwargs):
    raise ZeroDivisionError("a bug on purpose")


class NexusBoom(APIView):
    permission_classes = [AllowAny]
    get = post = _boom


class DeltaBoom(DeltaView):
    get = post = _boom


class CdgBoom(CdgView):
    get = post = _boom


class DataverseBoom(DataverseView):
    get = post = _boom


def plain_boom(request):
    _boom()


urlpatterns = [
    path("api/v1/boom/", NexusBoom.as_view()),
    path("v1/orgs/boom/x", DeltaBoom.as_view()),
    re_path(r"^v1/orgs/boom/any/", DeltaBoom.as_view()),
    path("api/v1/dataset/boom/files.json", CdgBoom.as_view()),
    re_path(r"^api/datasets/boom/?$", DataverseBoom.as_view()),
    path("blobs/boom", plain_boom),
    path("api/v1/dataset/plain/files.json", plain_boom),
    path("", include("nexus_server.urls")),
]


class RaisingMiddleware:
    """Raises before any view for requests that send `X-Boom`: an exception outside every view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_BOOM" in request.META:
            _boom()
        return self.get_response(request)
