"""Idempotency-Key on the upload POSTs: a retry (after a connection cut on the answer's way) gets the first answer."""

import hashlib
import socket
import threading
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from accounts.services import token_create
from blobs.models import Blob
from blobs.services import blob_stage
from core.errors import Conflict
from tests.support.hostile import media_files, stored_counts
from tests.support.stack import wait_for
from tests.support.uploads import post_upload
from uploads.idempotency import (
    idempotency_answer,
    idempotency_fingerprint,
    idempotency_key_parse,
    idempotency_keys_sweep,
    idempotency_reserve,
)
from uploads.models import IdempotencyKey, SyncStatus, Upload
from uploads.services import upload_create
from uploads.tasks import requeue_stalled

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "8e03978e-40d5-43e8-bc93-6894a57f9324"
CSV = b"feature,parameter,timestamp,value\nA,p,2021-01-01T00:00:00Z,1.5\n"


def _post(base, token, source, *, key=KEY, content=CSV, path=None, datasource=True):
    headers = {} if key is None else {"Idempotency-Key": f'"{key}"'}
    url = f"{base}{path or '/api/v1/uploads/'}?token={token}"
    data = {"datasource": str(source.pk)} if datasource else {}
    files = {"upload_file": ("dataset.csv", content, "text/csv")}
    return requests.post(url, data=data, files=files, headers=headers, timeout=60)


