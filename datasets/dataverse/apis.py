"""HTTP endpoints of the Dataverse dialect: server info, collections, dataset creation, metadata, publishing,
versions and deletion, locks, direct-upload tickets, complete and abort, add / addFiles / replace /
replaceFiles (direct or native), file metadata, file access."""

import json

from django.conf import settings
from django.views.decorators.csrf import csrf_exempt
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.dialects import DATAVERSE
from core.errors import InvalidInput, NotFound
from core.parsers import StreamingMultiPartParser

from ..models import Dataset
from ..selectors import is_number, version_files
from . import schema, schema_lifecycle
from .access import (
    dataset_by_dataverse_id,
    dataset_file_to_replace,
    dataset_file_visible,
    dataset_latest_visible,
    dataset_locks_current,
    dataset_version_named,
    dataset_versions_visible,
    dataverse_require_write,
)
from .bodies import (
    UNCHANGED,
    dataset_json,
    file_metadata_json,
    lock_json,
    ok,
    refusal_message,
    registration_report,
    server_version_json,
    version_json,
)
from .collections import (
    collection_contents,
    collection_create,
    collection_get,
    collection_json,
    collection_require_admin,
)
from .download import FirstRenderer, access_error_response, datafile_for_access, datafile_response
from .jsondata import json_data_list, json_data_object
from .lifecycle import (
    dataset_create,
    dataset_delete,
    dataset_draft_delete,
    dataset_metadata_edit,
    dataset_publish,
    native_json_read,
)
from .metadata import file_metadata_update
from .native import native_or_direct_entries
from .registration import Entry, files_register, replace_entries
from .tickets import complete_limit_text, dataverse_abort, dataverse_complete, dataverse_multipart, dataverse_ticket


class DataverseView(APIView):
    dialect = DATAVERSE
    permission_classes = [AllowAny]  # each service says what it needs, in Dataverse's words
    parser_classes = [StreamingMultiPartParser, FormParser]

    def dataset(self, ident: str) -> Dataset:
        return dataset_by_dataverse_id(ident=ident, persistent_id=self.request.query_params.get("persistentId"))


class InfoView(DataverseView):
    # Dataverse's info calls never look at the key: a client's stale one still gets its answer.
    authentication_classes = []


class InfoVersionApi(InfoView):
    openapi_routes = schema.INFO_VERSION_ROUTES

    def get(self, request):
        return ok(server_version_json())


class InfoServerApi(InfoView):
    openapi_routes = schema.INFO_SERVER_ROUTES

    def get(self, request):
        return ok({"message": request.get_host().rsplit(":", 1)[0]})


class DatasetApi(DataverseView):
    openapi_routes = schema.DATASET_ROUTES

    def get(self, request, ident: str):
        dataset = self.dataset(ident)
        return ok(dataset_json(dataset, dataset_latest_visible(user=request.user, dataset=dataset), request.user))


class DatasetDeleteApi(DataverseView):
    """`DELETE` of the dataset path (described with DatasetApi's routes, see `dataset_view`)."""

    openapi_routes = ()

    def delete(self, request, ident: str):
        dataset = self.dataset(ident)
        pid = dataset.persistent_id
        dataset_delete(user=request.user, dataset=dataset)
        return ok({"message": f"Dataset {pid} deleted"})


_dataset_get, _dataset_delete = DatasetApi.as_view(), DatasetDeleteApi.as_view()


@csrf_exempt
def dataset_view(request, *args, **kwargs):
    """The dataset path: DELETE to DatasetDeleteApi, the rest to DatasetApi. Two views, so that a read's
    `Allow` names the reads only, as it did before deletion was served (clients' recorded answers)."""
    view = _dataset_delete if request.method == "DELETE" else _dataset_get
    return view(request, *args, **kwargs)


dataset_view.cls, dataset_view.initkwargs = DatasetApi, {}  # the schema generator documents DatasetApi's routes


class LocksApi(DataverseView):
    openapi_routes = schema.LOCKS_ROUTES

    def get(self, request, ident: str):
        dataset = self.dataset(ident)
        dataset_latest_visible(user=request.user, dataset=dataset)  # not found unless the caller sees it
        return ok([lock_json(lock, dataset) for lock in dataset_locks_current(dataset=dataset)])


class UploadUrlsApi(DataverseView):
    openapi_routes = schema.UPLOAD_URLS_ROUTES

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

    openapi_routes = schema.MULTIPART_ROUTES

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
        limit = settings.NEXUS_DATAVERSE_MAX_COMPLETE_BODY_BYTES
        body = request._request.read(limit + 1)
        if len(body) > limit:
            raise InvalidInput(
                "The body of a complete call is a JSON object of part numbers to ETags "
                f"(at most {complete_limit_text(limit)})."
            )
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


class AddApi(DataverseView):
    """One file: native (a `file` part; a zip is unpacked) or direct (`storageIdentifier`)."""

    openapi_routes = schema.ADD_ROUTES

    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        upload, params = _one_file(request)
        dataverse_require_write(user=request.user, dataset=dataset)  # before a zip is unpacked
        entries = native_or_direct_entries(upload, params)
        if not files_register(user=request.user, dataset=dataset, entries=entries):
            raise InvalidInput(refusal_message(entries))
        return ok({"files": [file_metadata_json(e.file) for e in entries]})


def _bulk(request, dataset: Dataset, entries: list[Entry], verb: str) -> Response:
    registered = files_register(user=request.user, dataset=dataset, entries=entries)
    report = registration_report(entries, registered, verb)
    if registered:
        return ok(report)
    # Unlike Dataverse (200 with per-file errors), a refusal is a 400: dvuploader looks only at the status.
    return Response({"status": "ERROR", "message": refusal_message(entries), "data": report}, status=400)


