"""Dataverse's JSON shapes (JsonPrinter; keys that would be null are left out): the OK envelope,
files, versions, datasets, locks, and the report of a bulk registration."""

from importlib.metadata import version as package_version

from rest_framework.response import Response

from core.formats import utc_z

from ..models import Dataset, DatasetFile, DatasetVersion, VersionState
from ..selectors import collection_chain, is_number, version_files
from .registration import Entry

# The Dataverse release whose API this dialect follows (the guides of 6.x: direct upload, addFiles, replaceFiles).
DATAVERSE_VERSION = "6.2"

ADDED = "Added successfully to the dataset"
REPLACED = "Replaced successfully in the dataset"
UNCHANGED = "The file has the same content as the file it replaces; its metadata was updated, its bytes kept."


def ok(data, status: int = 200, message: str | None = None) -> Response:
    body = {"status": "OK", "message": message, "data": data} if message else {"status": "OK", "data": data}
    return Response(body, status=status)


def checksum_json(file: DatasetFile) -> dict:
    value = file.checksum_value or ((file.original_blob or file.blob).md5 if file.checksum_type == "MD5" else "")
    return {"type": file.checksum_type, "value": value}  # `type` first: dvuploader reads them in order


def file_metadata_json(file: DatasetFile) -> dict:
    data_file = {
        "id": file.pk,
        "persistentId": "",
        "pidURL": "",
        "filename": file.name,
        "contentType": file.media_type,
        "filesize": file.blob.size,
        "description": file.description,
    }
    if file.categories:
        data_file["categories"] = file.categories
    if file.storage_identifier:
        data_file["storageIdentifier"] = file.storage_identifier
    if file.original_blob_id is not None:
        # An ingested table: Dataverse names the upload as sent; its checksum is the original's.
        data_file |= {
            "originalFileFormat": file.original_media_type,
            "originalFormatLabel": file.original_media_type.rsplit("/", 1)[-1].upper(),
            "originalFileSize": file.original_blob.size,
            "originalFileName": file.original_name,
        }
    data_file |= {
        "rootDataFileId": -1,
        "md5": (file.original_blob or file.blob).md5,
        "checksum": checksum_json(file),
        "creationDate": file.created.date().isoformat(),
    }
    if file.directory_label:
        data_file["directoryLabel"] = file.directory_label
    body = {"description": file.description, "label": file.name, "restricted": file.restricted}
    if file.directory_label:
        body["directoryLabel"] = file.directory_label
    body |= {"version": 1, "datasetVersionId": file.version_id}
    if file.categories:
        body["categories"] = file.categories
    body["dataFile"] = data_file
    return body


def _pid_parts(pid: str) -> dict:
    protocol, _, rest = (pid or "").partition(":")
    authority, _, identifier = rest.partition("/")
    return {"protocol": protocol, "authority": authority, "separator": "/", "identifier": identifier}


def version_json(version: DatasetVersion, user) -> dict:
    """The version as Dataverse prints it, with the files `user` may see (restricted ones for the
    dataset's writers only)."""
    dataset = version.dataset
    number, _, minor = version.identifier.partition(".")
    body = {"id": version.pk, "datasetId": dataset.pk, "datasetPersistentId": dataset.persistent_id}
    if version.state == VersionState.PUBLISHED:
        major = int(number) if is_number(number) else number
        body |= {"versionNumber": major, "versionMinorNumber": int(minor) if is_number(minor) else 0}
        body |= {"versionState": "RELEASED", "releaseTime": utc_z(version.published_at)}
    else:
        body["versionState"] = "DRAFT"
    body["createTime"] = utc_z(version.created)
    if version.metadata_blocks:
        body["metadataBlocks"] = version.metadata_blocks
    body["files"] = [file_metadata_json(f) for f in version_files(version=version, user=user)]
    return body


def _publisher(dataset: Dataset) -> str:
    """Its organization's name; for a dataset of a collection without one, the top collection's."""
    if dataset.organization is not None:
        return dataset.organization.name
    chain = collection_chain(dataset.collection)
    return chain[-1].name if chain else ""


def dataset_json(dataset: Dataset, version: DatasetVersion, user) -> dict:
    parts = _pid_parts(dataset.persistent_id)
    body = {
        "id": dataset.pk,
        "identifier": parts["identifier"],
        "persistentUrl": f"https://doi.org/{parts['authority']}/{parts['identifier']}",
        "protocol": parts["protocol"],
        "authority": parts["authority"],
        "separator": "/",
        "publisher": _publisher(dataset),
    }
    if version.state == VersionState.PUBLISHED:
        body["publicationDate"] = version.published_at.date().isoformat()
    body["latestVersion"] = version_json(version, user)
    return body


def lock_json(lock, dataset: Dataset) -> dict:
    body = {"lockType": lock.lock_type, "date": utc_z(lock.created)}
    if lock.user is not None:
        body["user"] = lock.user.username
    return body | {"dataset": dataset.persistent_id, "message": lock.message}


def refusal_message(entries: list[Entry]) -> str:
    refused = [e for e in entries if e.error]
    named = "; ".join(f"{e.params.file_name or e.client_name or e.storage_identifier}: {e.error}" for e in refused)
    if len(entries) == 1:
        return entries[0].error
    return f"{len(refused)} of {len(entries)} files were refused, so none was registered. {named}"


def registration_report(entries: list[Entry], registered: bool, verb: str) -> dict:
    files = []
    for entry in entries:
        if registered:
            outcome = (
                {"warningMessage": UNCHANGED}
                if entry.unchanged
                else {"successMessage": REPLACED if verb == "replaced" else ADDED}
            )
            files.append(
                {
                    "storageIdentifier": entry.storage_identifier,
                    **outcome,
                    "fileDetails": file_metadata_json(entry.file),
                }
            )
        else:
            error = entry.error or "Not registered: another file of this request was refused."
            files.append(
                {
                    "storageIdentifier": entry.storage_identifier,
                    "errorMessage": f"Bad Request:{error}",
                    "fileDetails": entry.params.raw,
                }
            )
    done = len(entries) if registered else 0
    return {
        "Files": files,
        "Result": {"Total number of files": len(entries), f"Number of files successfully {verb}": done},
    }


def server_version_json() -> dict:
    """`/api/info/version`: the Dataverse version spoken, and this server's own as the build."""
    return {"version": DATAVERSE_VERSION, "build": f"nexus-upload-server {package_version('nexus-upload-server')}"}
