"""GET /api/v1/uploads/{id}/?wait=N without a worker: bounded by its time and the wait slots; its parameter checked."""

import threading
import time

import pytest
import requests

from tests.support.uploads import MEASUREMENT_CSV, get_upload_waiting, post_upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wait_ends_when_its_time_passes(live_server, catalog, local_storage):
    # No worker: the ingest does not run.
    created = post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, content=MEASUREMENT_CSV)
    answer, took = get_upload_waiting(live_server.url, catalog.token, created.json()["id"], 2)
    assert 2.0 <= took < 3.5
    assert (answer.status_code, answer.json()["sync_status"], answer.headers["Retry-After"]) == (200, "harvesting", "1")
    plain = requests.get(f"{live_server.url}/api/v1/uploads/{created.json()['id']}/?token={catalog.token}", timeout=10)
    assert plain.json() == answer.json()
    assert "Retry-After" not in plain.headers
    zero, took = get_upload_waiting(live_server.url, catalog.token, created.json()["id"], 0)
    assert took < 1.0
    assert zero.json() == plain.json()


def test_waits_beyond_the_slots_answer_at_once(live_server, catalog, local_storage, settings):
    settings.NEXUS_UPLOAD_WAIT_SLOTS = 1
    created = post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, content=MEASUREMENT_CSV)
    upload_id = created.json()["id"]
    held = {}

    def hold():
        held["answer"], held["took"] = get_upload_waiting(live_server.url, catalog.token, upload_id, 3)

    first = threading.Thread(target=hold)
    first.start()
    time.sleep(0.5)
    second, took = get_upload_waiting(live_server.url, catalog.token, upload_id, 3)
    first.join()
    # The one slot is taken: the second wait answers at once, telling the client to ask again.
    assert took < 1.0
    assert (second.status_code, second.json()["sync_status"], second.headers["Retry-After"]) == (200, "harvesting", "1")
    assert held["took"] >= 3.0
    # The slot is free again once the first wait answered.
    third, took = get_upload_waiting(live_server.url, catalog.token, upload_id, 1)
    assert 1.0 <= took < 2.5
    assert third.json()["sync_status"] == "harvesting"
    assert held["answer"].headers["Retry-After"] == "1"


@pytest.mark.parametrize("wait", ["-1", "abc", "1.5", "61", "", "٣", "99999999999999999999"])
def test_an_invalid_wait_is_a_400(live_server, catalog, local_storage, wait):
    created = post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk, content=MEASUREMENT_CSV)
    answer = requests.get(
        f"{live_server.url}/api/v1/uploads/{created.json()['id']}/",
        params={"token": catalog.token, "wait": wait},
        timeout=10,
    )
    assert (answer.status_code, answer.json()) == (
        400,
        {"wait": ["wait must be a whole number of seconds from 0 to 60."]},
    )


def test_a_wait_on_an_unknown_upload_is_a_404_at_once(live_server, catalog, local_storage):
    answer, took = get_upload_waiting(live_server.url, catalog.token, 999999, 30)
    assert took < 1.0
    assert (answer.status_code, answer.json()) == (404, {"detail": "Upload 999999 does not exist."})
