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
