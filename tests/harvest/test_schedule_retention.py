"""The beat schedule follows a task's trigger; retention removes exactly what is past its time."""

import json
from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from harvest.models import Measurement
from harvest.retention import retention_apply
from synctasks.models import DataConnection, FeatureKind, Subscription, SyncTask, TriggerKind, World
from tests.support.harvest import upload_and_ingest

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_follows_an_admins_change_of_the_trigger(sources, django_user_model):
    task = SyncTask.objects.get(data_source=sources.knmi)
    admin = django_user_model.objects.create_superuser(username="admin", password="x", email="a@example.org")
    request = RequestFactory().post("/admin/")
    request.user = admin
    model_admin = site._registry[SyncTask]

    task.trigger_kind, task.schedule_hour, task.schedule_minute = TriggerKind.SCHEDULE, 12, 0
    model_admin.save_model(request, task, form=None, change=True)
    entry = PeriodicTask.objects.get(name=f"sync-task-{task.pk}")
    assert (entry.task, json.loads(entry.args), entry.enabled) == ("harvest.scheduled", [task.pk], True)
    assert (entry.crontab.hour, entry.crontab.minute, str(entry.crontab.timezone)) == ("12", "0", "UTC")

    task.schedule_hour, task.schedule_minute = 6, 30
    model_admin.save_model(request, task, form=None, change=True)
    entry = PeriodicTask.objects.get(name=f"sync-task-{task.pk}")
    assert (entry.crontab.hour, entry.crontab.minute) == ("6", "30")
    assert SyncTask.objects.get(pk=task.pk).trigger == "Every day at 06:30 UTC"

    task.trigger_kind = TriggerKind.ON_DEMAND
    model_admin.save_model(request, task, form=None, change=True)
    assert not PeriodicTask.objects.filter(name=f"sync-task-{task.pk}").exists()


def test_seed_demo_schedules_the_knmi_task(settings, capsys):
    from django.core.management import call_command

    settings.NEXUS_DEMO_TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
    call_command("seed_demo", "--json")
    entry = PeriodicTask.objects.get(name="sync-task-7")
    assert (entry.crontab.hour, entry.crontab.minute, entry.task) == ("12", "0", "harvest.scheduled")


def test_retention_removes_exactly_the_rows_past_the_longest_retention(sources):
    now = timezone.now().replace(microsecond=0)
    days = [30, 21, 19, 1]
    content = "feature,parameter,timestamp,value\n" + "".join(
        f"{'A' if d > 20 else 'B'},p,{(now - timedelta(days=d)).isoformat()},{d}\n" for d in days
    )
    upload_and_ingest(sources, sources.timeseries, "m.csv", content.encode())
    dc = sources.dc(sources.timeseries, FeatureKind.TIMESERIES)
    short, long = World.objects.create(alias="short"), World.objects.create(alias="long")
    Subscription.objects.create(world=short, data_connection=dc, retention_time=10 * 86400)
    Subscription.objects.create(world=long, data_connection=dc, retention_time=20 * 86400)
    other = sources.dc(sources.wide, FeatureKind.TIMESERIES)  # no subscription: keeps everything
    upload_and_ingest(sources, sources.wide, "w.csv", b"location;datum;p\nX;2000-01-01;1\n")

    assert retention_apply() == {"rows_removed": 2, "connections": 1}
    assert sorted(Measurement.objects.filter(series__data_connection=dc).values_list("value", flat=True)) == [1.0, 19.0]
    stats = DataConnection.objects.get(pk=dc.pk)
    assert (stats.n_features, stats.oldest_time, stats.newest_time) == (
        1,
        now - timedelta(days=19),
        now - timedelta(days=1),
    )
    assert Measurement.objects.filter(series__data_connection=other).count() == 1
    assert retention_apply() == {"rows_removed": 0, "connections": 0}


def test_a_scheduled_run_is_not_queued_beside_one_waiting(sources, django_capture_on_commit_callbacks):
    from harvest.models import HarvestRun, RunStatus
    from harvest.runs import harvest_queue_scheduled

    task = SyncTask.objects.get(data_source=sources.knmi)
    DataSourceModel = type(sources.knmi)
    DataSourceModel.objects.filter(pk=sources.knmi.pk).update(endpoint="http://127.0.0.1:9/")
    with django_capture_on_commit_callbacks() as callbacks:
        first = harvest_queue_scheduled(task_id=task.pk)
        assert harvest_queue_scheduled(task_id=task.pk) is None
    assert len(callbacks) == 1
    assert list(HarvestRun.objects.values_list("pk", "status")) == [(first, RunStatus.QUEUED)]
