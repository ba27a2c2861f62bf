"""URLs of stored data and of the sync tasks' harvest actions."""

from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/events/", apis.EventsApi.as_view(), name="events"),
    path("api/v1/dataconnections/<int:dc_id>/series/", apis.DataConnectionSeriesApi.as_view(), name="dc-series"),
    path("api/v1/dataconnections/<int:dc_id>/events/", apis.DataConnectionEventsApi.as_view(), name="dc-events"),
    # The sync task's harvest actions are served here, by the app that harvests.
    path("api/v1/sync_tasks_new/<int:pk>/sync/", apis.SyncTaskSyncApi.as_view(), name="synctask-sync"),
    path("api/v1/sync_tasks_new/<int:pk>/runs/", apis.SyncTaskRunsApi.as_view(), name="synctask-runs"),
]
