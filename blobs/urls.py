"""URLs of blobs: the local storage's signed download route."""

from django.urls import path

from . import views

app_name = "blobs"

urlpatterns = [
    path("blobs/download/<str:signed>/<str:filename>", views.download, name="download"),
]
