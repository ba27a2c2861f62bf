"""The OpenAPI components of the Delta dialect's JSON-LD bodies (written by files.api.bodies) and requests."""

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from ..models import Origin, StorageType
from . import bodies

_URL = {"type": "string", "format": "uri"}
_INSTANT = {"type": "string", "format": "date-time", "example": "2019-01-28T12:15:33.238Z"}


class Component(serializers.Serializer):
    """A body described by the raw schema in `openapi`: only the OpenAPI document uses these classes."""

    openapi: dict = {}


class ComponentExtension(OpenApiSerializerExtension):
    """Each Component subclass is its own named component, with its class name and its raw schema."""

    target_class = Component
    match_subclasses = True

    def _cls(self):
        return self.target if isinstance(self.target, type) else type(self.target)

    def get_name(self, auto_schema, direction):
        return self._cls().__name__

    def map_serializer(self, auto_schema, direction):
        return _resolved(self._cls().openapi, auto_schema, direction)


def _resolved(schema, auto_schema, direction):
    """The schema with each Component class in it replaced by a reference to its own component."""
    if isinstance(schema, type) and issubclass(schema, Component):
        return auto_schema.resolve_serializer(schema, direction).ref
    if isinstance(schema, dict):
        return {key: _resolved(value, auto_schema, direction) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_resolved(value, auto_schema, direction) for value in schema]
    return schema


def component(name: str, schema: dict) -> type[Component]:
    return type(name, (Component,), {"openapi": schema, "__doc__": schema.get("description", name)})


def constant(name: str, *values: str, description: str = "") -> type[Component]:
    """A choice of values as its own component: drf-spectacular's enum hook would otherwise name it after
    the property (`@type`, `@context`), which is no valid component name."""
    return component(name, {"type": "string", "enum": list(values), "description": description or name})


ResourceContext = constant("DeltaResourceContext", bodies.RESOURCE_CONTEXT, description="A resource's context.")
ListingContext = component(
    "DeltaListingContext",
    {
        "type": "array",
        "description": "A listing's contexts.",
        "items": {"type": "string", "enum": [bodies.SEARCH_CONTEXT, bodies.RESOURCE_CONTEXT]},
        "example": [bodies.SEARCH_CONTEXT, bodies.RESOURCE_CONTEXT],
    },
)


def _listing(name: str, item: dict, description: str, **more: dict) -> type[Component]:
    return component(
        name,
        {
            "type": "object",
            "description": description,
            "properties": {
                "@context": ListingContext,
                "_total": {"type": "integer", "minimum": 0, "description": "How many match (every page)."},
                "_results": {"type": "array", "items": item},
                **more,
            },
            "required": ["@context", "_total", "_results"],
        },
    )


# The fields of a file's metadata in a listing entry; the single metadata body adds `@context` and `_origin`.
_FILE_FIELDS = {
    "@id": {**_URL, "description": "The file's full IRI (never compacted)."},
    "@type": constant("DeltaFileType", "File"),
    "_bytes": {"type": "integer", "minimum": 0, "format": "int64"},
    "_digest": {
        "type": "object",
        "properties": {"_algorithm": {"type": "string", "enum": ["SHA-256"]}, "_value": {"type": "string"}},
        "required": ["_algorithm", "_value"],
    },
    "_filename": {"type": "string"},
    "_location": {
        "type": "string",
        "description": "On S3 storages only: an opaque, stable address of this revision's bytes.",
    },
    "_mediaType": {"type": "string", "example": "image/jpeg"},
    "_storage": {
        "type": "object",
        "properties": {
            "@id": _URL,
            "@type": {"type": "string", "enum": list(StorageType.values)},
            "_rev": {"type": "integer", "minimum": 1},
        },
        "required": ["@id", "@type", "_rev"],
    },
    "_incoming": _URL,
    "_outgoing": _URL,
    "_self": {**_URL, "description": "The file's URL: its IRI as one %-encoded path segment."},
    "_constrainedBy": constant("DeltaFileSchema", bodies.FILE_SCHEMA, description="The file schema."),
    "_project": _URL,
    "_rev": {"type": "integer", "minimum": 1},
    "_deprecated": {"type": "boolean"},
    "_createdAt": _INSTANT,
    "_createdBy": {**_URL, "description": "`{base}/v1/anonymous` or `{base}/v1/realms/local/users/{name}`."},
    "_updatedAt": _INSTANT,
    "_updatedBy": _URL,
    "_uuid": {"type": "string", "format": "uuid"},
}
_FILE_REQUIRED = [name for name in _FILE_FIELDS if name != "_location"]
_LISTED_FILE = component(
    "DeltaListedFile",
    {
        "type": "object",
        "description": "A file in a listing: its metadata without `@context` nor `_origin`.",
        "properties": _FILE_FIELDS,
        "required": _FILE_REQUIRED,
    },
)

