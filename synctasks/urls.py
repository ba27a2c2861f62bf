"""URLs of the catalog: sync_tasks_new, sync_tasks, data_sources (their upload actions are served by uploads)."""

from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/sync_tasks_new/", apis.SyncTaskListApi.as_view(), name="synctask-list"),
    path("api/v1/sync_tasks_new/<int:pk>/", apis.SyncTaskDetailApi.as_view(), name="synctask-detail"),
    path("api/v1/sync_tasks/", apis.SyncTaskPlatformListApi.as_view(), name="synctask-platform-list"),
    path("api/v1/data_sources/", apis.DataSourceListApi.as_view(), name="datasource-list"),
]