class CuttingProxy:
    """A TCP relay that forwards one request to the server and, when the answer's first bytes come
    back, drops both connections (RST) instead of relaying them: the server answered, the client
    never hears it."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.answer_seen = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        client, _ = self.listener.accept()
        upstream = socket.create_connection(("127.0.0.1", self.upstream_port))

        def forward():
            try:
                while chunk := client.recv(65536):
                    upstream.sendall(chunk)
            except OSError:
                pass  # the relay was cut

        threading.Thread(target=forward, daemon=True).start()
        first = upstream.recv(65536)
        if first:
            self.answer_seen.set()
        for sock in (client, upstream):
            # Linger 0: the close is a reset, as when a link or a proxy on the way goes (the shutdown
            # also wakes the forwarding thread's recv on it).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self.listener.close()


def test_a_retry_after_the_answer_was_cut_gets_the_first_answer(
    live_server, catalog, celery_worker, worker_storage, settings
):
    files = media_files(settings)  # the worker's storage is shared by the session's modules
    upstream_port = int(live_server.url.rsplit(":", 1)[1])
    proxy = CuttingProxy(upstream_port)
    with pytest.raises(requests.ConnectionError):
        _post(f"http://127.0.0.1:{proxy.port}", catalog.token, catalog.measurements)
    assert proxy.answer_seen.wait(10)
    first = Upload.objects.get()
    retry = _post(live_server.url, catalog.token, catalog.measurements)
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.pk
    assert retry.json()["sync_status"] == "harvesting"  # the first answer, as it was sent
    upload = wait_for(
        lambda: Upload.objects.exclude(sync_status=SyncStatus.HARVESTING).first(), what="the ingest to end"
    )
    assert upload.sync_status == SyncStatus.SUCCESSFUL
    # One upload, one blob, one ingest (its deliveries count each ingest start), one row ingested.
    assert (Upload.objects.count(), Blob.objects.count(), upload.deliveries) == (1, 1, 1)
    assert (upload.report["rows_inserted"], upload.report["rows_updated"]) == (1, 0)
    assert len(set(media_files(settings)) - set(files)) == 1
    again = _post(live_server.url, catalog.token, catalog.measurements)
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (201, retry.json(), "true")
    assert Upload.objects.get().deliveries == 1


def test_the_same_key_with_another_file_is_a_422_and_records_nothing(live_server, catalog, local_storage, settings):
    first = _post(live_server.url, catalog.token, catalog.measurements)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    before, files = stored_counts(), media_files(settings)
    other = _post(live_server.url, catalog.token, catalog.measurements, content=CSV + b"B,p,2021-01-01T00:00:00Z,2\n")
    assert other.status_code == 422
    assert other.json() == {
        "detail": f"Idempotency-Key '{KEY}' was already used for another request (another file, fields or "
        "endpoint); a new request needs a new key."
    }
    # Another data source, or another endpoint, under the key: also another request.
    elsewhere = _post(live_server.url, catalog.token, catalog.dataset)
    assert elsewhere.status_code == 422
    path = f"/api/v1/sync_tasks_new/{catalog.measurements.sync_task.pk}/upload/"
    assert _post(live_server.url, catalog.token, catalog.measurements, path=path, datasource=False).status_code == 422
    assert (stored_counts(), media_files(settings)) == (before, files)
    assert Upload.objects.get().pk == first.json()["id"]


def test_another_token_with_the_same_key_is_another_key(live_server, catalog, local_storage):
    first = _post(live_server.url, catalog.token, catalog.measurements)
    other_token = token_create(user=catalog.supplier).raw
    second = _post(live_server.url, other_token, catalog.measurements)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    assert Upload.objects.count() == 2
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


def test_an_expired_key_makes_a_new_upload_and_the_sweep_frees_old_keys(live_server, catalog, local_storage):
    first = _post(live_server.url, catalog.token, catalog.measurements)
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    second = _post(live_server.url, catalog.token, catalog.measurements)
    assert (first.status_code, second.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in second.headers
    assert second.json()["id"] != first.json()["id"]
    row = IdempotencyKey.objects.get()
    assert (row.upload_id, row.status) == (second.json()["id"], 201)
    assert row.expires_at - row.created_at == timedelta(hours=24)
    IdempotencyKey.objects.create(owner="token:0", key="old", fingerprint="0" * 64, expires_at=timezone.now())
    assert idempotency_keys_sweep() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [KEY]
    # The periodic maintenance task (beat, every 5 minutes) sweeps them too.
    IdempotencyKey.objects.create(owner="token:0", key="old", fingerprint="0" * 64, expires_at=timezone.now())
    requeue_stalled()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [KEY]


def _fingerprint(path, source, content=CSV):
    return idempotency_fingerprint(
        method="POST",
        path=path,
        fields=[("datasource", str(source.pk))],
        files=[("upload_file", "dataset.csv", hashlib.sha256(content).hexdigest())],
    )


def test_a_duplicate_while_the_first_is_in_flight_is_a_409_and_an_abandoned_one_is_taken_over(
    live_server, catalog, local_storage, settings
):
    owner = f"token:{catalog.supplier.api_tokens.get().pk}"
    reservation = idempotency_reserve(
        owner=owner, key=KEY, fingerprint=_fingerprint("/api/v1/uploads/", catalog.measurements)
    )
    before, files = stored_counts(), media_files(settings)
    busy = _post(live_server.url, catalog.token, catalog.measurements)
    assert busy.status_code == 409
    assert busy.json() == {
        "detail": f"A request with Idempotency-Key '{KEY}' is still being processed; retry once it has answered."
    }
    assert (stored_counts(), media_files(settings)) == (before, files)
    # The holder died: after NEXUS_IDEMPOTENCY_LEASE_SECONDS a retry takes the key over.
    IdempotencyKey.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.NEXUS_IDEMPOTENCY_LEASE_SECONDS + 1)
    )
    taken = _post(live_server.url, catalog.token, catalog.measurements)
    assert taken.status_code == 201
    row = IdempotencyKey.objects.get()
    assert (row.upload_id, row.status, row.lease != reservation.lease) == (taken.json()["id"], 201, True)


def test_a_refused_upload_is_not_stored_so_its_retry_runs_again(live_server, catalog, local_storage, settings):
    before, files = stored_counts(), media_files(settings)
    for _ in range(2):
        refused = _post(live_server.url, catalog.token, catalog.not_uploadable)
        assert refused.status_code == 400
        assert "Idempotent-Replayed" not in refused.headers
        assert refused.json() == {
            "detail": f"Data source {catalog.not_uploadable.pk} ('Harvested only') does not accept uploads."
        }
    assert (stored_counts(), media_files(settings)) == (before, files)
    # The key is free: the corrected request under it is recorded.
    assert _post(live_server.url, catalog.token, catalog.measurements).status_code == 201


@pytest.mark.parametrize("kind", ["seed", "platform"])
def test_the_sync_task_uploads_replay_their_first_answer(live_server, catalog, local_storage, kind):
    task = catalog.measurements.sync_task
    path = f"/api/v1/sync_tasks_new/{task.pk}/upload/" if kind == "seed" else f"/api/v1/sync_tasks/{task.pk}/upload/"
    first = _post(live_server.url, catalog.token, catalog.measurements, path=path, datasource=False)
    retry = _post(live_server.url, catalog.token, catalog.measurements, path=path, datasource=False)
    assert (first.status_code, retry.status_code) == (201, 201)
    assert retry.json() == first.json()
    assert ("Idempotent-Replayed" in first.headers, retry.headers["Idempotent-Replayed"]) == (False, "true")
    assert Upload.objects.count() == Blob.objects.count() == 1
    # The same key on the other upload endpoint is another request.
    assert _post(live_server.url, catalog.token, catalog.measurements).status_code == 422


@pytest.mark.parametrize(
    "header",
    ['"unterminated', "", '""', "two words", 'a"b', "é", '"' + "k" * 256 + '"', "k" * 256, '"a",  "b"'],
)
def test_an_invalid_key_is_a_400_before_anything_is_stored(live_server, catalog, local_storage, settings, header):
    before, files = stored_counts(), media_files(settings)
    url = f"{live_server.url}/api/v1/uploads/?token={catalog.token}"
    answer = requests.post(
        url,
        data={"datasource": str(catalog.measurements.pk)},
        files={"upload_file": ("dataset.csv", CSV, "text/csv")},
        headers={"Idempotency-Key": header.encode()},
        timeout=30,
    )
    assert answer.status_code == 400
    assert set(answer.json()) == {"detail"}
    assert answer.json()["detail"].startswith("The Idempotency-Key header ")
    assert (stored_counts(), media_files(settings)) == (before, files)


def test_key_syntax_quoted_escaped_and_bare():
    assert idempotency_key_parse(None) is None
    assert idempotency_key_parse(f'"{KEY}"') == KEY
    assert idempotency_key_parse(KEY) == KEY
    assert idempotency_key_parse(r'"a \"b\" \\c"') == 'a "b" \\c'
    assert idempotency_key_parse(' "x" ') == "x"
    assert idempotency_key_parse('"' + "k" * 255 + '"') == "k" * 255


def test_without_a_key_every_post_is_a_new_upload(live_server, catalog, local_storage):
    ids = {post_upload(live_server.url, catalog.token, datasource=catalog.measurements.pk).json()["id"] for _ in "ab"}
    assert len(ids) == 2
    assert IdempotencyKey.objects.count() == 0


def test_two_requests_racing_with_one_key_record_one_upload(live_server, catalog, local_storage):
    barrier = threading.Barrier(2)
    answers = []

    def send():
        barrier.wait()
        answers.append(_post(live_server.url, catalog.token, catalog.measurements))

    racers = [threading.Thread(target=send) for _ in range(2)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    upload = Upload.objects.get()
    first = [a for a in answers if a.status_code == 201 and "Idempotent-Replayed" not in a.headers]
    assert len(first) == 1 and first[0].json()["id"] == upload.pk
    (other,) = [a for a in answers if a is not first[0]]
    # The second either came while the first was in flight (409) or after it (the first answer).
    if other.status_code == 409:
        assert set(other.json()) == {"detail"}
    else:
        assert (other.status_code, other.headers["Idempotent-Replayed"], other.json()) == (201, "true", first[0].json())
    assert Blob.objects.count() == 1
    assert len(media_files_of(local_storage)) == 1


def media_files_of(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_slow_holder_whose_key_was_taken_over_records_nothing(catalog, local_storage, settings):
    fingerprint = _fingerprint("/api/v1/uploads/", catalog.measurements)
    slow = idempotency_reserve(owner="token:1", key=KEY, fingerprint=fingerprint)
    IdempotencyKey.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.NEXUS_IDEMPOTENCY_LEASE_SECONDS + 1)
    )
    retry = idempotency_reserve(owner="token:1", key=KEY, fingerprint=fingerprint)
    assert retry.pk == slow.pk and retry.lease != slow.lease
    staged = blob_stage(chunks=[CSV])
    with pytest.raises(Conflict) as refused:
        upload_create(
            user=catalog.supplier,
            data_source_id=catalog.measurements.pk,
            client_filename="dataset.csv",
            staged=staged,
            media_type="text/csv",
            recorded=lambda upload: idempotency_answer(reservation=slow, upload=upload, status=201, body={}),
        )
    assert refused.value.message == (
        "The Idempotency-Key of this request was taken over by a retry; this request recorded nothing."
    )
    assert (Upload.objects.count(), Blob.objects.count()) == (0, 0)
    row = IdempotencyKey.objects.get()
    assert (row.lease, row.status, row.upload_id) == (retry.lease, None, None)
