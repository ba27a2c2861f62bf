"""URLs of stored data."""

from django.urls import path

from . import apis

urlpatterns = [
    path("api/v1/dataconnections/<int:dc_id>/events/", apis.DataConnectionEventsApi.as_view(), name="dc-events"),
]
