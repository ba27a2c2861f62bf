"""HTTP endpoints of the Dataverse dialect: dataset and locks, direct-upload tickets, complete and
abort, add / addFiles / replace / replaceFiles (direct or native), file metadata."""

import json

from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.dialects import DATAVERSE
from core.errors import InvalidInput, NotFound
from core.formats import utc_z
from core.parsers import StreamingMultiPartParser

from .dataverse import (
    ADDED,
    REPLACED,
    Entry,
    dataverse_abort,
    dataverse_complete,
    dataverse_multipart,
    dataverse_require_write,
    dataverse_ticket,
    file_metadata_update,
    files_register,
    native_entries,
    replace_entries,
)
from .jsondata import json_data_list, json_data_object
from .models import Dataset, DatasetFile, DatasetVersion, VersionState
from .selectors import (
    dataset_by_dataverse_id,
    dataset_file_to_replace,
    dataset_file_visible,
    dataset_latest_visible,
    dataset_locks_current,
    is_number,
    version_files,
)

MAX_COMPLETE_BODY = 1024 * 1024


def ok(data, status: int = 200, message: str | None = None) -> Response:
    body = {"status": "OK", "message": message, "data": data} if message else {"status": "OK", "data": data}
    return Response(body, status=status)


UNCHANGED = "The file has the same content as the file it replaces; its metadata was updated, its bytes kept."


# --- Dataverse's JSON shapes (JsonPrinter): keys that would be null are left out


