"""The Climate Data Gateway's JSON shapes: a file of a version, with its download URL."""

from ..models import DatasetFile, DatasetVersion


def file_body(request, version: DatasetVersion, file: DatasetFile) -> dict:
    blob = file.blob
    path = f"{file.directory_label}/{file.name}" if file.directory_label else file.name
    return {
        "name": file.name,
        "directory_label": file.directory_label,
        "size": blob.size,
        "sha256": blob.sha256,
        "md5": blob.md5,
        "media_type": file.media_type,
        "download_url": request.build_absolute_uri(
            f"/api/v1/dataset/{version.dataset.short_name}/version/{version.identifier}/file/{path}"
        ),
    }
