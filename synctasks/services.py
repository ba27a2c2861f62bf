"""Writes of the catalog: feature types, data sources with their sync task and data connections."""

from datetime import datetime

from django.db import transaction

from accounts.models import Membership, Organization, Role
from core.errors import Forbidden, MethodNotAllowed

from .models import (
    DataConnection,
    DataSource,
    FeatureKind,
    FeatureType,
    Scenario,
    SyncTask,
    TaskType,
    TriggerKind,
    UploadGrant,
)


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
    trigger_kind: str = TriggerKind.ON_DEMAND,
    schedule: tuple[int, int] | None = None,
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
    hour, minute = schedule if schedule else (None, None)
    task = SyncTask.objects.create(
        task_type=TaskType.DATA_SOURCE,
        data_source=data_source,
        trigger_kind=trigger_kind,
        schedule_hour=hour,
        schedule_minute=minute,
    )
    for feature_type in feature_types:
        DataConnection.objects.create(sync_task=task, feature_type=feature_type)
    return data_source


def upload_grant_create(*, data_source: DataSource, user=None, organization=None) -> UploadGrant:
    return UploadGrant.objects.create(data_source=data_source, user=user, organization=organization)


def _may_manage_scenario(*, user, scenario: Scenario) -> bool:
    """The creator, or a coworker with the scenario analyst role in the scenario's organization (the one
    the creator made it in) — a role in another organization of the creator grants nothing."""
    if user.pk == scenario.created_by_id:
        return True
    return Membership.objects.filter(
        user=user, role=Role.SCENARIO_ANALYST, organization_id=scenario.organization_id
    ).exists()


def _scenario_of(*, user, task: SyncTask) -> Scenario:
    if task.task_type != TaskType.SCENARIO:
        raise MethodNotAllowed(
            f"Sync task {task.pk} is a {task.task_type} task; only scenarios are renamed or deleted."
        )
    if not _may_manage_scenario(user=user, scenario=task.scenario):
        raise Forbidden(
            "Only the scenario's creator or a scenario analyst of the creator's organization may change it."
        )
    return task.scenario


def scenario_rename(*, user, task: SyncTask, name: str) -> SyncTask:
    scenario = _scenario_of(user=user, task=task)
    scenario.name = name
    scenario.save(update_fields=["name"])
    return task


@transaction.atomic
def scenario_delete(*, user, task: SyncTask) -> None:
    scenario = _scenario_of(user=user, task=task)
    task.delete()
    scenario.delete()


# The harvest app's HARVEST_SCHEDULED (harvest.task_names): synctasks may not import harvest, so
# the name is written here as in the beat schedule; tests/test_task_names.py checks they agree.
SCHEDULED_HARVEST_TASK = "harvest.scheduled"


def sync_task_schedule_apply(*, task: SyncTask) -> None:
    """Keeps the beat schedule in step with the task's trigger: a scheduled data source task has a
    periodic entry at its daily time (UTC); any other trigger has none. Called wherever the trigger
    is written (admin, seed_demo), never from a signal."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    name = f"sync-task-{task.pk}"
    if task.trigger_kind != TriggerKind.SCHEDULE or task.task_type != TaskType.DATA_SOURCE:
        PeriodicTask.objects.filter(name=name).delete()
        return
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=str(task.schedule_minute),
        hour=str(task.schedule_hour),
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.update_or_create(
        name=name,
        defaults={
            "task": SCHEDULED_HARVEST_TASK,
            "args": f"[{task.pk}]",
            "crontab": crontab,
            "interval": None,
            "enabled": True,
        },
    )


# --- The catalog's statistics: written here only; harvest and uploads call these. -------------

_KEPT = object()  # a statistic the caller does not change


def data_source_mark_finished(*, data_source_id: int, finished: datetime) -> None:
    """The source's last ingest (an upload's or a harvest's) ended, whatever its outcome."""
    DataSource.objects.filter(pk=data_source_id).update(sync_last_finished=finished)


def sync_task_mark_harvested(*, sync_task_id: int, finished: datetime) -> None:
    """A harvest of the task's data source succeeded."""
    SyncTask.objects.filter(pk=sync_task_id).update(harvest_last_success=finished)


def data_connection_statistics_update(
    *,
    data_connection_id: int,
    n_features: int,
    oldest_time=_KEPT,
    newest_time=_KEPT,
    widen: bool = False,
) -> None:
    """Sets a connection's n_features and, where given, its oldest_time and newest_time. With
    `widen` (an upsert, which only adds rows) the stored times only move outwards: the row is locked
    and each time kept where the given one is None or lies inside the stored range."""
    if widen:
        dc = DataConnection.objects.select_for_update().get(pk=data_connection_id)
        dc.n_features = n_features
        dc.oldest_time = min(filter(None, [dc.oldest_time, None if oldest_time is _KEPT else oldest_time]))
        dc.newest_time = max(filter(None, [dc.newest_time, None if newest_time is _KEPT else newest_time]))
        dc.save(update_fields=["n_features", "oldest_time", "newest_time"])
        return
    fields = {"n_features": n_features}
    if oldest_time is not _KEPT:
        fields["oldest_time"] = oldest_time
    if newest_time is not _KEPT:
        fields["newest_time"] = newest_time
    DataConnection.objects.filter(pk=data_connection_id).update(**fields)
