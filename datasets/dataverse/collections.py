"""Dataverse collections (`dataverses`): addressing by alias (`:root`), who administers one, whether its
store takes direct uploads, creating one below another, its contents and JSON shape."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import transaction

from core.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, NotFound

from ..models import Collection, Dataset, DatasetVersion, VersionState
from ..selectors import COLLECTION_MAX_DEPTH, collection_admin_of, collection_chain, dataset_can_write, is_number
from .access import ANONYMOUS

ROOT = "root"
# Dataverse names the root collection `:root`; clients also write its alias in either case.
_ROOT_NAMES = {":root", "root", "Root"}
# `contents` lists at most this many collections and datasets (Dataverse pages none).
CONTENTS_LIMIT = 1000
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


def collection_root() -> Collection:
    """The root collection (made by a migration; made again if an admin removed it)."""
    root, _ = Collection.objects.get_or_create(alias=ROOT, defaults={"name": "Root"})
    return root


def collection_get(*, ident: str) -> Collection:
    """The collection a path names: by alias, `:root`, or database id."""
    if ident in _ROOT_NAMES:
        return collection_root()
    found = Collection.objects.filter(alias=ident).first()
    if found is None and is_number(ident) and len(ident) < 19:
        found = Collection.objects.filter(pk=int(ident)).first()
    if found is None:
        raise NotFound(f"Can't find dataverse with identifier='{ident}'")
    return found


def collection_is_admin(*, user, collection: Collection) -> bool:
    """Superusers, and the admins of the collection or of any above it."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return collection_admin_of(user=user, collection=collection)


def collection_require_admin(*, user, collection: Collection, action: str) -> None:
    if not user.is_authenticated:
        raise NotAuthenticated(ANONYMOUS)
    if not collection_is_admin(user=user, collection=collection):
        raise Forbidden(f"User {user.get_username()} is not permitted to {action} in dataverse {collection.alias}.")


def collection_direct_upload(collection: Collection | None) -> bool | None:
    """Whether the collection's store takes direct uploads: its own setting, else the nearest one
    above it, else (the root) NEXUS_DATAVERSE_DIRECT_UPLOAD. None for no collection."""
    if collection is None:
        return None
    for current in collection_chain(collection):
        if current.direct_upload is not None:
            return current.direct_upload
    return settings.NEXUS_DATAVERSE_DIRECT_UPLOAD


def dataset_direct_upload(dataset: Dataset) -> bool:
    """A dataset of a collection follows its collection's store; one outside any its own flag."""
    by_collection = collection_direct_upload(dataset.collection)
    return dataset.direct_upload if by_collection is None else by_collection


def collection_organization(collection: Collection):
    """The organization of the collection or the nearest above it that has one, else None."""
    for current in collection_chain(collection):
        if current.organization_id is not None:
            return current.organization
    return None


def collection_body_read(body) -> dict:
    """The fields of a collection's native JSON (`alias`, `name`, `description`)."""
    if not isinstance(body, dict):
        raise InvalidInput("The body must be a JSON object describing the dataverse.")
    alias, name = body.get("alias"), body.get("name")
    if not isinstance(alias, str) or not _ALIAS.match(alias) or alias in _ROOT_NAMES:
        raise InvalidInput("'alias' must be 1 to 100 letters, digits, '_' or '-' (and not 'root').")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("'name' must be given: the dataverse's name.")
    description = body.get("description", "")
    if not isinstance(description, str):
        raise InvalidInput("'description' must be text.")
    return {"alias": alias, "name": name.strip()[:200], "description": description}


@transaction.atomic
def collection_create(*, user, parent: Collection, body) -> Collection:
    """A collection below `parent`, by its admins (or a superuser); its creator administers it."""
    collection_require_admin(user=user, collection=parent, action="create a dataverse")
    fields = collection_body_read(body)
    if len(collection_chain(parent)) >= COLLECTION_MAX_DEPTH:
        raise InvalidInput(f"Dataverses nest at most {COLLECTION_MAX_DEPTH} deep.")
    if Collection.objects.filter(alias=fields["alias"]).exists():
        raise Conflict(f"A dataverse with alias {fields['alias']} already exists.")
    collection = Collection.objects.create(parent=parent, **fields)
    collection.admins.add(user)
    return collection


def collection_json(collection: Collection) -> dict:
    body = {"id": collection.pk, "alias": collection.alias, "name": collection.name}
    if collection.description:
        body["description"] = collection.description
    if collection.parent_id is not None:
        body["ownerId"] = collection.parent_id
    return body | {
        "dataverseType": "UNCATEGORIZED",
        "permissionRoot": collection.parent_id is None,
        "isReleased": True,
        "creationDate": collection.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def collection_contents(*, user, collection: Collection) -> list[dict]:
    """The collections below it and the datasets in it that the caller sees (a published version,
    or any for their writers), collections first, at most CONTENTS_LIMIT in all."""
    items = [
        {"type": "dataverse", "id": child.pk, "title": child.name}
        for child in collection.children.order_by("alias")[:CONTENTS_LIMIT]
    ]
    published = DatasetVersion.objects.filter(state=VersionState.PUBLISHED).values("dataset_id")
    datasets = Dataset.objects.filter(collection=collection).order_by("id")
    for dataset in datasets.iterator():
        if len(items) >= CONTENTS_LIMIT:
            break
        if not (published.filter(dataset_id=dataset.pk).exists() or dataset_can_write(user=user, dataset=dataset)):
            continue
        protocol, _, rest = (dataset.persistent_id or "").partition(":")
        authority, _, identifier = rest.partition("/")
        items.append(
            {
                "type": "dataset",
                "id": dataset.pk,
                "identifier": identifier,
                "persistentUrl": f"https://doi.org/{authority}/{identifier}",
                "protocol": protocol,
                "authority": authority,
                "separator": "/",
                "publisher": collection.name,
            }
        )
    return items
