"""URLs of the catalog: /api/v1/sync_tasks_new/ (its upload action is served by uploads)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/sync_tasks_new/", apis.SyncTaskListApi.as_view(), name="synctask-list"),
    path("api/v1/sync_tasks_new/<int:pk>/", apis.SyncTaskDetailApi.as_view(), name="synctask-detail"),
]
