"""The OpenAPI components of the Dataverse dialect: the forms it reads and the bodies datasets.dataverse.bodies
builds (key for key, keys that bodies leaves out when unset are optional), each in the OK envelope."""

import json

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .jsondata import CHECKSUM_TYPES

# --- Forms: `jsonData` is a form field holding JSON text, as Dataverse reads it -----------------------
_ONE = {
    "description": "My description.",
    "directoryLabel": "data/subdir1",
    "categories": ["Data"],
    "restrict": "false",
    "storageIdentifier": "s3://demo-dataverse-bucket:176e28068b0-1c3f80357c42",
    "fileName": "file1.txt",
    "mimeType": "text/plain",
    "checksum": {"@type": "SHA-1", "@value": "123456"},
}
_KEYS = (
    "`description`, `label`, `directoryLabel`, `categories` (strings), `restrict`, `tabIngest`, and for a direct "
    "upload `storageIdentifier`, `fileName`, `mimeType` and `md5Hash` or `checksum` "
    f'(`{{"@type": one of {", ".join(CHECKSUM_TYPES)}, "@value": hex}}`)'
)
JSON_DATA_OBJECT = {
    "type": "string",
    "description": f"A JSON object, as text (single-quoted strings are read too): {_KEYS}.",
    "example": json.dumps(_ONE),
}
JSON_DATA_ARRAY = {
    "type": "string",
    "description": f"A non-empty JSON array of file objects, as text: each {_KEYS}; for replaceFiles also "
    "`fileToReplaceId` (the file's id) and `forceReplace`.",
    "example": json.dumps([_ONE]),
}


@extend_schema_field(JSON_DATA_OBJECT)
class _JsonDataObject(serializers.CharField):
    pass


@extend_schema_field(JSON_DATA_ARRAY)
class _JsonDataArray(serializers.CharField):
    pass


class DataverseAddForm(serializers.Serializer):
    """add and files/{id}/replace: a `file` part (native upload; a zip is unpacked), or none and a
    `jsonData` naming the object uploaded directly (`storageIdentifier`)."""

    file = serializers.FileField(required=False, help_text="The file's bytes (native upload).")
    jsonData = _JsonDataObject(required=False)


class DataverseFilesForm(serializers.Serializer):
    """addFiles and replaceFiles: the files uploaded directly, in one `jsonData` field."""

    jsonData = _JsonDataArray()


class DataverseMetadataForm(serializers.Serializer):
    """files/{id}/metadata: the new metadata in `jsonData`."""

    jsonData = _JsonDataObject(required=False)


ETAGS = {
    "type": "object",
    "description": 'Each part\'s number (`"1"` to N) to the ETag its PUT answered, quoted or not.',
    "additionalProperties": {"type": "string"},
    "example": {"1": '"etag1"', "2": '"etag2"'},
}


_FIELD = {
    "type": "object",
    "properties": {
        "typeName": {"type": "string"},
        "multiple": {"type": "boolean"},
        "typeClass": {"type": "string"},
        "value": {},
    },
    "required": ["typeName", "value"],
}
NATIVE_DATASET = {
    "type": "object",
    "description": "Dataverse's native JSON of a dataset: `datasetVersion.metadataBlocks.citation.fields` must "
    "give title, author, datasetContact, dsDescription and subject; other blocks are kept as sent.",
    "properties": {
        "datasetVersion": {
            "type": "object",
            "properties": {
                "metadataBlocks": {
                    "type": "object",
                    "properties": {
                        "citation": {
                            "type": "object",
                            "properties": {"fields": {"type": "array", "items": _FIELD}},
                            "required": ["fields"],
                        }
                    },
                    "required": ["citation"],
                    "additionalProperties": {"type": "object"},
                }
            },
            "required": ["metadataBlocks"],
        }
    },
    "required": ["datasetVersion"],
    "example": {
        "datasetVersion": {
            "metadataBlocks": {
                "citation": {
                    "fields": [
                        {"typeName": "title", "multiple": False, "typeClass": "primitive", "value": "Rain 2024"},
                        {
                            "typeName": "subject",
                            "multiple": True,
                            "typeClass": "controlledVocabulary",
                            "value": ["Earth and Environmental Sciences"],
                        },
                    ]
                }
            }
        }
    },
}
EDIT_METADATA = {
    "type": "object",
    "description": "The fields to set, each as in the native JSON.",
    "properties": {"fields": {"type": "array", "items": _FIELD}},
    "required": ["fields"],
    "example": {"fields": [{"typeName": "title", "value": "Rain 2024, corrected"}]},
}
NATIVE_COLLECTION = {
    "type": "object",
    "description": "A collection's native JSON: `alias` (letters, digits, `_`, `-`), `name`, and `description`.",
    "properties": {"alias": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}},
    "required": ["alias", "name"],
    "example": {"alias": "rain", "name": "Rain measurements"},
}


