"""The JSON-LD bodies of the Delta dialect: files, listings, tags, orgs, projects, storages, ACLs, file content."""

import base64
from urllib.parse import quote, urlencode

from ..iris import DEFAULT_MAPPINGS, encode_segment, file_self, project_base, project_vocab, subject_iri
from ..models import SERVICE_SUBJECT, Acl, Org, Project, Storage, StorageType
from ..selectors import FilePage, FileState, file_state

RESOURCE_CONTEXT = "https://bluebrain.github.io/nexus/contexts/resource.json"
SEARCH_CONTEXT = "https://bluebrain.github.io/nexus/contexts/search.json"
TAGS_CONTEXT = "https://bluebrain.github.io/nexus/contexts/tags.json"
FILE_SCHEMA = "https://bluebrain.github.io/nexus/schemas/file.json"
VARY = {"Vary": "Accept,Accept-Encoding"}


def timestamp(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def file_body(state: FileState, *, base_uri: str, listing: bool = False) -> dict:
    file = state.file
    project = file.project
    self_url = file_self(project, file.iri, base_uri=base_uri)
    body = {} if listing else {"@context": RESOURCE_CONTEXT}
    body.update(
        {
            "@id": file.iri,
            "@type": "File",
            "_bytes": state.blob.size,
            "_digest": {"_algorithm": "SHA-256", "_value": state.blob.sha256},
            "_filename": state.filename,
        }
    )
    if state.storage.type == StorageType.S3:
        # Delta's show-location, without the bucket's internal key: an opaque, stable address of this
        # revision's bytes.
        body["_location"] = f"file:///{state.storage.uuid}/{file.uuid}/{state.rev}"
    body.update(
        {
            "_mediaType": state.media_type,
            "_storage": {"@id": state.storage.iri, "@type": state.storage.type, "_rev": state.storage_rev},
            "_incoming": f"{self_url}/incoming",
            "_outgoing": f"{self_url}/outgoing",
            "_self": self_url,
            "_constrainedBy": FILE_SCHEMA,
            "_project": f"{base_uri}/v1/projects/{project.org.label}/{project.label}",
            "_rev": state.rev,
            "_deprecated": state.deprecated,
            "_createdAt": timestamp(file.created_at),
            "_createdBy": subject_iri(file.created_by, base_uri=base_uri),
            "_updatedAt": timestamp(state.updated_at),
            "_updatedBy": subject_iri(state.updated_by, base_uri=base_uri),
        }
    )
    if not listing:
        body["_origin"] = state.origin
    body["_uuid"] = str(file.uuid)
    return body


def tags_body(tags: list[dict]) -> dict:
    return {"@context": TAGS_CONTEXT, "tags": tags}


def file_listing_body(page: FilePage, *, params, base_uri: str, org: str, project: str) -> dict:
    """A page of files; `_next` repeats the request's parameters with the cursor instead of `from`/`after`."""
    body = {
        "@context": [SEARCH_CONTEXT, RESOURCE_CONTEXT],
        "_total": page.total,
        "_results": [file_body(file_state(f), base_uri=base_uri, listing=True) for f in page.files],
    }
    if page.next_cursor is not None:
        kept = [(k, v) for k, values in params.lists() if k not in ("from", "after") for v in values]
        query_string = urlencode([*kept, ("after", page.next_cursor)], safe=":/,", quote_via=quote)
        body["_next"] = f"{base_uri}/v1/files/{org}/{project}?{query_string}"
    return body


def content_disposition(filename: str) -> str:
    encoded = base64.b64encode(filename.encode("utf-8")).decode("ascii")
    return f'attachment; filename="=?UTF-8?B?{encoded}?="'


class Chunks:
    """A stream's bytes in chunks; Django closes it (via `close`) when the response is done."""

    size = 1024 * 1024

    def __init__(self, reader):
        self.reader = reader

    def __iter__(self):
        return iter(lambda: self.reader.read(self.size), b"")

    def close(self):
        self.reader.close()


CONTEXTS = "https://bluebrain.github.io/nexus/contexts/"
METADATA_CONTEXT = CONTEXTS + "metadata.json"
SCHEMAS = "https://bluebrain.github.io/nexus/schemas/"


def _registry_metadata(row, *, base_uri: str, url: str, schema: str, authors: tuple[str, str] | None = None) -> dict:
    """Delta's metadata of an org, project or storage: its address, revision and authors."""
    created_by, updated_by = authors or (row.created_by, row.updated_by)
    return {
        "_constrainedBy": SCHEMAS + schema,
        "_createdAt": timestamp(row.created_at),
        "_createdBy": subject_iri(created_by, base_uri=base_uri),
        "_deprecated": row.deprecated,
        "_rev": row.rev,
        "_self": url,
        "_updatedAt": timestamp(row.updated_at),
        "_updatedBy": subject_iri(updated_by, base_uri=base_uri),
    }


def org_body(org: Org, base_uri: str, *, metadata: bool = False, context: bool = True) -> dict:
    """An org as fetched, or (`metadata`) as a write answers it: without the description."""
    url = f"{base_uri}/v1/orgs/{org.label}"
    kind = "organizations-metadata.json" if metadata else "organizations.json"
    body = {"@context": [CONTEXTS + kind, METADATA_CONTEXT]} if context else {}
    body.update({"@id": url, "@type": "Organization"})
    if org.description and not metadata:
        body["description"] = org.description
    body.update(_registry_metadata(org, base_uri=base_uri, url=url, schema="organizations.json"))
    body.update({"_label": org.label, "_uuid": str(org.uuid)})
    return dict(sorted(body.items(), key=_key_order))


def _key_order(item) -> tuple:
    # Delta's JSON key ordering: @-keys first, then plain fields, then `_` metadata, each alphabetical.
    key = item[0]
    rank = {"@context": 0, "@id": 1, "@type": 2}.get(key, 3 if key.startswith("@") else 5 if key[0] == "_" else 4)
    return rank, key


def project_body(project: Project, base_uri: str, *, metadata: bool = False, context: bool = True) -> dict:
    """A project as fetched (its own `apiMappings`, `base`, `vocab`), or (`metadata`) as a write answers
    it; `_effectiveApiMappings` are the prefixes ids expand with: the server's and the project's own."""
    url = f"{base_uri}/v1/projects/{project.org.label}/{project.label}"
    own = project.api_mappings or {}
    kind = "projects-metadata.json" if metadata else "projects.json"
    body = {"@context": [CONTEXTS + kind, METADATA_CONTEXT]} if context else {}
    body.update({"@id": url, "@type": "Project"})
    if not metadata:
        body["apiMappings"] = [{"prefix": p, "namespace": n} for p, n in own.items()]
        body["base"] = project_base(project, base_uri=base_uri)
        if project.description:
            body["description"] = project.description
        body["vocab"] = project_vocab(project, base_uri=base_uri)
    body.update(_registry_metadata(project, base_uri=base_uri, url=url, schema="projects.json"))
    effective = {**DEFAULT_MAPPINGS, **own}
    body.update(
        {
            "_effectiveApiMappings": [{"_namespace": n, "_prefix": p} for p, n in effective.items()],
            "_label": project.label,
            "_markedForDeletion": False,
            "_organizationLabel": project.org.label,
            "_organizationUuid": str(project.org.uuid),
            "_uuid": str(project.uuid),
        }
    )
    return dict(sorted(body.items(), key=_key_order))


STORAGE_ALGORITHM = "SHA-256"


def storage_body(storage: Storage, base_uri: str, *, listing: bool = False) -> dict:
    """A storage as fetched, or (`listing`) as listed: Delta's listing entries leave out its settings.
    Where the bytes go (volume, bucket) is the server's, not shown."""
    project = storage.project
    url = f"{base_uri}/v1/storages/{project.org.label}/{project.label}/{encode_segment(storage.iri)}"
    body = {} if listing else {"@context": [CONTEXTS + "storages.json", METADATA_CONTEXT]}
    body.update({"@id": storage.iri, "@type": ["Storage", storage.type]})
    if not listing:
        body.update(
            {
                "default": storage.default,
                "maxFileSize": storage.max_file_size,
                "readPermission": storage.read_permission,
                "writePermission": storage.write_permission,
            }
        )
    body.update(
        {
            "_algorithm": STORAGE_ALGORITHM,
            # Created with its project or by the operator: Delta's service account wrote it.
            **_registry_metadata(
                storage, base_uri=base_uri, url=url, schema="storages.json", authors=(SERVICE_SUBJECT, SERVICE_SUBJECT)
            ),
            "_incoming": f"{url}/incoming",
            "_outgoing": f"{url}/outgoing",
            "_project": f"{base_uri}/v1/projects/{project.org.label}/{project.label}",
        }
    )
    return dict(sorted(body.items(), key=_key_order))


def storage_listing(storages, base_uri: str) -> dict:
    results = [storage_body(storage, base_uri, listing=True) for storage in storages]
    return {
        "@context": [METADATA_CONTEXT, SEARCH_CONTEXT, CONTEXTS + "search-metadata.json"],
        "_total": len(results),
        "_results": results,
    }


def one(body: dict) -> dict:
    """A single resource's body: its context first."""
    return {"@context": RESOURCE_CONTEXT, **body}


def listing(results: list[dict]) -> dict:
    return {"@context": [SEARCH_CONTEXT, RESOURCE_CONTEXT], "_total": len(results), "_results": results}


def identity_body(acl: Acl, base_uri: str) -> dict:
    if acl.identity == "user":
        return {
            "@id": f"{base_uri}/v1/realms/local/users/{acl.user.get_username()}",
            "@type": "User",
            "realm": "local",
            "subject": acl.user.get_username(),
        }
    if acl.identity == "group":
        return {
            "@id": f"{base_uri}/v1/realms/local/groups/{acl.group.slug}",
            "@type": "Group",
            "realm": "local",
            "group": acl.group.slug,
        }
    if acl.identity == "authenticated":
        return {"@id": f"{base_uri}/v1/realms/local/authenticated", "@type": "Authenticated", "realm": "local"}
    return {"@id": f"{base_uri}/v1/anonymous", "@type": "Anonymous"}


def acls_body(acls, base_uri: str) -> dict:
    """The entries grouped into one AccessControlList per path, by path."""
    by_path: dict[str, list[dict]] = {}
    for acl in acls:
        by_path.setdefault(acl.path, []).append(
            {"identity": identity_body(acl, base_uri), "permissions": sorted(acl.permissions)}
        )
    results = [
        {
            "@id": f"{base_uri}/v1/acls{p if p != '/' else ''}",
            "@type": "AccessControlList",
            "_path": p,
            "acl": entries,
            "_rev": 1,
            "_self": f"{base_uri}/v1/acls{p if p != '/' else ''}",
        }
        for p, entries in sorted(by_path.items())
    ]
    return listing(results)
