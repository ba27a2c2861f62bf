"""/metrics: the stack's processes summed in one scrape, counters that move by exactly what happened,
the scrape's access rule, and the worker's own exporter."""

import json
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from celery import current_app
from django.utils import timezone

from tests.support.harvest import upload_queued
from tests.support.metrics import labels, moved, samples
from tests.support.stack import free_port, seeded_embedded_env, start_celery_worker, start_runstack, wait_for
from uploads.models import Upload

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "6d1f2c3e-93a1-4c55-9a8e-2f0c4f6b7a10"
GOOD = (
    b"feature,parameter,timestamp,value\nA,waterlevel,2021-01-01T00:00:00Z,1.5\nA,waterlevel,2021-01-01T01:00:00Z,1.7\n"
)
BAD = b"feature,parameter,timestamp,value\nA,waterlevel,yesterday,1.5\n"


def _ended(base: str, upload_id: int):
    detail = requests.get(f"{base}/api/v1/uploads/{upload_id}/?token={TOKEN}", timeout=10).json()
    return detail if detail["sync_status"] != "harvesting" else None


def test_one_scrape_sums_the_stacks_processes_and_each_counter_moves_by_what_happened(tmp_path):
    var = tmp_path / "var"
    env = {**seeded_embedded_env(var, token=TOKEN), "WEB_CONCURRENCY": "2"}
    demo = json.loads(
        subprocess.run(
            [sys.executable, "manage.py", "seed_demo", "--json"], cwd=ROOT, env=env, check=True, capture_output=True
        ).stdout
    )
    source = demo["data_sources"]["Measurements export"]
    port = free_port()
    log = tmp_path / "stack.log"
    stack = start_runstack(env=env, log=log, port=port)
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return requests.get(f"{base}/readyz", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            assert stack.poll() is None, log.read_text()
            return False

    try:
        wait_for(ready, timeout=90, interval=0.5, what="the stack's readiness")
        before = samples(requests.get(f"{base}/metrics", timeout=10).text)
        for _ in range(20):
            assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
        ids = []
        for name, content in (("good.csv", GOOD), ("bad.csv", BAD)):
            posted = requests.post(
                f"{base}/api/v1/uploads/?token={TOKEN}",
                data={"datasource": source},
                files={"upload_file": (name, content)},
                timeout=30,
            )
            assert posted.status_code == 201, posted.text
            ids.append(posted.json()["id"])
        good, bad = (wait_for(lambda i=i: _ended(base, i), timeout=60, what=f"upload {i}'s ingest") for i in ids)
        assert (good["sync_status"], good["report"]["rows_inserted"]) == ("successful", 2)
        assert bad["sync_status"] == "failed", bad
        scrape = requests.get(f"{base}/metrics", timeout=10)
        after = samples(scrape.text)
    finally:
        stack.send_signal(signal.SIGINT)
        stack.wait(timeout=40)
    assert scrape.headers["Content-Type"] == "text/plain; version=1.0.0; charset=utf-8"

    # Uploads, counted by the web processes once recorded; ingests, by the worker's pool processes.
    assert moved(before, after, "nexus_uploads_total") == {labels(dialect="nexus"): 2}
    assert moved(before, after, "nexus_upload_bytes_total") == {labels(dialect="nexus"): len(GOOD) + len(BAD)}
    assert moved(before, after, "nexus_ingests_total") == {
        labels(kind="timeseries", outcome="successful"): 1,
        labels(kind="timeseries", outcome="failed"): 1,
    }
    assert moved(before, after, "nexus_ingest_rows_total") == {labels(kind="timeseries", change="inserted"): 2}
    assert moved(before, after, "nexus_ingest_duration_seconds_count") == {labels(kind="timeseries"): 2}
    tasks = moved(before, after, "nexus_celery_tasks_total")
    assert tasks[labels(task="uploads.ingest", state="SUCCESS")] == 2  # a failed ingest is a task that ended well
    # Requests by dialect, route pattern, method and status, whichever of gunicorn's two workers served them.
    requests_moved = moved(before, after, "nexus_http_requests_total")
    assert requests_moved[labels(dialect="nexus", route="/healthz", method="GET", status="200")] == 20
    assert requests_moved[labels(dialect="nexus", route="/api/v1/uploads/", method="POST", status="201")] == 2
    timed = moved(before, after, "nexus_http_request_duration_seconds_count")
    assert timed[labels(dialect="nexus", route="/healthz")] == 20
    # What waits, read at the scrape: nothing is left pending.
    assert after[("nexus_uploads_pending", ())] == 0
    assert after[("nexus_upload_oldest_pending_age_seconds", ())] == 0
    assert after[("nexus_state_up", labels(part="broker"))] == 1
    assert after[("nexus_state_up", labels(part="database"))] == 1
    assert ("nexus_queue_messages", labels(queue="celery")) in after
    # The values came from several processes' files (web workers, the worker's pool), summed.
    pids = {path.stem.rsplit("_", 1)[1] for path in (var / "metrics").glob("counter_*.db")}
    assert len(pids) >= 2, pids


@pytest.mark.django_db
def test_the_scrape_is_for_the_allowed_networks_or_the_token_holder(client, settings):
    assert client.get("/metrics").status_code == 200  # the test client's peer is 127.0.0.1
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", **outside)
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "Metrics are for the scrapers of NEXUS_METRICS_NETWORKS or holders of NEXUS_METRICS_TOKEN."},
    )
    # A forwarded-for header is the client's own word: it opens nothing.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1", **outside).status_code == 403
    settings.NEXUS_METRICS_TOKEN = "s3cret-scraper"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scraper", **outside).status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrapex", **outside).status_code == 403
    assert client.get("/metrics?token=s3cret-scraper", **outside).status_code == 403
    settings.NEXUS_METRICS_NETWORKS = []
    assert client.get("/metrics").status_code == 403
    posted = client.post("/metrics")
    assert (posted.status_code, posted["Allow"]) == (405, "GET, HEAD")


