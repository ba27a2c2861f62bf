"""Harvests with a real worker against a local HTTP server serving KNMI-format files."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from accounts.services import token_create
from harvest.models import HarvestRun, Measurement, RunStatus
from synctasks.models import SyncTask
from tests.support.data import KNMI
from tests.support.metrics import labels, moved, samples
from tests.support.stack import start_celery_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = KNMI.split(b"#\n  249,")[0] + b"#\n"
DAY3 = HEADER + b"  249,20240103,  200,   50,   90,  150,   65,   80,  100,    7,   90,    2\n"


@pytest.fixture(scope="module")
def harvest_worker(django_db_setup, django_db_blocker, worker_media, tmp_path_factory):
    log = tmp_path_factory.mktemp("harvest-worker") / "worker.log"
    with django_db_blocker.unblock():
        process = start_celery_worker(
            log=log,
            media=worker_media,
            purge=True,
            extra_env={
                "NEXUS_HARVEST_RETRY_SECONDS": "0.2",
                "NEXUS_HARVEST_MAX_ATTEMPTS": "3",
            },
        )
    yield log
    process.terminate()
    process.wait(timeout=20)


def _sync(client, knmi) -> int:
    response = client.post(f"/api/v1/sync_tasks_new/{knmi['task'].pk}/sync/?token={knmi['token']}")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    return response.json()["id"]


def _finished(run_id) -> HarvestRun | None:
    run = HarvestRun.objects.get(pk=run_id)
    return run if run.status in (RunStatus.SUCCESSFUL, RunStatus.FAILED) else None


def test_a_harvest_stores_the_data_and_the_next_asks_only_for_the_new_window(
    client, knmi, endpoint, harvest_worker, worker_storage
):
    endpoint.answers = [(200, KNMI), (200, DAY3), (200, DAY3)]
    before = samples(client.get("/metrics").content.decode())
    run_id = _sync(client, knmi)
    first = wait_for(lambda: _finished(run_id), what="the first harvest")
    assert first.status == RunStatus.SUCCESSFUL, first.report
    # The worker's count, summed into this process's scrape through the shared metrics directory.
    after = samples(client.get("/metrics").content.decode())
    assert moved(before, after, "nexus_harvest_runs_total") == {labels(outcome="successful"): 1}
    today = datetime.now(UTC).date()
    assert endpoint.requests[0] == {
        "path": "/klimatologie/daggegevens",
        "start": (today - timedelta(days=30)).strftime("%Y%m%d"),
        "end": today.strftime("%Y%m%d"),
        "vars": "TX:RH",
        "stns": "ALL",
    }
    assert Measurement.objects.filter(series__data_connection=knmi["series"]).count() == 32
    task = SyncTask.objects.get(pk=knmi["task"].pk)
    assert task.harvest_last_success == first.finished
    assert first.bytes == len(KNMI)

    run_id = _sync(client, knmi)
    second = wait_for(lambda: _finished(run_id), what="the second harvest")
    assert second.status == RunStatus.SUCCESSFUL, second.report
    # The newest stored day is 2024-01-02: asked again from three days before it.
    assert endpoint.requests[1]["start"] == "20231230"
    appended = Measurement.objects.filter(
        series__data_connection=knmi["series"], timestamp=datetime(2024, 1, 3, tzinfo=UTC)
    )
    assert sorted(appended.values_list("series__parameter", "value")) == sorted(
        [
            ("airtemp_max_deg_c", 8.0),
            ("airtemp_mean_deg_c", 6.5),
            ("etref_mm_d", 0.2),
            ("hum_rel_pct", 90.0),
            ("prec_mm_d", 0.7),
            ("rad_in_s_j_cm2_d", 100.0),
            ("wind_direction_deg", 200.0),
            ("wind_speed_max_hour_mean_m_s", 9.0),
            ("wind_speed_max_m_s", 15.0),
            ("wind_speed_mean_m_s", 5.0),
        ]
    )
    assert Measurement.objects.filter(series__data_connection=knmi["series"]).count() == 42

    # A harvest that brings nothing new is successful and changes nothing.
    before = sorted(Measurement.objects.values_list("series__feature_key", "series__parameter", "timestamp", "value"))
    run_id = _sync(client, knmi)
    third = wait_for(lambda: _finished(run_id), what="the third harvest")
    assert third.status == RunStatus.SUCCESSFUL
    assert third.report["rows_inserted"] == 0
    if connection.vendor == "postgresql":  # SQLite counts every existing key as updated (README)
        assert third.report["rows_updated"] == 0
    assert (
        sorted(Measurement.objects.values_list("series__feature_key", "series__parameter", "timestamp", "value"))
        == before
    )


def test_a_server_error_is_retried_then_fails_with_the_reason_and_changes_nothing(
    client, knmi, endpoint, harvest_worker, worker_storage
):
    endpoint.answers = [(500, b"down"), (502, b"down"), (503, b"down")]
    before = samples(client.get("/metrics").content.decode())
    run_id = _sync(client, knmi)
    run = wait_for(lambda: _finished(run_id), what="the failing harvest")
    assert run.status == RunStatus.FAILED
    after = samples(client.get("/metrics").content.decode())
    assert moved(before, after, "nexus_harvest_runs_total") == {
        labels(outcome="retried"): 2,
        labels(outcome="failed"): 1,
    }
    assert run.attempts == 3 and len(endpoint.requests) == 3
    assert run.report["errors"] == [
        f"Fetching {endpoint.url}/klimatologie/daggegevens failed: 503 Server Error: Service Unavailable for url: "
        f"{endpoint.url}/klimatologie/daggegevens"
    ]
    assert Measurement.objects.count() == 0
    assert SyncTask.objects.get(pk=knmi["task"].pk).harvest_last_success is None


def test_two_harvests_queued_together_run_one_after_the_other(client, knmi, endpoint, harvest_worker, worker_storage):
    endpoint.answers = [(200, KNMI), (200, DAY3)]
    first, second = _sync(client, knmi), _sync(client, knmi)
    runs = [wait_for(lambda r=r: _finished(r), what="both harvests") for r in (first, second)]
    assert [r.status for r in runs] == [RunStatus.SUCCESSFUL, RunStatus.SUCCESSFUL]
    assert runs[0].finished <= runs[1].started
    listed = client.get(f"/api/v1/sync_tasks_new/{knmi['task'].pk}/runs/?token={knmi['token']}").json()
    assert (listed["count"], [r["id"] for r in listed["results"]]) == (2, [second, first])
    assert [r["status"] for r in listed["results"]] == ["successful", "successful"]


def test_sync_refusals(client, knmi, django_user_model):
    url = f"/api/v1/sync_tasks_new/{knmi['task'].pk}/sync/"
    assert client.post(url).status_code == 401
    stranger = token_create(user=django_user_model.objects.create(username="stranger")).raw
    assert client.post(f"{url}?token={stranger}").status_code == 403
    assert HarvestRun.objects.count() == 0