# --- Answer bodies -------------------------------------------------------------------------------------
class DataverseChecksumSerializer(serializers.Serializer):
    type = serializers.CharField(help_text=f"One of {', '.join(CHECKSUM_TYPES)}.")
    value = serializers.CharField(help_text="Hex.")


class DataverseDataFileSerializer(serializers.Serializer):
    """The file itself (bodies.file_metadata_json's `dataFile`)."""

    id = serializers.IntegerField(help_text="The file's id (files/{id}/replace, files/{id}/metadata).")
    persistentId = serializers.CharField(allow_blank=True)
    pidURL = serializers.CharField(allow_blank=True)
    filename = serializers.CharField()
    contentType = serializers.CharField()
    filesize = serializers.IntegerField(min_value=0)
    description = serializers.CharField(allow_blank=True)
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    storageIdentifier = serializers.CharField(required=False, help_text="Set for a direct upload.")
    originalFileFormat = serializers.CharField(required=False, help_text="An ingested table's upload type.")
    originalFormatLabel = serializers.CharField(required=False)
    originalFileSize = serializers.IntegerField(required=False, min_value=0)
    originalFileName = serializers.CharField(required=False, help_text="The name it was sent under (`.csv`).")
    rootDataFileId = serializers.IntegerField()
    md5 = serializers.CharField()
    checksum = DataverseChecksumSerializer()
    creationDate = serializers.DateField()
    directoryLabel = serializers.CharField(required=False)


class DataverseFileMetadataSerializer(serializers.Serializer):
    """A file of a version, as Dataverse's FileMetadata (bodies.file_metadata_json)."""

    description = serializers.CharField(allow_blank=True)
    label = serializers.CharField()
    restricted = serializers.BooleanField()
    directoryLabel = serializers.CharField(required=False)
    version = serializers.IntegerField()
    datasetVersionId = serializers.IntegerField()
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    dataFile = DataverseDataFileSerializer()


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class _IntegerOrText(serializers.Field):
    """A version number: an integer, or the text of an identifier that is not one."""


class DataverseVersionSerializer(serializers.Serializer):
    """bodies.version_json: a released version has its numbers and releaseTime, a draft neither."""

    id = serializers.IntegerField()
    datasetId = serializers.IntegerField()
    datasetPersistentId = serializers.CharField()
    versionNumber = _IntegerOrText(required=False)
    versionMinorNumber = serializers.IntegerField(required=False)
    versionState = serializers.ChoiceField(choices=["RELEASED", "DRAFT"])
    releaseTime = serializers.DateTimeField(required=False)
    createTime = serializers.DateTimeField()
    metadataBlocks = serializers.DictField(
        required=False,
        help_text="The version's metadata blocks by name (`citation`: `displayName`, `name`, `fields`), as sent "
        "when the dataset was created or edited; left out when it has none.",
    )
    files = DataverseFileMetadataSerializer(many=True, help_text="The files the caller may see.")


class DataverseDatasetSerializer(serializers.Serializer):
    """bodies.dataset_json: `latestVersion` is the draft for the dataset's writers, else the newest release."""

    id = serializers.IntegerField()
    identifier = serializers.CharField()
    persistentUrl = serializers.CharField()
    protocol = serializers.CharField()
    authority = serializers.CharField()
    separator = serializers.CharField()
    publisher = serializers.CharField()
    publicationDate = serializers.DateField(required=False)
    latestVersion = DataverseVersionSerializer()


class DataverseLockSerializer(serializers.Serializer):
    lockType = serializers.CharField(help_text="`EditInProgress` while files are registered.")
    date = serializers.DateTimeField()
    user = serializers.CharField(required=False)
    dataset = serializers.CharField(help_text="The dataset's persistent id.")
    message = serializers.CharField(allow_blank=True)


class DataverseUploadUrlsSerializer(serializers.Serializer):
    """A ticket: one `url` for a size that fits one part, else `urls` by part number with the
    `complete` and `abort` paths (relative, query values raw, as Dataverse writes them)."""

    url = serializers.CharField(required=False, help_text="The pre-signed PUT of the whole file.")
    urls = serializers.DictField(
        child=serializers.CharField(), required=False, help_text='Part number (`"1"`...) to its pre-signed PUT.'
    )
    abort = serializers.CharField(required=False, help_text="`/api/datasets/mpupload?...`: DELETE it to abort.")
    complete = serializers.CharField(required=False, help_text="`/api/datasets/mpupload?...`: PUT the ETags to it.")
    partSize = serializers.IntegerField(help_text="Bytes per part (the last part holds the rest).")
    storageIdentifier = serializers.CharField(help_text="Register the upload under this.")


class DataverseFilesSerializer(serializers.Serializer):
    files = DataverseFileMetadataSerializer(many=True)


class DataverseMessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class DataverseServerVersionSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The Dataverse API version this server speaks.")
    build = serializers.CharField(help_text="This server's own name and version.")


