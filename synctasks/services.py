"""Writes of the catalog: feature types, data sources with their sync task and data connections."""

from django.db import transaction

from accounts.models import Organization

from .models import DataConnection, DataSource, FeatureKind, FeatureType, SyncTask, TaskType, UploadGrant


def feature_type_ensure(*, alias: str, kind: str = FeatureKind.SPATIAL, name: str = "") -> FeatureType:
    feature_type, _ = FeatureType.objects.get_or_create(alias=alias, defaults={"kind": kind, "name": name or alias})
    return feature_type


@transaction.atomic
def data_source_create(
    *,
    name: str,
    organization: Organization,
    ext: str,
    feature_types: list[FeatureType],
    uploadable: bool = False,
    private: bool = False,
    description: dict | None = None,
    endpoint: str = "",
    trigger: str = "On demand",
) -> DataSource:
    """A data source with its data_source sync task and one root data connection per feature type."""
    data_source = DataSource.objects.create(
        name=name,
        organization=organization,
        ext=ext.lower().lstrip("."),
        uploadable=uploadable,
        private=private,
        description=description or {},
        endpoint=endpoint,
    )
    task = SyncTask.objects.create(task_type=TaskType.DATA_SOURCE, data_source=data_source, trigger=trigger)
    for feature_type in feature_types:
        DataConnection.objects.create(sync_task=task, feature_type=feature_type)
    return data_source


def upload_grant_create(*, data_source: DataSource, user=None, organization=None) -> UploadGrant:
    return UploadGrant.objects.create(data_source=data_source, user=user, organization=organization)
