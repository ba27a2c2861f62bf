"""URL roots of every dialect, the admin, the OpenAPI schema, Swagger UI and the health check."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from .health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("", include("blobs.urls")),
    path("", include("uploads.urls")),
    path("", include("synctasks.urls")),
    path("", include("datasets.urls")),
    path("", include("harvest.urls")),
    path("", include("files.urls")),
]