@extend_schema_field(
    {
        "anyOf": [
            {"$ref": "#/components/schemas/DataverseFileMetadata"},
            {
                "type": "object",
                "description": "A refused file: its jsonData object as sent.",
                "additionalProperties": {},
            },
        ]
    }
)
class _FileDetails(serializers.Field):
    pass


class DataverseRegisteredFileSerializer(serializers.Serializer):
    """One file of an addFiles / replaceFiles request: its outcome message and details."""

    storageIdentifier = serializers.CharField(allow_null=True)
    successMessage = serializers.CharField(required=False)
    warningMessage = serializers.CharField(required=False, help_text="Same content: metadata updated.")
    errorMessage = serializers.CharField(required=False, help_text="`Bad Request:` and why.")
    fileDetails = _FileDetails()


@extend_schema_field(
    {
        "type": "object",
        "description": "`Total number of files` and `Number of files successfully added` (or `replaced`).",
        "properties": {"Total number of files": {"type": "integer"}},
        "required": ["Total number of files"],
        "additionalProperties": {"type": "integer"},
    }
)
class _Result(serializers.Field):
    pass


class DataverseRegistrationSerializer(serializers.Serializer):
    Files = DataverseRegisteredFileSerializer(many=True)
    Result = _Result()


# Wrapped in allOf (with a description, or drf-spectacular unwraps it): a bare enum would be made a
# shared component named after `status`, a name other `status` enums (DataverseError's) already take.
@extend_schema_field({"allOf": [{"type": "string", "enum": ["OK"]}], "description": "`OK`."})
class _Ok(serializers.CharField):
    pass


def _envelope(name: str, data, doc: str) -> type:
    """`{"status": "OK", "data": ...}` (bodies.ok), with `message` when there is a warning."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "__doc__": doc,
            "status": _Ok(),
            "message": serializers.CharField(required=False, help_text="A warning, when there is one."),
            "data": data(),  # made here, so that it comes after `status` (fields keep their creation order)
        },
    )


class DataverseCollectionSerializer(serializers.Serializer):
    """collections.collection_json."""

    id = serializers.IntegerField()
    alias = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField(required=False)
    ownerId = serializers.IntegerField(required=False, help_text="The parent collection's id; none for the root.")
    dataverseType = serializers.CharField()
    permissionRoot = serializers.BooleanField()
    isReleased = serializers.BooleanField()
    creationDate = serializers.DateTimeField()


class DataverseContentSerializer(serializers.Serializer):
    """One item of a collection's contents: a collection (`title`) or a dataset (its persistent id's parts)."""

    type = serializers.ChoiceField(choices=["dataverse", "dataset"])
    id = serializers.IntegerField()
    title = serializers.CharField(required=False)
    identifier = serializers.CharField(required=False)
    persistentUrl = serializers.CharField(required=False)
    protocol = serializers.CharField(required=False)
    authority = serializers.CharField(required=False)
    separator = serializers.CharField(required=False)
    publisher = serializers.CharField(required=False)


class DataverseCreatedDatasetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    persistentId = serializers.CharField(help_text="doi:<authority>/<shoulder><6 characters>, new and unique.")


DatasetAnswer = _envelope("DataverseDatasetAnswerSerializer", DataverseDatasetSerializer, "A dataset.")
LocksAnswer = _envelope("DataverseLocksAnswerSerializer", lambda: DataverseLockSerializer(many=True), "Current locks.")
UploadUrlsAnswer = _envelope(
    "DataverseUploadUrlsAnswerSerializer", DataverseUploadUrlsSerializer, "A direct-upload ticket."
)
FilesAnswer = _envelope("DataverseFilesAnswerSerializer", DataverseFilesSerializer, "The files registered.")
ServerVersionAnswer = _envelope(
    "DataverseServerVersionAnswerSerializer", DataverseServerVersionSerializer, "The version."
)
MessageAnswer = _envelope("DataverseMessageAnswerSerializer", DataverseMessageSerializer, "Done, in words.")
RegistrationAnswer = _envelope(
    "DataverseRegistrationAnswerSerializer", DataverseRegistrationSerializer, "Every file registered."
)
CollectionAnswer = _envelope("DataverseCollectionAnswerSerializer", DataverseCollectionSerializer, "A collection.")
ContentsAnswer = _envelope(
    "DataverseContentsAnswerSerializer", lambda: DataverseContentSerializer(many=True), "A collection's contents."
)
CreatedDatasetAnswer = _envelope(
    "DataverseCreatedDatasetAnswerSerializer", DataverseCreatedDatasetSerializer, "The dataset created."
)
VersionAnswer = _envelope("DataverseVersionAnswerSerializer", DataverseVersionSerializer, "A dataset version.")
VersionsAnswer = _envelope(
    "DataverseVersionsAnswerSerializer", lambda: DataverseVersionSerializer(many=True), "Versions, newest first."
)
FileListAnswer = _envelope(
    "DataverseFileListAnswerSerializer", lambda: DataverseFileMetadataSerializer(many=True), "A version's files."
)