DeltaFile = component(
    "DeltaFile",
    {
        "type": "object",
        "description": "A file's metadata (JSON-LD) at one revision: what every write answers.",
        "properties": {
            "@context": ResourceContext,
            **_FILE_FIELDS,
            "_origin": constant(
                "DeltaFileOrigin", *Origin.values, description="`Client` (uploaded) or `Storage` (linked)."
            ),
        },
        "required": ["@context", *_FILE_REQUIRED, "_origin"],
    },
)

DeltaFileListing = _listing(
    "DeltaFileListing",
    _LISTED_FILE,
    "A page of a project's files, oldest first (entries have no `@context` nor `_origin`).",
    _next={**_URL, "description": "Only when there are more: this request with the `after` cursor of the last entry."},
)

DeltaTags = component(
    "DeltaTags",
    {
        "type": "object",
        "description": "A file's tags at one revision, by name.",
        "properties": {
            "@context": constant("DeltaTagsContext", bodies.TAGS_CONTEXT),
            "tags": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"rev": {"type": "integer", "minimum": 1}, "tag": {"type": "string"}},
                    "required": ["rev", "tag"],
                },
            },
        },
        "required": ["@context", "tags"],
    },
)


# --- Orgs, projects, storages ----------------------------------------------------------------------
def _contexts(name: str, *kinds: str) -> type[Component]:
    urls = [bodies.CONTEXTS + kind for kind in kinds]
    return component(name, {"type": "array", "items": {"type": "string", "enum": urls}, "example": urls})


_SUBJECT = {**_URL, "example": "http://localhost:8000/v1/realms/local/users/supplier"}
_METADATA = {
    "_constrainedBy": _URL,
    "_createdAt": _INSTANT,
    "_createdBy": _SUBJECT,
    "_deprecated": {"type": "boolean"},
    "_rev": {"type": "integer", "minimum": 1},
    "_self": _URL,
    "_updatedAt": _INSTANT,
    "_updatedBy": _SUBJECT,
}
_ORG_FIELDS = {
    "@id": _URL,
    "@type": constant("DeltaOrganizationType", "Organization"),
    **_METADATA,
    "_label": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
    "_uuid": {"type": "string", "format": "uuid"},
}
_DESCRIPTION = {"type": "string", "description": "Absent when empty."}


def _resource(description: str, context, fields: dict, optional: dict, *, listed: bool = False) -> dict:
    """A registry body: its fields (all required) and the optional ones; in a listing, no `@context`."""
    properties = {**({} if listed else {"@context": context}), **fields, **optional}
    schema = {"type": "object", "description": description, "properties": properties}
    return {**schema, "required": [k for k in properties if k not in optional]}


_ORG = _resource("An organization.", None, _ORG_FIELDS, {"description": _DESCRIPTION}, listed=True)
DeltaOrganization = component(
    "DeltaOrganization",
    _resource(
        "An organization (at `?rev=` if given).",
        _contexts("DeltaOrganizationContext", "organizations.json", "metadata.json"),
        _ORG_FIELDS,
        {"description": _DESCRIPTION},
    ),
)
DeltaOrganizationMetadata = component(
    "DeltaOrganizationMetadata",
    _resource(
        "What a write answers: the organization's metadata at its new revision.",
        _contexts("DeltaOrganizationMetadataContext", "organizations-metadata.json", "metadata.json"),
        _ORG_FIELDS,
        {},
    ),
)
DeltaOrganizationListing = _listing(
    "DeltaOrganizationListing", _ORG, "The organizations the caller may read (`orgs/read`), by label."
)

