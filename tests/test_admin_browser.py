"""The Django admin in a real headless browser (Debian's chromium) against the live server, logged in
through the login form as a superuser: every changelist fits a 1400 px wide screen, and the pages of
uploads, harvest runs, sync tasks, series, data connections, features, frames and documents show
what landed, read-only, with the ingest report as a table. A screenshot of each page is kept in
ARTIFACTS (admin-<page>.png)."""

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from accounts import demo as accounts_demo
from blobs.services import blob_stage
from datasets import demo as datasets_demo
from datasets.models import DatasetVersion
from datasets.services import dataset_file_put
from files import demo as files_demo
from harvest.admin import LAST_VALUES
from harvest.models import HarvestRun, RunStatus
from synctasks import demo as synctasks_demo
from tests.support.admin import ADMIN_PASSWORD, HOSTILE, admin_world
from tests.support.browser import ARTIFACTS, chromium_page

pytestmark = pytest.mark.django_db(transaction=True)

SCREEN = 1400
# The lists this issue is about: measured with rows in them.
MEASURED_WITH_ROWS = (
    "uploads-upload",
    "harvest-harvestrun",
    "harvest-series",
    "harvest-feature",
    "harvest-rasterframe",
    "harvest-document",
    "synctasks-synctask",
    "synctasks-dataconnection",
    "datasets-filechange",
)
# What overflows: the page itself, the changelist's table past the window, or the table inside its
# scrolling box (Django's `.results` scrolls sideways rather than widen the page).
FIT = """() => {
    const table = document.querySelector('#result_list');
    const box = document.querySelector('#changelist .results');
    return {
        page: document.documentElement.scrollWidth,
        right: table ? Math.ceil(table.getBoundingClientRect().right) : 0,
        table: table ? table.scrollWidth : 0,
        box: box ? box.clientWidth : 0,
        rows: document.querySelectorAll('#result_list tbody tr').length,
    };
}"""


def cells(page, selector: str) -> list[list[str]]:
    """The text of each cell of each row that `selector` finds."""
    return page.locator(selector).evaluate_all("rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))")


def shot(page, name: str) -> None:
    """The page's screenshot, kept; and the page is no wider than the screen."""
    page.screenshot(path=ARTIFACTS / f"admin-{name}.png", full_page=True)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREEN, f"{name}: {width} px wide"


def queued_run(page) -> int:
    """The id of the run that the page's success message says was queued."""
    message = page.locator(".messagelist .success")
    message.wait_for()
    queued = re.fullmatch(r"Queued 1 harvest run\(s\): (\d+)\.", message.text_content().strip())
    assert queued, message.text_content()
    return int(queued.group(1))


def assert_read_only(page) -> None:
    assert page.locator('input[name="_save"], input[name="_continue"], input[name="_addanother"]').count() == 0
    assert page.locator("a.deletelink").count() == 0


@pytest.fixture
def world(db):
    made = admin_world()
    # Rows for the other lists too (worlds, calculations, scenarios, datasets, Delta files...): the
    # demo's, as seed_demo makes them beside the world's (each seed is idempotent).
    for seed in (accounts_demo.seed, synctasks_demo.seed, datasets_demo.seed, files_demo.seed):
        seed()
    # A dataset file, so that the file changes list has a row.
    version = DatasetVersion.objects.get(dataset__short_name="ncl.630.0", identifier="1.0")
    staged = blob_stage(chunks=[b"read me\n"])
    dataset_file_put(
        user=made.sources.user,
        dataset=version.dataset,
        version=version,
        client_filename="readme.txt",
        staged=staged,
        media_type="text/plain",
    )
    return made


