"""The request id in-process: which X-Request-ID values are taken, that every answer (the error answers
of every middleware and dialect included) carries it, that a task queued after the commit still
carries it on the broker, and the JSON and plain formats (redacted, with the id) of a line."""

import io
import json
import logging
import logging.config
import re

import pytest
from celery import current_app
from django.db import transaction
from django.test import Client

from core.dispatch import dispatch_on_commit
from core.logcontext import request_context
from core.logformat import formatter_settings
from core.logging import known_credentials
from core.outages import STORAGE, unavailable
from nexus_server.settings.logs import LOGGING

HEX_ID = re.compile(r"[0-9a-f]{32}")
SECRET = "5f1c9b2e-7d4a-4e8b-9c3f-2a6d8e0b1c47"


class OutageMiddleware:
    """Raises the storage's outage before any view for requests that send `X-Outage`."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "HTTP_X_OUTAGE" in request.META:
            raise unavailable(STORAGE)
        return self.get_response(request)


@pytest.fixture
def raw_client():
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc-123", "0f8fad5b-d9cb-469f-a165-70867728950e", "Root:1.a_b", "x" * 128])
def test_a_valid_request_id_is_returned_as_sent(client, value):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=value)["X-Request-ID"] == value


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value",
    ["", " ", "abc 123", "abc\ndef", "abc\r\nX-Forged: 1", "x" * 129, "x" * 10240, "abc-é", "a\u2028b", 'a"b',
     "token=abc", "a/b", "<script>"],
)  # fmt: skip
def test_an_invalid_request_id_is_replaced_by_a_new_one(client, caplog, value):
    with caplog.at_level(logging.INFO, logger="nexus.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID=value)
    given = response["X-Request-ID"]
    assert (response.status_code, bool(HEX_ID.fullmatch(given))) == (200, True)
    logged = [(r.method, r.path, r.status) for r in caplog.records if r.name == "nexus.request"]
    assert logged == [("GET", "/healthz", 200)]


@pytest.mark.django_db
def test_no_request_id_sent_gets_a_new_one_per_request(client):
    first, second = (client.get("/healthz")["X-Request-ID"] for _ in range(2))
    assert HEX_ID.fullmatch(first) and HEX_ID.fullmatch(second) and first != second


@pytest.mark.django_db
def test_every_error_answer_carries_the_request_id(raw_client, settings, supplier_token):
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_logs_request_id.OutageMiddleware"]
    settings.NEXUS_THROTTLE_ANON_RATE = "1/minute"
    big = settings.NEXUS_MAX_UPLOAD_BYTES + settings.NEXUS_MAX_REQUEST_OVERHEAD_BYTES + 1
    answers = {
        "404": raw_client.get("/api/v1/nothing/", HTTP_X_REQUEST_ID="rid-404"),
        "405": raw_client.delete(f"/api/v1/uploads/?token={supplier_token}", HTTP_X_REQUEST_ID="rid-405"),
        "413": raw_client.post("/api/v1/uploads/", CONTENT_LENGTH=str(big), HTTP_X_REQUEST_ID="rid-413"),
        "500 view": raw_client.get("/v1/orgs/boom/x", HTTP_X_REQUEST_ID="rid-500-view"),
        "503 middleware": raw_client.get("/api/datasets/x", HTTP_X_OUTAGE="1", HTTP_X_REQUEST_ID="rid-503"),
    }
    raw_client.get("/api/v1/sync_tasks_new/")  # (at most) the anonymous address's one request of the minute
    answers["429"] = raw_client.get("/api/v1/sync_tasks_new/", HTTP_X_REQUEST_ID="rid-429")
    assert {what: (r.status_code, r["X-Request-ID"]) for what, r in answers.items()} == {
        "404": (404, "rid-404"),
        "405": (405, "rid-405"),
        "413": (413, "rid-413"),
        "500 view": (500, "rid-500-view"),
        "503 middleware": (503, "rid-503"),
        "429": (429, "rid-429"),
    }
    assert answers["503 middleware"].json() == {
        "status": "ERROR",
        "message": "The storage is unavailable; try again shortly.",
    }


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_after_the_commit_carries_the_id_of_the_request_that_queued_it():
    name = "tests.logs.probe"
    # The request's context ends first, then the transaction commits: the id was taken at the call.
    with transaction.atomic(), request_context("rid-on-commit"):
        dispatch_on_commit(name, args=[7], what="the probe")
    with current_app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        try:
            for _ in range(100):
                message = queue.get(timeout=10)
                if message.headers.get("task") == name:
                    message.ack()
                    break
                message.requeue()
        finally:
            queue.close()
    assert (message.headers["request_id"], message.headers["argsrepr"]) == ("rid-on-commit", "[7]")


def _handler_output(log_format: str, emit) -> str:
    """What the console handler of LOGGING, in that format, writes for what `emit` logs."""
    config = json.loads(json.dumps(LOGGING))
    config["formatters"] = formatter_settings(log_format)
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    config["root"] = {"handlers": [], "level": "INFO"}
    config["loggers"] = {"tests.logs": {"handlers": ["console"], "level": "INFO", "propagate": False}}
    logging.config.dictConfig(config)
    try:
        emit(logging.getLogger("tests.logs"))
    finally:
        logging.config.dictConfig(LOGGING)
    return stream.getvalue()


def test_json_lines_redact_the_message_and_the_exception_text():
    def emit(logger):
        with request_context("rid-json"), known_credentials([SECRET]):
            logger.info("fetching %s", f"https://example.org/data?token={SECRET}&page=2")
            try:
                raise ValueError(f"bad answer from https://example.org/?api-token={SECRET} for {SECRET}")
            except ValueError:
                logger.exception("harvest failed")
        logger.warning("no request", extra={"data": {"args": [f"/x?key={SECRET}"]}})

    lines = [json.loads(line) for line in _handler_output("json", emit).splitlines()]
    for line in lines:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line.pop("time"))
    traceback = lines[1].pop("exc_info")
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert traceback.endswith("ValueError: bad answer from https://example.org/?api-token=[redacted] for [redacted]")
    assert lines == [
        {"level": "INFO", "logger": "tests.logs", "message": "fetching https://example.org/data?token=[redacted]&page=2",
         "request_id": "rid-json"},
        {"level": "ERROR", "logger": "tests.logs", "message": "harvest failed", "request_id": "rid-json"},
        {"level": "WARNING", "logger": "tests.logs", "message": "no request", "data": {"args": ["/x?key=[redacted]"]}},
    ]  # fmt: skip


def test_plain_lines_carry_the_request_id_when_known():
    def emit(logger):
        with request_context("rid-plain"):
            logger.info("GET /api/v1/uploads/?token=%s", SECRET)
        logger.info("outside")

    lines = _handler_output("plain", emit).splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "
    assert all(re.match(stamp, line) for line in lines), lines
    assert [re.sub(f"^{stamp}", "", line) for line in lines] == [
        "INFO tests.logs [rid-plain] GET /api/v1/uploads/?token=[redacted]",
        "INFO tests.logs outside",
    ]
