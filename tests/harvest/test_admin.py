"""The admin of harvests and stored data with Django's test client: runs with their re-run, "Harvest
now" on sync tasks, series with counts and last values, features, frames, documents; read-only pages,
ingest-kept fields that cannot be edited, reports as escaped tables."""

import pytest

from harvest.admin import LAST_VALUES
from harvest.models import HarvestRun, RunStatus
from harvest.task_names import HARVEST_RUN
from synctasks.models import DataConnection, DataSource, SyncTask
from tests.support.admin import HOSTILE, admin_world

pytestmark = pytest.mark.django_db

ESCAPED = "&lt;b id=injected&gt;bold&lt;/b&gt;&lt;script&gt;window.injected=1&lt;/script&gt;"


@pytest.fixture
def world():
    return admin_world()


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin)
    return client


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_failed_upload_report_is_a_table_of_escaped_errors_and_the_list_has_an_error_column(admin_client, world):
    upload = world.failed_upload
    assert upload.report["errors"] == [
        f"line 3, column 'value': '{HOSTILE}' is not a number",
        "line 4, column 'timestamp': 'not-a-date' is not an ISO 8601 timestamp",
    ]
    page = html(admin_client.get(f"/admin/uploads/upload/{upload.pk}/change/"))
    assert HOSTILE[:20] not in page and "<script>window.injected" not in page
    assert (
        f"<tr><td>1</td><td>3</td><td>line 3, column &#x27;value&#x27;: &#x27;{ESCAPED}&#x27; is not a number</td></tr>"
        in page
    )
    assert "<tr><td>2</td><td>4</td><td>line 4, column &#x27;timestamp&#x27;: &#x27;not-a-date&#x27;" in page
    assert "<h4>2 error(s)</h4>" in page
    assert "<tr><th>rows inserted</th><td>0</td></tr>" in page
    # Read only: no Save, and a POST to the change page is refused.
    assert 'name="_save"' not in page and 'name="_continue"' not in page
    assert admin_client.post(f"/admin/uploads/upload/{upload.pk}/change/", {"filename": "x.csv"}).status_code == 403
    upload.refresh_from_db()
    assert upload.filename == "bad.csv"
    listing = html(admin_client.get("/admin/uploads/upload/?sync_status__exact=failed"))
    assert '<th scope="col" class="column-error">' in listing
    # The first error, cut to 60 characters (escaped as well).
    assert (
        '<td class="field-error">line 3, column &#x27;value&#x27;: '
        "&#x27;&lt;b id=injected&gt;bold&lt;/b&gt;&lt;script&gt;win…</td>" in listing
    )


def test_harvest_runs_list_detail_and_rerun_of_a_failed_one(admin_client, world, django_capture_on_commit_callbacks):
    listing = html(admin_client.get("/admin/harvest/harvestrun/"))
    assert '<td class="field-bytes">12345</td>' in listing
    assert '<td class="field-attempts">3</td>' in listing
    assert '<td class="field-error">Fetching http://127.0.0.1:9/knmi failed: 502 &lt;b id=injected…</td>' in listing
    page = html(admin_client.get(f"/admin/harvest/harvestrun/{world.failed_run.pk}/change/"))
    assert f"<tr><td>1</td><td></td><td>Fetching http://127.0.0.1:9/knmi failed: 502 {ESCAPED}</td></tr>" in page
    assert "<tr><th>request</th><td>{&quot;url&quot;: &quot;http://127.0.0.1:9/knmi&quot;}</td></tr>" in page
    assert 'name="_save"' not in page
    assert admin_client.post(f"/admin/harvest/harvestrun/{world.failed_run.pk}/change/", {}).status_code == 403
    assert admin_client.get("/admin/harvest/harvestrun/add/").status_code == 403

    before = set(HarvestRun.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            "/admin/harvest/harvestrun/",
            {"action": "rerun", "_selected_action": [world.failed_run.pk, world.good_run.pk]},
            follow=True,
        )
    (new,) = HarvestRun.objects.exclude(pk__in=before)
    assert (new.sync_task_id, new.status, new.requested_by_id) == (
        world.knmi["task"].pk,
        RunStatus.QUEUED,
        world.admin.pk,
    )
    assert f"Queued 1 harvest run(s): {new.pk}." in html(response)
    assert f"Harvest run {world.good_run.pk} is successful; only failed runs are re-run." in html(response)
    assert len(callbacks) == 1
    # The failed run stays as it was.
    assert HarvestRun.objects.get(pk=world.failed_run.pk).status == RunStatus.FAILED


