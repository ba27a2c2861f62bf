"""URLs of uploads: /api/v1/uploads/ and the sync task upload actions (uploads owns uploading)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/uploads/", apis.UploadListCreateApi.as_view(), name="upload-list"),
    path("api/v1/uploads/<int:pk>/", apis.UploadDetailApi.as_view(), name="upload-detail"),
    path("api/v1/sync_tasks_new/<int:pk>/upload/", apis.SyncTaskUploadApi.as_view(), name="synctask-upload"),
    path(
        "api/v1/sync_tasks/<int:pk>/upload/", apis.SyncTaskPlatformUploadApi.as_view(), name="synctask-platform-upload"
    ),
]
