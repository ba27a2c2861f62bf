"""Reads of datasets shared by both dialects: write rights (collections' admins included), the version
a request means, the next version's identifier, the draft, a version's files and who sees them."""

from django.db.models import Q

from accounts.models import Membership, Role
from core.errors import Forbidden, NotAuthenticated, NotFound

from .models import Collection, Dataset, DatasetFile, DatasetVersion, VersionState, WriteGrant

# Collections nest; a parent chain longer than this is refused (and ends every walk up it).
COLLECTION_MAX_DEPTH = 50


def dataset_get(*, short_name: str) -> Dataset:
    dataset = Dataset.objects.select_related("organization").filter(short_name=short_name).first()
    if dataset is None:
        raise NotFound(f"Dataset '{short_name}' does not exist.")
    return dataset


def collection_chain(collection: Collection | None) -> list[Collection]:
    """The collection and those above it, nearest first (at most COLLECTION_MAX_DEPTH)."""
    chain, seen, current = [], set(), collection
    while current is not None and current.pk not in seen and len(chain) < COLLECTION_MAX_DEPTH:
        chain.append(current)
        seen.add(current.pk)
        current = current.parent
    return chain


def collection_admin_of(*, user, collection: Collection | None) -> bool:
    """Whether the (authenticated) user administers the collection or one above it."""
    ids = [c.pk for c in collection_chain(collection)]
    return bool(ids) and Collection.objects.filter(pk__in=ids, admins=user).exists()


def dataset_can_write(*, user, dataset: Dataset) -> bool:
    """Uploaders of the owning organization, users and organizations granted write, admins of its
    Dataverse collection (or one above), superusers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if dataset.collection_id is not None and collection_admin_of(user=user, collection=dataset.collection):
        return True
    if Membership.objects.filter(user=user, organization_id=dataset.organization_id, role=Role.UPLOADER).exists():
        return True
    member_of = Membership.objects.filter(user=user).values("organization_id")
    return WriteGrant.objects.filter(Q(user=user) | Q(organization_id__in=member_of), dataset=dataset).exists()


def dataset_require_write(*, user, dataset: Dataset, refused: str | None = None, anonymous: str | None = None) -> None:
    """Refuses a caller who may not write to the dataset: with `anonymous` given, an anonymous caller
    is told that (NotAuthenticated); anyone else without the right is Forbidden, in the words of
    `refused` (by default the gateway's)."""
    if anonymous is not None and not user.is_authenticated:
        raise NotAuthenticated(anonymous)
    if not dataset_can_write(user=user, dataset=dataset):
        raise Forbidden(refused or f"You may not write to dataset '{dataset.short_name}'.")


def is_number(text: str) -> bool:
    """ASCII digits only (str.isdigit() takes "²", which int() refuses)."""
    return text.isascii() and text.isdigit()


def version_next_identifier(*, dataset: Dataset) -> str:
    """The identifier of the dataset's next version: one major number past the highest its versions
    have (1.0 for the first, 3.0 after 2.0 or 2.1, whichever version it is made from), as Dataverse
    numbers a major release and the gateway's seed follows 1.0 with 2.0. Identifiers that do not
    start with a number (`beta`) do not count."""
    identifiers = DatasetVersion.objects.filter(dataset=dataset).values_list("identifier", flat=True)
    majors = [int(major) for major in (i.split(".")[0] for i in identifiers) if is_number(major)]
    return f"{max(majors, default=0) + 1}.0"


def dataset_draft(*, dataset: Dataset) -> DatasetVersion | None:
    return DatasetVersion.objects.filter(dataset=dataset, state=VersionState.DRAFT).order_by("-created", "-id").first()


def version_get(*, dataset: Dataset, identifier: str | None) -> DatasetVersion:
    """The named version; without a name, the latest published one, else the pre-published one."""
    versions = DatasetVersion.objects.filter(dataset=dataset)
    if identifier is not None:
        version = versions.filter(identifier=identifier).first()
        if version is None:
            raise NotFound(f"Dataset '{dataset.short_name}' has no version '{identifier}'.")
        return version
    version = (
        versions.filter(state=VersionState.PUBLISHED).order_by("-published_at", "-id").first()
        or versions.filter(state=VersionState.DRAFT).order_by("-created", "-id").first()
    )
    if version is None:
        raise NotFound(f"Dataset '{dataset.short_name}' has no version yet.")
    return version


def version_file_get(*, version: DatasetVersion, name: str) -> DatasetFile:
    directory, _, base = name.rpartition("/")
    found = DatasetFile.objects.select_related("blob").filter(version=version, directory_label=directory, name=base)
    file = found.first()
    if file is None:
        raise NotFound(
            f"Version '{version.identifier}' of dataset '{version.dataset.short_name}' has no file '{name}'."
        )
    return file


# --- who sees a file: a restricted file (Dataverse `"restrict": true`) is the dataset's writers' only.
# Everyone else is answered as if it were not there: it is left out of every listing and its lookup
# is a NotFound, so that neither its bytes nor its name or size leave the server.


def file_visible(*, user, file: DatasetFile, can_write: bool | None = None) -> bool:
    """Whether the user may see (list, read, download) the file; `can_write` when already known."""
    if not file.restricted:
        return True
    if can_write is None:
        can_write = dataset_can_write(user=user, dataset=file.version.dataset)
    return can_write


def version_files(*, version: DatasetVersion, user):
    """The version's files the user may see: restricted ones for the dataset's writers only."""
    files = (
        DatasetFile.objects.select_related("blob", "original_blob")
        .filter(version=version)
        .order_by("directory_label", "name")
    )
    if not dataset_can_write(user=user, dataset=version.dataset):
        files = files.filter(restricted=False)
    return files


def version_file_readable(*, user, version: DatasetVersion, name: str) -> DatasetFile:
    """The named file of the version, or NotFound, also when it is restricted and the user no writer
    (the same answer as for a name that does not exist: the listing does not show it either)."""
    file = version_file_get(version=version, name=name)
    if not file_visible(user=user, file=file):
        raise NotFound(
            f"Version '{version.identifier}' of dataset '{version.dataset.short_name}' has no file '{name}'."
        )
    return file