def test_every_changelist_fits_1400_px_and_the_pages_show_what_landed(live_server, world):
    base = live_server.url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium_page(width=SCREEN, height=1000) as page:
        page.goto(f"{base}/admin/login/?next=/admin/")
        page.fill("#id_username", world.admin.username)
        page.fill("#id_password", ADMIN_PASSWORD)
        page.click('input[type="submit"]')
        page.locator("#site-name").wait_for()
        assert page.url == f"{base}/admin/", page.url

        # Every changelist, with the world's rows: nothing wider than the screen.
        too_wide, empty = {}, []
        for model in admin.site._registry:
            name = f"{model._meta.app_label}-{model._meta.model_name}"
            page.goto(base + reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
            page.locator("#changelist").wait_for()
            shot(page, name)
            fit = page.evaluate(FIT)
            if fit["page"] > SCREEN or fit["right"] > SCREEN or fit["table"] > fit["box"]:
                too_wide[name] = fit
            if not fit["rows"]:
                empty.append(name)
        assert not too_wide, too_wide
        assert not set(MEASURED_WITH_ROWS) & set(empty), empty

        # The upload list's error column, and the failed upload's report as a table, escaped.
        upload = world.failed_upload
        page.goto(f"{base}/admin/uploads/upload/?sync_status__exact=failed")
        assert page.locator("th.column-error").text_content().strip() == "First error"
        assert cells(page, "#result_list tbody tr")[0][7] == f"line 3, column 'value': '{HOSTILE}'"[:59] + "…"
        page.goto(f"{base}/admin/uploads/upload/{upload.pk}/change/")
        shot(page, "upload-report")
        assert cells(page, "table.ingest-errors tbody tr") == [
            ["1", "3", f"line 3, column 'value': '{HOSTILE}' is not a number"],
            ["2", "4", "line 4, column 'timestamp': 'not-a-date' is not an ISO 8601 timestamp"],
        ]
        assert ["rows inserted", "0"] in cells(page, "table.ingest-report tr")
        # The supplier's markup is text: no element of it, none of its script ran.
        assert page.locator("#injected").count() == 0
        assert page.evaluate("window.injected") is None
        assert_read_only(page)

        # Harvest runs: status, attempts, bytes, the first error; a run's report; its re-run.
        page.goto(f"{base}/admin/harvest/harvestrun/")
        rows = {row[1]: row for row in cells(page, "#result_list tbody tr")}
        good, failed = rows[str(world.good_run.pk)], rows[str(world.failed_run.pk)]
        assert good[2:6] == ["KNMI daily", "Successful", "1", "12345"]
        assert failed[2:6] == ["KNMI daily", "Failed", "3", "0"]
        assert failed[8] == "Fetching http://127.0.0.1:9/knmi failed: 502 <b id=injected…"
        page.goto(f"{base}/admin/harvest/harvestrun/{world.failed_run.pk}/change/")
        shot(page, "harvestrun-report")
        assert cells(page, "table.ingest-errors tbody tr") == [
            ["1", "", f"Fetching http://127.0.0.1:9/knmi failed: 502 {HOSTILE}"]
        ]
        assert page.evaluate("window.injected") is None
        assert_read_only(page)

        # "Harvest now" on the sync tasks' list: a run is queued for the task.
        task = world.knmi["task"]
        page.goto(f"{base}/admin/synctasks/synctask/")
        page.check(f'input[name="_selected_action"][value="{task.pk}"]')
        page.select_option('select[name="action"]', "harvest_now")
        page.click('button[name="index"]')
        # (The database is read after the browser's session: playwright's loop runs in this thread.)
        run_id = queued_run(page)
        shot(page, "synctask-harvest-now")
        # And the "Harvest now" button on the task's page: one more run, shown among its latest.
        page.goto(f"{base}/admin/synctasks/synctask/{task.pk}/change/")
        page.click("form.harvest-now button")
        button_run_id = queued_run(page)
        assert page.url == f"{base}/admin/synctasks/synctask/{task.pk}/change/"
        shot(page, "synctask")
        assert [row[:4] for row in cells(page, "table.latest-runs tbody tr")] == [
            [str(button_run_id), "queued", "0", "0"],
            [str(run_id), "queued", "0", "0"],
            [str(world.good_run.pk), "successful", "1", "12345"],
            [str(world.failed_run.pk), "failed", "3", "0"],
        ]
        assert page.locator('input[name="harvest_last_success_0"]').count() == 0

        # A timeseries connection: its series with counts and time range; a series' last values.
        page.goto(f"{base}/admin/synctasks/dataconnection/{world.timeseries_dc.pk}/change/")
        shot(page, "dataconnection-series")
        assert cells(page, "table.stored-series tbody tr") == [
            ["De Bilt", "temp", "60", "2021-01-01T00:00:00+00:00", "2021-01-03T11:00:00+00:00"],
            ["Eelde", "rain", "3", "2021-01-01T00:00:00+00:00", "2021-01-03T00:00:00+00:00"],
        ]
        assert page.locator('input[name="n_features"], input[name="oldest_time_0"]').count() == 0
        page.goto(f"{base}/admin/harvest/series/{world.series_a.pk}/change/")
        shot(page, "series-last-values")
        values = cells(page, "table.last-values tbody tr")
        assert len(values) == LAST_VALUES
        assert (values[0], values[-1]) == (["2021-01-03T11:00:00+00:00", "59.5"], ["2021-01-01T10:00:00+00:00", "10.5"])
        assert_read_only(page)

        # A spatial connection's features, the raster frames, the documents (lists without actions,
        # so without a checkbox column).
        page.goto(f"{base}/admin/harvest/feature/?data_connection__id__exact={world.spatial_dc.pk}")
        assert sorted(row[:2] + row[3:] for row in cells(page, "#result_list tbody tr")) == [
            ["p1", f"dc {world.spatial_dc.pk} (location)", '{"name": "North"}'],
            ["p2", f"dc {world.spatial_dc.pk} (location)", '{"name": "South"}'],
        ]
        page.goto(f"{base}/admin/harvest/rasterframe/")
        assert [row[2:5] for row in cells(page, "#result_list tbody tr")] == [
            ["3", "2", "[100.0, 480.0, 130.0, 500.0]"]
        ]
        page.goto(f"{base}/admin/harvest/document/")
        assert [row[:3] for row in cells(page, "#result_list tbody tr")] == [
            ["site-photo.jpg", f"dc {world.document_dc.pk} (photo)", "image/jpeg"]
        ]

        # A data source's description: one field per locale.
        page.goto(f"{base}/admin/synctasks/datasource/{world.sources.timeseries.pk}/change/")
        shot(page, "datasource")
        assert page.locator('textarea[name="description__nl_NL"]').count() == 1
        assert page.locator('textarea[name="description"]').count() == 0
        assert page.locator('input[name="sync_last_finished_0"]').count() == 0
        assert not page.errors, page.errors
    for run in HarvestRun.objects.filter(pk__in=[run_id, button_run_id]):
        assert (run.sync_task_id, run.status, run.requested_by_id) == (task.pk, RunStatus.QUEUED, world.admin.pk)
    assert HarvestRun.objects.filter(sync_task=task).count() == 4