_MAPPINGS = {
    "type": "array",
    "description": "The project's own CURIE prefixes.",
    "items": {
        "type": "object",
        "properties": {"prefix": {"type": "string"}, "namespace": {"type": "string"}},
        "required": ["prefix", "namespace"],
        "additionalProperties": False,
    },
}
_PROJECT_METADATA = {
    "@id": _URL,
    "@type": constant("DeltaProjectType", "Project"),
    **_METADATA,
    "_effectiveApiMappings": {
        "type": "array",
        "description": "Every prefix an id segment may use (`nxv:myfile`): the server's, then the project's.",
        "items": {
            "type": "object",
            "properties": {"_prefix": {"type": "string"}, "_namespace": {"type": "string"}},
            "required": ["_prefix", "_namespace"],
        },
    },
    "_label": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,64}$"},
    "_markedForDeletion": {"type": "boolean", "enum": [False]},
    "_organizationLabel": {"type": "string"},
    "_organizationUuid": {"type": "string", "format": "uuid"},
    "_uuid": {"type": "string", "format": "uuid"},
}
_PROJECT_FIELDS = {
    **_PROJECT_METADATA,
    "apiMappings": _MAPPINGS,
    "base": {**_URL, "description": "The prefix of the project's relative ids."},
    "vocab": _URL,
}
_PROJECT = _resource("A project.", None, _PROJECT_FIELDS, {"description": _DESCRIPTION}, listed=True)
DeltaProject = component(
    "DeltaProject",
    _resource(
        "A project (at `?rev=` if given).",
        _contexts("DeltaProjectContext", "projects.json", "metadata.json"),
        _PROJECT_FIELDS,
        {"description": _DESCRIPTION},
    ),
)
DeltaProjectMetadata = component(
    "DeltaProjectMetadata",
    _resource(
        "What a write answers: the project's metadata at its new revision.",
        _contexts("DeltaProjectMetadataContext", "projects-metadata.json", "metadata.json"),
        _PROJECT_METADATA,
        {},
    ),
)
DeltaProjectListing = _listing(
    "DeltaProjectListing", _PROJECT, "The projects the caller may read (`projects/read`), by org and label."
)

_STORAGE_LISTED = {
    "@id": {**_URL, "example": "https://bluebrain.github.io/nexus/vocabulary/diskStorageDefault"},
    "@type": {
        "type": "array",
        "items": {"type": "string", "enum": ["Storage", *StorageType.values]},
        "example": ["Storage", "DiskStorage"],
    },
    "_algorithm": {"type": "string", "enum": [bodies.STORAGE_ALGORITHM]},
    **_METADATA,
    "_incoming": _URL,
    "_outgoing": _URL,
    "_project": _URL,
}
DeltaStorage = component(
    "DeltaStorage",
    _resource(
        "A storage: its id is what `?storage=` takes.",
        _contexts("DeltaStorageContext", "storages.json", "metadata.json"),
        {
            **_STORAGE_LISTED,
            "default": {"type": "boolean", "description": "Files go here when no `?storage=` is given."},
            "maxFileSize": {"type": "integer", "format": "int64", "minimum": 0},
            "readPermission": {"type": "string", "example": "resources/read"},
            "writePermission": {"type": "string", "example": "files/write"},
        },
        {},
    ),
)
DeltaStorageListing = component(
    "DeltaStorageListing",
    {
        "type": "object",
        "description": "A project's storages, oldest first (entries without their settings).",
        "properties": {
            "@context": _contexts("DeltaStorageListingContext", "metadata.json", "search.json", "search-metadata.json"),
            "_total": {"type": "integer", "minimum": 0},
            "_results": {"type": "array", "items": _resource("", None, _STORAGE_LISTED, {}, listed=True)},
        },
        "required": ["@context", "_total", "_results"],
    },
)