@pytest.mark.django_db(transaction=True)
def test_a_worker_on_its_own_serves_its_pools_task_and_sweep_metrics(tmp_path, worker_media):
    port = free_port()
    process = start_celery_worker(
        log=tmp_path / "worker.log",
        media=worker_media,
        purge=True,
        extra_env={
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "NEXUS_WORKER_METRICS_PORT": str(port),
        },
    )
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        before = samples(requests.get(url, timeout=10).text)
        for _ in range(2):
            current_app.send_task("blobs.tasks.sweep_orphans")

        def swept():
            now = samples(requests.get(url, timeout=10).text)
            return now if now.get(("nexus_blob_sweeps_total", ()), 0) == 2 else None

        after = wait_for(swept, timeout=60, interval=0.3, what="two sweeps")
        time.sleep(0.5)  # the task's end is counted just after its body's
        after = samples(requests.get(url, timeout=10).text)
    finally:
        process.terminate()
        process.wait(timeout=20)
    # (The worker queues its requeue of undispatched ingests as it connects: a task of its own name.)
    tasks = moved(before, after, "nexus_celery_tasks_total")
    assert {key: value for key, value in tasks.items() if "uploads.requeue_undispatched" not in str(key)} == {
        labels(task="blobs.tasks.sweep_orphans", state="SUCCESS"): 2
    }
    timed = moved(before, after, "nexus_celery_task_duration_seconds_count")
    assert timed[labels(task="blobs.tasks.sweep_orphans")] == 2
    assert moved(before, after, "nexus_blob_sweeps_total") == {(): 2}
    # The worker's exporter has no state gauges: those are the web's /metrics, read from the database.
    assert not any(name.startswith(("nexus_uploads_pending", "nexus_queue")) for name, _ in after)


@pytest.mark.django_db(transaction=True)
def test_the_state_gauges_read_the_queue_and_the_pending_uploads_and_survive_a_broker_outage(
    client, sources, private_redis
):
    # No worker consumes this broker: each accepted upload leaves its ingest message in the queue.
    for name in ("a.csv", "b.csv", "c.csv"):
        upload_queued(sources, name, GOOD)
    Upload.objects.filter(filename="a.csv").update(upload_date=timezone.now() - timedelta(seconds=120))
    state = samples(client.get("/metrics").content.decode())
    assert state[("nexus_queue_messages", labels(queue="celery"))] == 3
    assert state[("nexus_uploads_pending", ())] == 3
    assert 120 <= state[("nexus_upload_oldest_pending_age_seconds", ())] < 150
    assert state[("nexus_harvest_runs_waiting", ())] == 0
    assert state[("nexus_state_up", labels(part="broker"))] == 1

    private_redis.kill()
    started = time.monotonic()
    answer = client.get("/metrics")
    assert answer.status_code == 200 and time.monotonic() - started < 10
    state = samples(answer.content.decode())
    assert state[("nexus_state_up", labels(part="broker"))] == 0
    assert state[("nexus_state_up", labels(part="database"))] == 1
    assert ("nexus_queue_messages", labels(queue="celery")) not in state
    assert state[("nexus_uploads_pending", ())] == 3