def test_harvest_now_on_sync_tasks_queues_a_run_and_dispatches_it_after_commit(
    admin_client, world, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("core.dispatch.current_app.send_task", lambda name, args, headers: sent.append((name, args)))
    task = world.knmi["task"]
    uploadable = SyncTask.objects.get(data_source=world.sources.timeseries)
    before = set(HarvestRun.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/synctasks/synctask/",
            {"action": "harvest_now", "_selected_action": [task.pk, uploadable.pk]},
            follow=True,
        )
    (run,) = HarvestRun.objects.exclude(pk__in=before)
    assert (run.sync_task_id, run.status, run.requested_by_id) == (task.pk, RunStatus.QUEUED, world.admin.pk)
    assert sent == [(HARVEST_RUN, [run.pk])]
    page = html(response)
    assert f"Queued 1 harvest run(s): {run.pk}." in page
    source = world.sources.timeseries
    assert f"Data source {source.pk} (&#x27;{source.name}&#x27;) has no endpoint to harvest." in page


def test_sync_task_page_lists_latest_runs_and_keeps_harvest_last_success_read_only(admin_client, world):
    task = world.knmi["task"]
    page = html(admin_client.get(f"/admin/synctasks/synctask/{task.pk}/change/"))
    assert f'<a href="/admin/harvest/harvestrun/{world.good_run.pk}/change/">{world.good_run.pk}</a>' in page
    assert f'<a href="/admin/harvest/harvestrun/?sync_task__id__exact={task.pk}">all runs</a>' in page
    runs = html(admin_client.get(f"/admin/harvest/harvestrun/?sync_task__id__exact={task.pk}"))
    assert runs.count('<td class="field-source">KNMI daily</td>') == 2
    assert 'name="harvest_last_success' not in page
    assert 'name="dataconnections-0-n_features"' not in page and 'name="dataconnections-0-oldest_time"' not in page


def test_series_list_counts_and_page_shows_the_last_values(admin_client, world):
    listing = html(admin_client.get(f"/admin/harvest/series/?data_connection__id__exact={world.timeseries_dc.pk}"))
    assert '<td class="field-measurements">60</td>' in listing
    assert '<td class="field-measurements">3</td>' in listing
    page = html(admin_client.get(f"/admin/harvest/series/{world.series_a.pk}/change/"))
    assert f"<label>Last {LAST_VALUES} values:</label>" in page
    values = page.split('<table class="last-values">')[1].split("</table>")[0]
    assert values.count("<tr><td>") == LAST_VALUES
    assert values.startswith("<thead><tr><th>timestamp</th><th>value</th></tr></thead><tbody>"
                             "<tr><td>2021-01-03T11:00:00+00:00</td><td>59.5</td></tr>")  # fmt: skip
    assert "<tr><td>2021-01-01T10:00:00+00:00</td><td>10.5</td></tr></tbody>" in values
    assert 'name="_save"' not in page
    assert admin_client.post(f"/admin/harvest/series/{world.series_a.pk}/change/", {}).status_code == 403


def test_data_connection_pages_show_what_each_holds_and_keep_the_statistics_read_only(admin_client, world):
    page = html(admin_client.get(f"/admin/synctasks/dataconnection/{world.timeseries_dc.pk}/change/"))
    assert (
        f'<tr><td><a href="/admin/harvest/series/{world.series_a.pk}/change/">De Bilt</a></td><td>temp</td>'
        "<td>60</td><td>2021-01-01T00:00:00+00:00</td><td>2021-01-03T11:00:00+00:00</td></tr>"
    ) in page
    assert 'name="n_features"' not in page and 'name="oldest_time"' not in page and 'name="newest_time"' not in page
    spatial = html(admin_client.get(f"/admin/synctasks/dataconnection/{world.spatial_dc.pk}/change/"))
    assert (
        f'<a href="/admin/harvest/feature/?data_connection__id__exact={world.spatial_dc.pk}">2 features</a>' in spatial
    )
    features = html(admin_client.get(f"/admin/harvest/feature/?data_connection__id__exact={world.spatial_dc.pk}"))
    assert '<td class="field-properties_short">{&quot;name&quot;: &quot;North&quot;}</td>' in features
    rasters = html(admin_client.get(f"/admin/synctasks/dataconnection/{world.raster_dc.pk}/change/"))
    assert (
        f'<a href="/admin/harvest/rasterframe/?data_connection__id__exact={world.raster_dc.pk}">1 raster frames</a>'
        in rasters
    )
    documents = html(admin_client.get(f"/admin/harvest/document/?data_connection__id__exact={world.document_dc.pk}"))
    assert '<td class="field-media_type">image/jpeg</td>' in documents
    # A hand-made change of the ingest's statistics is not taken (the fields are not in the form).
    dc = world.timeseries_dc
    admin_client.post(f"/admin/synctasks/dataconnection/{dc.pk}/change/", {"n_features": 999})
    assert DataConnection.objects.get(pk=dc.pk).n_features == dc.n_features


def test_data_source_description_is_edited_one_field_per_locale(admin_client, world):
    source = world.sources.timeseries
    source.description = {"nl-NL": "Metingen", "ja-JP": "測定"}
    source.save()
    page = html(admin_client.get(f"/admin/synctasks/datasource/{source.pk}/change/"))
    assert 'name="description__nl_NL"' in page and 'name="description__en_IE"' in page
    assert 'name="description__ja_JP"' in page  # a locale the text has, beyond the configured ones
    assert 'name="description"' not in page and 'name="sync_last_finished"' not in page
    form = {
        "name": source.name,
        "organization": source.organization_id,
        "ext": "csv",
        "time_zone": "UTC",
        "uploadable": "on",
        "description__nl_NL": "Metingen per uur",
        "description__en_IE": "Hourly measurements",
        "description__ja_JP": "",
        "sync_last_finished_0": "2030-01-01",
        "upload_grants-TOTAL_FORMS": "0",
        "upload_grants-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/synctasks/datasource/{source.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    source = DataSource.objects.get(pk=source.pk)
    assert source.description == {"nl-NL": "Metingen per uur", "en-IE": "Hourly measurements"}
    assert source.sync_last_finished is None


def test_harvest_now_button_on_a_sync_task_page_queues_one_run(admin_client, world, django_capture_on_commit_callbacks):
    task = world.knmi["task"]
    page = html(admin_client.get(f"/admin/synctasks/synctask/{task.pk}/change/"))
    assert f'<form method="post" action="/admin/synctasks/synctask/{task.pk}/harvest/" class="harvest-now">' in page
    # Only a POST queues a run.
    assert admin_client.get(f"/admin/synctasks/synctask/{task.pk}/harvest/").status_code == 405
    before = set(HarvestRun.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(f"/admin/synctasks/synctask/{task.pk}/harvest/")
    assert (response.status_code, response["Location"]) == (302, f"/admin/synctasks/synctask/{task.pk}/change/")
    (run,) = HarvestRun.objects.exclude(pk__in=before)
    assert (run.sync_task_id, run.status, run.requested_by_id) == (task.pk, RunStatus.QUEUED, world.admin.pk)
    assert len(callbacks) == 1
    # A data source without an endpoint (uploads only) has no button.
    uploadable = SyncTask.objects.get(data_source=world.sources.timeseries)
    other = html(admin_client.get(f"/admin/synctasks/synctask/{uploadable.pk}/change/"))
    assert 'class="harvest-now"' not in other


def test_an_analysis_name_is_given_per_locale_and_needs_one_at_least(admin_client, settings):
    from synctasks.models import Analysis

    settings.NEXUS_LOCALES = ["nl-NL", "en-IE"]
    form = {"name__nl_NL": " ", "name__en_IE": "", "description__nl_NL": "", "description__en_IE": ""}
    refused = admin_client.post("/admin/synctasks/analysis/add/", form)
    assert refused.status_code == 200 and not Analysis.objects.exists()
    assert "Give the name in one locale at least." in refused.content.decode()
    form = {**form, "name__en_IE": "Flooding"}
    created = admin_client.post("/admin/synctasks/analysis/add/", {**form, "name__nl_NL": "Overstroming"})
    assert created.status_code == 302
    analysis = Analysis.objects.get()
    assert (analysis.name, analysis.description) == ({"nl-NL": "Overstroming", "en-IE": "Flooding"}, {})
