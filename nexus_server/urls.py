"""URL roots of every dialect, the admin, the OpenAPI schema, Swagger UI, ReDoc, the health checks and the metrics."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .health import healthz, readyz
from .metrics import metrics

# The admin's lists get the page's width (a 1400 px screen shows every column): the models are
# listed on the admin's index page, one click away (Home), not beside every page.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("blobs.urls")),
    path("", include("uploads.urls")),
    path("", include("synctasks.urls")),
    path("", include("datasets.urls")),
    path("", include("harvest.urls")),
    path("", include("files.urls")),
]

# Django's own error pages are HTML: every dialect answers JSON in its own shape instead.
handler400 = "core.failsafe.bad_request"
handler403 = "core.failsafe.permission_denied"
handler404 = "core.failsafe.not_found"
handler500 = "core.failsafe.server_error"
