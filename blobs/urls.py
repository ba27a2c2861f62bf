"""URLs of blobs: the local storage's signed download and direct-upload routes."""

from django.urls import path

from . import views

app_name = "blobs"

urlpatterns = [
    path("blobs/download/<str:signed>/<str:filename>", views.download, name="download"),
    path("blobs/direct/<str:signed>", views.direct_put, name="direct-put"),
]
