"""The OpenAPI components of the Delta registry's bodies and payloads: orgs, projects, storages."""

from ..models import StorageType
from . import bodies
from .schema_bodies import _INSTANT, _URL, Component, _listing, component, constant


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


def _three(name: str, kind: str, what: str, fields: dict, metadata: dict, listed: str) -> tuple:
    """The read body, the write answer (metadata only) and the listing of an org or project."""
    optional = {"description": _DESCRIPTION}
    read = _resource(
        f"{what} (at `?rev=` if given).", _contexts(f"{name}Context", f"{kind}.json", "metadata.json"), fields, optional
    )
    written = _resource(
        "What a write answers: the metadata at its new revision (no description).",
        _contexts(f"{name}MetadataContext", f"{kind}-metadata.json", "metadata.json"),
        metadata,
        {},
    )
    return (
        component(name, read),
        component(f"{name}Metadata", written),
        _listing(f"{name}Listing", _resource(f"{what}.", None, fields, optional, listed=True), listed),
    )


DeltaOrganization, DeltaOrganizationMetadata, DeltaOrganizationListing = _three(
    "DeltaOrganization",
    "organizations",
    "An organization",
    _ORG_FIELDS,
    _ORG_FIELDS,
    "The organizations the caller may read (`orgs/read`), by label.",
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
DeltaProject, DeltaProjectMetadata, DeltaProjectListing = _three(
    "DeltaProject",
    "projects",
    "A project",
    _PROJECT_FIELDS,
    _PROJECT_METADATA,
    "The projects the caller may read (`projects/read`), by org and label.",
)

_STORAGE_LISTED = {
    "@id": {**_URL, "example": "https://bluebrain.github.io/nexus/vocabulary/diskStorageDefault"},
    "@type": {
        "type": "array",
        "items": constant("DeltaStorageTypeName", "Storage", *StorageType.values),
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


# --- Request bodies --------------------------------------------------------------------------------
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