def checksum_json(file: DatasetFile) -> dict:
    value = file.checksum_value or (file.blob.md5 if file.checksum_type == "MD5" else "")
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
    data_file |= {
        "rootDataFileId": -1,
        "md5": file.blob.md5,
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
    body |= {
        "createTime": utc_z(version.created),
        "files": [file_metadata_json(f) for f in version_files(version=version, user=user)],
    }
    return body


def dataset_json(dataset: Dataset, version: DatasetVersion, user) -> dict:
    parts = _pid_parts(dataset.persistent_id)
    body = {
        "id": dataset.pk,
        "identifier": parts["identifier"],
        "persistentUrl": f"https://doi.org/{parts['authority']}/{parts['identifier']}",
        "protocol": parts["protocol"],
        "authority": parts["authority"],
        "separator": "/",
        "publisher": dataset.organization.name,
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


# --- views


class DataverseView(APIView):
    dialect = DATAVERSE
    permission_classes = [AllowAny]  # each service says what it needs, in Dataverse's words
    parser_classes = [StreamingMultiPartParser, FormParser]

    def dataset(self, ident: str) -> Dataset:
        return dataset_by_dataverse_id(ident=ident, persistent_id=self.request.query_params.get("persistentId"))


class DatasetApi(DataverseView):
    def get(self, request, ident: str):
        dataset = self.dataset(ident)
        return ok(dataset_json(dataset, dataset_latest_visible(user=request.user, dataset=dataset), request.user))


class LocksApi(DataverseView):
    def get(self, request, ident: str):
        dataset = self.dataset(ident)
        dataset_latest_visible(user=request.user, dataset=dataset)  # not found unless the caller sees it
        return ok([lock_json(lock, dataset) for lock in dataset_locks_current(dataset=dataset)])


class UploadUrlsApi(DataverseView):
    def get(self, request, ident: str):
        dataset = self.dataset(ident)
        raw = request.query_params.get("size", "")
        if not is_number(raw) or len(raw) > 19:
            raise InvalidInput(f"'size' must be the file's size in bytes, a whole number; got '{raw}'.")
        ticket, storage_identifier = dataverse_ticket(user=request.user, dataset=dataset, size=int(raw))
        if ticket.url is not None:
            data = {"url": request.build_absolute_uri(ticket.url) if ticket.url.startswith("/") else ticket.url}
        else:
            urls = [request.build_absolute_uri(u) if u.startswith("/") else u for u in ticket.urls]
            # Relative, with raw (unencoded) values, as Dataverse answers; clients join them to the host.
            query = (
                f"globalid={dataset.persistent_id}&uploadid={ticket.upload.token}"
                f"&storageidentifier={storage_identifier}"
            )
            data = {
                "urls": {str(n): url for n, url in enumerate(urls, start=1)},
                "abort": f"/api/datasets/mpupload?{query}",
                "complete": f"/api/datasets/mpupload?{query}",
            }
        data |= {"partSize": ticket.part_size, "storageIdentifier": storage_identifier}
        return ok(data)


class MultipartApi(DataverseView):
    """`PUT` completes, `DELETE` aborts the multipart upload its query names."""

    def _upload(self, request, action: str):
        params = request.query_params
        return dataverse_multipart(
            user=request.user,
            token=params.get("uploadid", ""),
            global_id=params.get("globalid", ""),
            storage_identifier=params.get("storageidentifier", ""),
            action=action,
        )

    def put(self, request):
        upload = self._upload(request, "complete")
        # A small JSON object sent with any Content-Type or none (dvuploader sends none): read raw.
        body = request._request.read(MAX_COMPLETE_BODY + 1)
        if len(body) > MAX_COMPLETE_BODY:
            raise InvalidInput("The body of a complete call is a JSON object of part numbers to ETags (at most 1 MiB).")
        try:
            etags = json.loads(body or b"null")
        except (ValueError, RecursionError):
            raise InvalidInput("The body must be a JSON object of part numbers to ETags.") from None
        dataverse_complete(upload=upload, etags=etags)
        return ok({"message": "Multipart Upload completed"})

    def delete(self, request):
        dataverse_abort(upload=self._upload(request, "abort"))
        return Response(status=204)


def _one_file(request) -> tuple:
    upload = request.FILES.get("file")
    return upload, json_data_object(request.data.get("jsonData"))


def _entries_for(upload, params) -> list[Entry]:
    if upload is None:
        return [Entry(params=params)]
    return native_entries(
        staged=upload.staged, client_name=upload.name or "", content_type=upload.content_type or "", params=params
    )


def _refusal(entries: list[Entry]) -> str:
    refused = [e for e in entries if e.error]
    named = "; ".join(f"{e.params.file_name or e.client_name or e.storage_identifier}: {e.error}" for e in refused)
    if len(entries) == 1:
        return entries[0].error
    return f"{len(refused)} of {len(entries)} files were refused, so none was registered. {named}"


class AddApi(DataverseView):
    """One file: native (a `file` part; a zip is unpacked) or direct (`storageIdentifier`)."""

    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        upload, params = _one_file(request)
        dataverse_require_write(user=request.user, dataset=dataset)  # before a zip is unpacked
        entries = _entries_for(upload, params)
        if not files_register(user=request.user, dataset=dataset, entries=entries):
            raise InvalidInput(_refusal(entries))
        return ok({"files": [file_metadata_json(e.file) for e in entries]})


def _report(entries: list[Entry], registered: bool, verb: str) -> dict:
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


def _bulk(request, dataset: Dataset, entries: list[Entry], verb: str) -> Response:
    registered = files_register(user=request.user, dataset=dataset, entries=entries)
    report = _report(entries, registered, verb)
    if registered:
        return ok(report)
    # Unlike Dataverse (200 with per-file errors), a refusal is a 400: dvuploader looks only at the status.
    return Response({"status": "ERROR", "message": _refusal(entries), "data": report}, status=400)


class AddFilesApi(DataverseView):
    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        entries = [Entry(params=p) for p in json_data_list(request.data.get("jsonData"))]
        return _bulk(request, dataset, entries, "added")


class ReplaceFilesApi(DataverseView):
    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        entries = replace_entries(files=json_data_list(request.data.get("jsonData")))
        return _bulk(request, dataset, entries, "replaced")


class FileReplaceApi(DataverseView):
    """One file replaced: native (a `file` part) or direct (`storageIdentifier`)."""

    def post(self, request, ident: str):
        file = dataset_file_to_replace(file_id=ident)
        upload, params = _one_file(request)
        if upload is None:
            entry = Entry(params=params, replace=file)
        else:
            entry = Entry(
                params=params,
                staged=upload.staged,
                client_name=upload.name or "",
                content_type=upload.content_type or "",
                replace=file,
            )
        if not files_register(user=request.user, dataset=file.version.dataset, entries=[entry]):
            raise InvalidInput(entry.error or "The file was not replaced.")
        return ok({"files": [file_metadata_json(entry.file)]}, message=UNCHANGED if entry.unchanged else None)


class FileMetadataApi(DataverseView):
    def post(self, request, ident: str):
        file = dataset_file_visible(user=request.user, file_id=ident)
        file = file_metadata_update(user=request.user, file=file, params=json_data_object(request.data.get("jsonData")))
        return ok({"message": f"File Metadata update has been completed: {file_metadata_json(file)['label']}"})


class UnknownApi(DataverseView):
    def _unknown(self, request, *args, **kwargs):
        raise NotFound(f"API endpoint does not exist on this server: {request.method} {request.path}")

    get = post = put = delete = _unknown
