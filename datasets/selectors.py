"""Reads of datasets: write rights, the version a dataset-level request means, a version's files."""

from django.db.models import Q

from accounts.models import Membership, Role
from nexus_server.errors import NotFound

from .models import Dataset, DatasetFile, DatasetVersion, VersionState, WriteGrant


def dataset_get(*, short_name: str) -> Dataset:
    dataset = Dataset.objects.select_related("organization").filter(short_name=short_name).first()
    if dataset is None:
        raise NotFound(f"Dataset '{short_name}' does not exist.")
    return dataset


def dataset_can_write(*, user, dataset: Dataset) -> bool:
    """Uploaders of the owning organization, users and organizations granted write, superusers."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if Membership.objects.filter(user=user, organization_id=dataset.organization_id, role=Role.UPLOADER).exists():
        return True
    member_of = Membership.objects.filter(user=user).values("organization_id")
    return WriteGrant.objects.filter(Q(user=user) | Q(organization_id__in=member_of), dataset=dataset).exists()


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


def version_files(*, version: DatasetVersion):
    return DatasetFile.objects.select_related("blob").filter(version=version).order_by("directory_label", "name")