class AddFilesApi(DataverseView):
    openapi_routes = schema.ADD_FILES_ROUTES

    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        entries = [Entry(params=p) for p in json_data_list(request.data.get("jsonData"))]
        return _bulk(request, dataset, entries, "added")


class ReplaceFilesApi(DataverseView):
    openapi_routes = schema.REPLACE_FILES_ROUTES

    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        entries = replace_entries(files=json_data_list(request.data.get("jsonData")))
        return _bulk(request, dataset, entries, "replaced")


class FileReplaceApi(DataverseView):
    """One file replaced: native (a `file` part) or direct (`storageIdentifier`)."""

    openapi_routes = schema.REPLACE_ROUTES

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
    openapi_routes = schema.METADATA_ROUTES

    def post(self, request, ident: str):
        file = dataset_file_visible(user=request.user, file_id=ident)
        file = file_metadata_update(user=request.user, file=file, params=json_data_object(request.data.get("jsonData")))
        return ok({"message": f"File Metadata update has been completed: {file_metadata_json(file)['label']}"})


class UnknownApi(DataverseView):
    openapi_routes = ()  # a catch-all: no operation of its own

    def _unknown(self, request, *args, **kwargs):
        raise NotFound(f"API endpoint does not exist on this server: {request.method} {request.path}")

    get = post = put = delete = _unknown


# --- The lifecycle around the files: collections, dataset creation, metadata, publishing, deleting ----
class CollectionApi(DataverseView):
    """`GET` a collection; `POST` a new one below it (native JSON: alias, name, description)."""

    openapi_routes = schema_lifecycle.COLLECTION_ROUTES

    def get(self, request, alias: str):
        return ok(collection_json(collection_get(ident=alias)))

    def post(self, request, alias: str):
        parent = collection_get(ident=alias)
        document = native_json_read(request._request)  # JSON with any Content-Type, as Dataverse reads it
        return ok(collection_json(collection_create(user=request.user, parent=parent, body=document)), status=201)


class CollectionContentsApi(DataverseView):
    openapi_routes = schema_lifecycle.COLLECTION_CONTENTS_ROUTES

    def get(self, request, alias: str):
        return ok(collection_contents(user=request.user, collection=collection_get(ident=alias)))


class CollectionDatasetsApi(DataverseView):
    openapi_routes = schema_lifecycle.COLLECTION_DATASETS_ROUTES

    def post(self, request, alias: str):
        collection = collection_get(ident=alias)
        collection_require_admin(user=request.user, collection=collection, action="add a dataset")
        document = native_json_read(request._request)
        dataset = dataset_create(user=request.user, collection=collection, document=document)
        return ok({"id": dataset.pk, "persistentId": dataset.persistent_id}, status=201)


class EditMetadataApi(DataverseView):
    openapi_routes = schema_lifecycle.EDIT_METADATA_ROUTES

    def put(self, request, ident: str):
        dataset = self.dataset(ident)
        dataverse_require_write(
            user=request.user, dataset=dataset, message="You are not permitted to edit this dataset."
        )
        document = native_json_read(request._request)
        replace = request.query_params.get("replace", "").lower() in ("true", "1", "yes")
        draft = dataset_metadata_edit(user=request.user, dataset=dataset, document=document, replace=replace)
        return ok(version_json(draft, request.user))


class PublishApi(DataverseView):
    openapi_routes = schema_lifecycle.PUBLISH_ROUTES

    def post(self, request, ident: str):
        dataset = self.dataset(ident)
        release_type = request.query_params.get("type", "")
        version = dataset_publish(user=request.user, dataset=dataset, release_type=release_type)
        return ok(dataset_json(dataset, version, request.user))


class VersionsApi(DataverseView):
    openapi_routes = schema_lifecycle.VERSIONS_ROUTES

    def get(self, request, ident: str):
        dataset = self.dataset(ident)
        versions = dataset_versions_visible(user=request.user, dataset=dataset)
        return ok([version_json(v, request.user) for v in versions])


class VersionApi(DataverseView):
    """`GET` one version (`:latest`, `:draft`, `:latest-published` or its number); `DELETE` the draft."""

    openapi_routes = schema_lifecycle.VERSION_ROUTES

    def get(self, request, ident: str, version: str):
        dataset = self.dataset(ident)
        return ok(version_json(dataset_version_named(user=request.user, dataset=dataset, name=version), request.user))

    def delete(self, request, ident: str, version: str):
        dataset = self.dataset(ident)
        if version != ":draft":
            raise InvalidInput("Only the draft version can be deleted: DELETE .../versions/:draft.")
        dataset_draft_delete(user=request.user, dataset=dataset)
        return ok({"message": "Draft version of dataset deleted"})


class VersionFilesApi(DataverseView):
    openapi_routes = schema_lifecycle.VERSION_FILES_ROUTES

    def get(self, request, ident: str, version: str):
        dataset = self.dataset(ident)
        found = dataset_version_named(user=request.user, dataset=dataset, name=version)
        return ok([file_metadata_json(f) for f in version_files(version=found, user=request.user)])


class AccessDatafileApi(DataverseView):
    """The file's bytes, streamed as Dataverse's Access API sends them (a restricted file to its writers only)."""

    openapi_routes = schema_lifecycle.ACCESS_DATAFILE_ROUTES
    content_negotiation_class = FirstRenderer

    def get(self, request, ident: str):
        file = datafile_for_access(
            user=request.user, ident=ident, persistent_id=request.query_params.get("persistentId")
        )
        return datafile_response(file, original=request.query_params.get("format") == "original")

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        return access_error_response(response, self.request)
