"""A bounded schemathesis run against the live server on the full stack: every operation, every
check, a fixed seed; it must find no server error, no undocumented status and no answer that breaks
its schema (the other checks' findings are printed, not failed on)."""

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from tests.support.accounts import DEMO_TOKEN
from tests.support.openapi import openapi_document, operations
from tests.support.stack import ROOT, free_port, start_gunicorn

pytestmark = pytest.mark.postgres

# What must be zero: server errors (ST101, ST102), undocumented statuses (ST103) and every kind of
# answer that breaks the document (content type, headers, body: ST104-ST111); and an undeclared
# method answered other than 405 (ST204), since every route says which methods it takes.
MUST_BE_ZERO = {f"ST{n}" for n in range(101, 112)} | {"ST204"}
# A few minutes on two cores: examples per operation and a ceiling on the whole run.
MAX_EXAMPLES = 8
MAX_SECONDS = 180


def _own_broker() -> str:
    """The configured Redis with the next database number: the run's tasks are nobody else's."""
    url = urlsplit(settings.CELERY_BROKER_URL)
    number = int(url.path.strip("/") or 0)
    return urlunsplit(url._replace(path=f"/{(number + 1) % 16}"))


def _server_env(tmp_path) -> dict:
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_", "AWS_"))}
    env.update(
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=_own_broker(),
        NEXUS_VAR_DIR=str(tmp_path / "var"),
        MEDIA_ROOT=str(tmp_path / "media"),
        STORAGE_BACKEND="local",
        PORT=str(free_port()),
        WEB_CONCURRENCY="2",
        PYTHONUNBUFFERED="1",
        # One token and one address hammer every operation: no rate limit, so that no answer is a 429
        # instead of the one the case provokes (a 429 would conform: the document lists it).
        NEXUS_THROTTLE_TOKEN_RATE="off",
        NEXUS_THROTTLE_ANON_RATE="off",
    )
    return env


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_nor_undocumented_answer(demo, tmp_path):
    server, base = start_gunicorn(env=_server_env(tmp_path), log=tmp_path / "gunicorn.log")
    # Kept after the run, beside the other test artifacts: what schemathesis found, case by case.
    artifacts = (settings.VAR_DIR / "artifacts").resolve()
    artifacts.mkdir(parents=True, exist_ok=True)
    report = artifacts / "schemathesis.json"
    report.unlink(missing_ok=True)
    try:
        run = subprocess.run(
            [
                os.path.join(os.path.dirname(sys.executable), "st"),
                "--config-file",
                str(ROOT / "tests" / "schemathesis.toml"),
                "run",
                f"{base}/api/schema/",
                "--checks",
                "all",
                "--seed",
                "1",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--max-time",
                str(MAX_SECONDS),
                "--workers",
                "2",
                # A failure is reported as found: shrinking it would spend the run's budget on one case.
                "--no-shrink",
                "--no-color",
                "--report",
                "json,ndjson",
                "--report-json-path",
                str(report),
                "--report-ndjson-path",
                str(artifacts / "schemathesis.ndjson"),
            ],
            cwd=tmp_path,
            env={**os.environ, "NEXUS_ST_TOKEN": DEMO_TOKEN},
            capture_output=True,
            text=True,
            timeout=MAX_SECONDS + 120,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert report.exists(), run.stdout[-4000:] + run.stderr[-4000:]
    result = json.loads(report.read_text())
    summary = {f["code"]: (f["count"], f["operations"]) for f in result["failures"]}
    print(f"schemathesis: {result['test_cases']['generated']} test cases, findings by code: {summary}")
    # An engine error fails the run, except Hypothesis finding a case that failed once pass on its
    # replay: the server's state moved on in between (the file the case uploaded now exists).
    engine_errors = []
    with (artifacts / "schemathesis.ndjson").open() as events:  # tens of MB: read line by line
        for line in events:
            if '"NonFatalError"' in line:
                event = json.loads(line)["NonFatalError"]
                engine_errors.append(event["value"] | {"operation": event["label"]})
    print(f"schemathesis: engine errors {engine_errors}")
    assert [e for e in engine_errors if e["type"] != "FlakyFailure"] == []
    # Every operation of the document was reached.
    documented = len(list(operations(openapi_document())))
    assert result["operations"]["tested"] == result["operations"]["selected"] == documented
    blocking = {code: found for code, found in summary.items() if code in MUST_BE_ZERO}
    assert blocking == {}, run.stdout[-12000:]
