"""URLs of the Climate Data Gateway file API (dataset and version forms) and of the Dataverse
dialect (under /api/ and /api/v1/, datasets by id or `:persistentId`)."""

from django.urls import path, re_path

from .cdg import apis as cdg
from .dataverse import apis as dataverse

dataset = "api/v1/dataset/<str:short_name>/"
version = dataset + "version/<str:version_id>/"

urlpatterns = [
    path(dataset + "file.json", cdg.FileUploadApi.as_view(), name="cdg-upload"),
    path(version + "file.json", cdg.FileUploadApi.as_view(), name="cdg-version-upload"),
    # The seed's query-parameter example leaves /dataset/ out of the path.
    path("api/v1/<str:short_name>/file.json", cdg.FileUploadApi.as_view(), name="cdg-upload-short"),
    path(dataset + "files.json", cdg.FileListApi.as_view(), name="cdg-files"),
    path(version + "files.json", cdg.FileListApi.as_view(), name="cdg-version-files"),
    path(version + "publish.json", cdg.PublishApi.as_view(), name="cdg-publish"),
    path(dataset + "file/<path:filename>", cdg.FileApi.as_view(), name="cdg-file"),
    path(version + "file/<path:filename>", cdg.FileApi.as_view(), name="cdg-version-file"),
]

# Dataverse serves every /api/... path under /api/v1/... as well.
dv = r"^api/(?:v1/)?"
ds = dv + r"datasets/(?P<ident>[^/]+)/"
dvc = dv + r"dataverses/(?P<alias>[^/]+)/"
# One client writes /api//info/version: the info paths take any run of slashes after /api.
info = r"^api/+(?:v1/+)?info/"
urlpatterns += [
    re_path(info + r"version/?$", dataverse.InfoVersionApi.as_view(), name="dv-info-version"),
    re_path(info + r"server/?$", dataverse.InfoServerApi.as_view(), name="dv-info-server"),
    re_path(dv + r"datasets/mpupload/?$", dataverse.MultipartApi.as_view(), name="dv-mpupload"),
    re_path(ds + r"?$", dataverse.dataset_view, name="dv-dataset"),
    re_path(ds + r"editMetadata/?$", dataverse.EditMetadataApi.as_view(), name="dv-edit-metadata"),
    re_path(ds + r"actions/:publish/?$", dataverse.PublishApi.as_view(), name="dv-publish"),
    re_path(ds + r"versions/?$", dataverse.VersionsApi.as_view(), name="dv-versions"),
    re_path(ds + r"versions/(?P<version>[^/]+)/?$", dataverse.VersionApi.as_view(), name="dv-version"),
    re_path(ds + r"versions/(?P<version>[^/]+)/files/?$", dataverse.VersionFilesApi.as_view(), name="dv-version-files"),
    re_path(ds + r"locks/?$", dataverse.LocksApi.as_view(), name="dv-locks"),
    re_path(ds + r"uploadurls/?$", dataverse.UploadUrlsApi.as_view(), name="dv-uploadurls"),
    re_path(ds + r"add/?$", dataverse.AddApi.as_view(), name="dv-add"),
    re_path(ds + r"addFiles/?$", dataverse.AddFilesApi.as_view(), name="dv-addfiles"),
    re_path(ds + r"replaceFiles/?$", dataverse.ReplaceFilesApi.as_view(), name="dv-replacefiles"),
    re_path(dv + r"files/(?P<ident>[^/]+)/replace/?$", dataverse.FileReplaceApi.as_view(), name="dv-replace"),
    re_path(dv + r"files/(?P<ident>[^/]+)/metadata/?$", dataverse.FileMetadataApi.as_view(), name="dv-metadata"),
    re_path(dvc + r"?$", dataverse.CollectionApi.as_view(), name="dv-collection"),
    re_path(dvc + r"contents/?$", dataverse.CollectionContentsApi.as_view(), name="dv-collection-contents"),
    re_path(dvc + r"datasets/?$", dataverse.CollectionDatasetsApi.as_view(), name="dv-collection-datasets"),
    re_path(
        dv + r"access/datafile/(?P<ident>[^/]+)/?$", dataverse.AccessDatafileApi.as_view(), name="dv-access-datafile"
    ),
    # Anything else under the Dataverse roots: a 404 in Dataverse's shape, not an HTML page.
    re_path(
        dv + r"(?:datasets|files|info|dataverses|access)(?:/.*)?$", dataverse.UnknownApi.as_view(), name="dv-unknown"
    ),
]
