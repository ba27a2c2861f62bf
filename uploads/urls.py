"""URLs of uploads: /api/v1/uploads/ and the sync task upload actions (uploads owns uploading)."""

from django.urls import path

from . import apis
from .tus import apis as tus_apis

urlpatterns = [
    path("api/v1/uploads/", apis.UploadListCreateApi.as_view(), name="upload-list"),
    path("api/v1/uploads/<int:pk>/", apis.UploadDetailApi.as_view(), name="upload-detail"),
    path("api/v1/uploads/tus/", tus_apis.TusCreateApi.as_view(), name="upload-tus"),
    path("api/v1/uploads/tus/<uuid:upload_id>/", tus_apis.TusUploadApi.as_view(), name="upload-tus-detail"),
    path("api/v1/sync_tasks_new/<int:pk>/upload/", apis.SyncTaskUploadApi.as_view(), name="synctask-upload"),
    path(
        "api/v1/sync_tasks/<int:pk>/upload/", apis.SyncTaskPlatformUploadApi.as_view(), name="synctask-platform-upload"
    ),
]