_IDENTITY = {
    "type": "object",
    "description": "Who an entry is for: a `User` (`subject`), a `Group` (`group`), `Authenticated` or `Anonymous`.",
    "properties": {
        "@id": _URL,
        "@type": {"type": "string", "enum": ["User", "Group", "Authenticated", "Anonymous"]},
        "realm": {"type": "string", "enum": ["local"]},
        "subject": {"type": "string"},
        "group": {"type": "string"},
    },
    "required": ["@id", "@type"],
}
_ACL = {
    "type": "object",
    "properties": {
        "@id": _URL,
        "@type": {"type": "string", "enum": ["AccessControlList"]},
        "_path": {"type": "string", "example": "/myorg/myproj"},
        "acl": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "identity": _IDENTITY,
                    "permissions": {"type": "array", "items": {"type": "string", "example": "files/write"}},
                },
                "required": ["identity", "permissions"],
            },
        },
        "_rev": {"type": "integer", "minimum": 1},
        "_self": _URL,
    },
    "required": ["@id", "@type", "_path", "acl", "_rev", "_self"],
}
DeltaAclListing = _listing(
    "DeltaAclListing",
    _ACL,
    "One access control list per path: every entry with `acls/read` on the path, otherwise the caller's own.",
)

# --- Request bodies --------------------------------------------------------------------------------
DeltaFileUpload = component(
    "DeltaFileUpload",
    {
        "type": "object",
        "description": "The file's bytes in the part named `file` (its filename and Content-Type are kept; "
        "other parts are ignored).",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    },
)
DeltaFileLink = component(
    "DeltaFileLink",
    {
        "type": "object",
        "description": "Links an object already in the storage's link area (S3 storages only) instead of "
        "uploading bytes. `filename` defaults to the path's last segment.",
        "properties": {
            "path": {"type": "string", "example": "relative/path/to/myfile.png"},
            "filename": {"type": "string", "nullable": True, "example": "myfile.png"},
            "mediaType": {"type": "string", "nullable": True, "example": "image/png"},
        },
        "required": ["path"],
        "additionalProperties": False,
    },
)
_IGNORED = " Keys starting with `@` or `_` (a fetched body sent back) are ignored; any other is refused."
DeltaOrganizationPayload = component(
    "DeltaOrganizationPayload",
    {
        "type": "object",
        "description": "An organization's description (an update replaces it)." + _IGNORED,
        "properties": {"description": {"type": "string", "nullable": True, "example": "Demo organization"}},
    },
)
_PREFIX_IRI = {"type": "string", "format": "uri", "nullable": True, "pattern": "[/#]$"}
DeltaProjectPayload = component(
    "DeltaProjectPayload",
    {
        "type": "object",
        "description": "A project's settings; an update replaces all four (absent: empty or the default)." + _IGNORED,
        "properties": {
            "description": {"type": "string", "nullable": True},
            "base": {
                **_PREFIX_IRI,
                "description": "The prefix of relative ids (ends with `/` or `#`); default "
                "`{server}/v1/resources/{org}/{project}/_/`.",
            },
            "vocab": {**_PREFIX_IRI, "description": "Default `{server}/v1/vocabs/{org}/{project}/`."},
            "apiMappings": {**_MAPPINGS, "nullable": True},
        },
    },
)
DeltaTag = component(
    "DeltaTag",
    {
        "type": "object",
        "description": "The tag's name and the revision it points to.",
        "properties": {
            "tag": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": "^[ -~]+$",
                "not": {"enum": ["latest"]},
                "description": "1 to 64 printable ASCII characters; `latest` is reserved.",
            },
            "rev": {"type": "integer", "minimum": 1, "description": "The revision the tag points to."},
        },
        "required": ["tag", "rev"],
    },
)
