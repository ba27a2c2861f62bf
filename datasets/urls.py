"""URLs of the Climate Data Gateway file API (dataset and dataset-version forms)."""

from django.urls import path

from . import apis

dataset = "api/v1/dataset/<str:short_name>/"
version = dataset + "version/<str:version_id>/"

urlpatterns = [
    path(dataset + "file.json", apis.FileUploadApi.as_view(), name="cdg-upload"),
    path(version + "file.json", apis.FileUploadApi.as_view(), name="cdg-version-upload"),
    # The seed's query-parameter example leaves /dataset/ out of the path.
    path("api/v1/<str:short_name>/file.json", apis.FileUploadApi.as_view(), name="cdg-upload-short"),
    path(dataset + "files.json", apis.FileListApi.as_view(), name="cdg-files"),
    path(version + "files.json", apis.FileListApi.as_view(), name="cdg-version-files"),
    path(version + "publish.json", apis.PublishApi.as_view(), name="cdg-publish"),
    path(dataset + "file/<path:filename>", apis.FileApi.as_view(), name="cdg-file"),
    path(version + "file/<path:filename>", apis.FileApi.as_view(), name="cdg-version-file"),
]
