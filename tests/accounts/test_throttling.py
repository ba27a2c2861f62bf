"""Rate limits: per token and per anonymous address, each dialect's 429 with Retry-After, none on the
plain views, counters shared by two server processes through Redis, and open while Redis is down."""

import logging
import os
import subprocess
import sys

import pytest
import requests
from rest_framework.throttling import SimpleRateThrottle

from accounts import throttling
from accounts.services import token_create
from tests.support.accounts import DEMO_TOKEN
from tests.support.faults import PrivateRedis
from tests.support.stack import ROOT, free_port, start_gunicorn

pytestmark = pytest.mark.django_db

THROTTLED = "Request was throttled. Expected available in {} seconds."
PID = "doi:10.5072/FK27U7YBV"
# One read per dialect with the token where that dialect puts it, and its 429 body and media type.
DIALECTS = {
    "nexus": (f"/api/v1/uploads/?token={DEMO_TOKEN}", {}, lambda m: {"detail": m}, "application/json"),
    "delta": (
        "/v1/orgs/myorg",
        {"HTTP_AUTHORIZATION": f"Bearer {DEMO_TOKEN}"},
        lambda m: {
            "@context": "https://bluebrain.github.io/nexus/contexts/error.json",
            "@type": "TooManyRequests",
            "reason": m,
        },
        "application/ld+json",
    ),
    "cdg": (
        "/api/v1/dataset/ncl.630.0/files.json",
        {"HTTP_AUTHORIZATION": f"api-token {DEMO_TOKEN}"},
        lambda m: {"error": m},
        "application/json",
    ),
    "dataverse": (
        f"/api/datasets/:persistentId/?persistentId={PID}",
        {"HTTP_X_DATAVERSE_KEY": DEMO_TOKEN},
        lambda m: {"status": "ERROR", "message": m},
        "application/json",
    ),
}


class Clock:
    """The throttles' clock, moved by the test: Retry-After is then exact."""

    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(clock))
    return clock


@pytest.fixture(autouse=True)
def no_outage_known(monkeypatch):
    """Each test starts with the cache believed up."""
    monkeypatch.setattr(throttling, "OUTAGE", throttling._CacheOutage())


def statuses(client, path, n, **headers):
    return [client.get(path, **headers).status_code for _ in range(n)]


def test_each_token_is_counted_apart_and_a_window_passes(client, settings, clock, supplier):
    settings.NEXUS_THROTTLE_TOKEN_RATE = "2/minute"
    first, second = (token_create(user=supplier, name=name).raw for name in ("first", "second"))
    assert statuses(client, f"/api/v1/uploads/?token={first}", 2) == [200, 200]
    clock.now += 20
    refused = client.get(f"/api/v1/uploads/?token={first}")
    assert (refused.status_code, refused["Retry-After"]) == (429, "40")
    assert refused.json() == {"detail": THROTTLED.format(40)}
    # The other token of the same user has its own count; and a bad token is still a 401, not a 429.
    assert statuses(client, f"/api/v1/uploads/?token={second}", 2) == [200, 200]
    assert statuses(client, "/api/v1/uploads/?token=nope", 3) == [401, 401, 401]
    clock.now += 40  # the first request leaves the window
    assert statuses(client, f"/api/v1/uploads/?token={first}", 3) == [200, 200, 429]


def test_anonymous_requests_are_counted_per_address_whatever_x_forwarded_for_says(client, settings, clock, supplier):
    settings.NEXUS_THROTTLE_ANON_RATE = "2/minute"
    public = "/api/v1/sync_tasks_new/"
    assert statuses(client, public, 2, REMOTE_ADDR="10.0.0.1") == [200, 200]
    refused = client.get(public, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert (refused.status_code, refused["Retry-After"]) == (429, "60")
    assert refused.json() == {"detail": THROTTLED.format(60)}
    assert statuses(client, public, 2, REMOTE_ADDR="10.0.0.2") == [200, 200]
    # A token's requests from a throttled address are the token's, not the address's.
    token = token_create(user=supplier, name="t").raw
    assert statuses(client, f"{public}?token={token}", 3, REMOTE_ADDR="10.0.0.1") == [200, 200, 200]


def test_behind_a_trusted_proxy_the_address_it_appended_is_counted(client, settings, clock):
    settings.NEXUS_THROTTLE_ANON_RATE = "1/minute"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    public = "/api/v1/sync_tasks_new/"
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    assert statuses(client, public, 2, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.1", **proxy) == [200, 429]
    assert statuses(client, public, 2, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.2", **proxy) == [200, 429]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_throttled_request_is_429_in_its_dialects_shape_with_retry_after(dialect, client, settings, clock, demo):
    settings.NEXUS_THROTTLE_TOKEN_RATE = "3/hour"
    path, headers, body, media_type = DIALECTS[dialect]
    assert statuses(client, path, 3, **headers) == [200, 200, 200]
    clock.now += 600
    refused = client.get(path, **headers)
    assert (refused.status_code, refused["Retry-After"], refused["Content-Type"]) == (429, "3000", media_type)
    assert refused.json() == body(THROTTLED.format(3000))


def test_off_disables_a_rate(client, settings, clock, supplier):
    settings.NEXUS_THROTTLE_ANON_RATE = "off"
    settings.NEXUS_THROTTLE_TOKEN_RATE = ""
    token = token_create(user=supplier, name="t").raw
    assert set(statuses(client, "/api/v1/sync_tasks_new/", 130)) == {200}
    assert set(statuses(client, f"/api/v1/uploads/?token={token}", 5)) == {200}


def test_plain_views_are_not_throttled(client, settings, clock):
    settings.NEXUS_THROTTLE_ANON_RATE = "1/minute"
    assert statuses(client, "/healthz", 3) == [200, 200, 200]
    assert statuses(client, "/blobs/download/nope/a.csv", 3) == [403, 403, 403]
    assert statuses(client, "/api/v1/sync_tasks_new/", 2) == [200, 429]


def test_the_document_gives_drf_operations_a_429_with_retry_after(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    retry_after = {"schema": {"type": "integer", "minimum": 1}, "description": "Seconds until a retry may work."}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path.startswith("/blobs/") or path in ("/healthz", "/readyz"):
                assert "429" not in operation["responses"], (path, method)
            else:
                assert operation["responses"]["429"]["headers"] == {"Retry-After": retry_after}, (path, method)


@pytest.fixture
def private_redis(tmp_path, settings):
    """The cache on a redis-server of this test's own (stopped at will), with fresh counters."""
    redis = PrivateRedis(tmp_path)
    redis.start()
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    yield redis
    redis.stop()


def test_the_rate_limits_fail_open_while_their_redis_is_down(client, settings, clock, supplier, private_redis, caplog):
    settings.NEXUS_THROTTLE_TOKEN_RATE = "1/minute"
    token = token_create(user=supplier, name="t").raw
    path = f"/api/v1/uploads/?token={token}"
    assert statuses(client, path, 2) == [200, 429]
    private_redis.kill()
    with caplog.at_level(logging.INFO, logger="nexus.throttling"):
        assert statuses(client, path, 3) == [200, 200, 200]
        # The outage is told once; its first error names the refused connection.
        [warning] = [r for r in caplog.records if r.name == "nexus.throttling"]
        assert warning.levelname == "WARNING"
        assert warning.getMessage().startswith(
            "Rate limits are not enforced: their cache is unavailable (ConnectionError: Error 111 connecting to"
        )
        assert warning.getMessage().endswith("Connection refused.); retrying every 5 s")
        private_redis.start()  # empty: the counts start again
        # Within the retry interval the cache is not asked.
        assert statuses(client, path, 2) == [200, 200]
        throttling.OUTAGE.retry_at = 0.0
        assert statuses(client, path, 2) == [200, 429]
        told = [r.getMessage().split(" after ")[0] for r in caplog.records if r.name == "nexus.throttling"]
        assert told[1:] == ["Rate limits are enforced again: their cache answered"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_server_processes_share_their_counts_through_redis(demo, tmp_path, private_redis):
    from tests.test_schemathesis import _server_env

    servers = []
    try:
        for n in range(2):
            env = _server_env(tmp_path / f"server{n}")
            env.update(CACHE_URL=private_redis.url, WEB_CONCURRENCY="1", PORT=str(free_port()))
            env["NEXUS_THROTTLE_TOKEN_RATE"] = "3/minute"
            servers.append(start_gunicorn(env=env, log=tmp_path / f"gunicorn{n}.log"))
        (_, first), (_, second) = servers
        url = "{}/api/v1/uploads/?token=" + DEMO_TOKEN
        answers = [requests.get(url.format(base), timeout=10) for base in (first, second, first, second)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert answers[3].json()["detail"].startswith("Request was throttled. Expected available in ")
        assert 55 <= int(answers[3].headers["Retry-After"]) <= 60
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(timeout=30)


def test_a_rate_that_is_no_rate_stops_the_process_at_start():
    env = {**os.environ, "NEXUS_THROTTLE_TOKEN_RATE": "10/fortnight"}
    started = subprocess.run(
        [sys.executable, "-c", "import nexus_server.settings"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert started.returncode == 1
    assert (
        "ImproperlyConfigured: NEXUS_THROTTLE_TOKEN_RATE='10/fortnight': "
        "a rate is N/second, N/minute, N/hour, N/day or off" in started.stderr
    )
    env["NEXUS_THROTTLE_TOKEN_RATE"] = "10/hour"
    fine = subprocess.run([sys.executable, "-c", "import nexus_server.settings"], cwd=ROOT, env=env)
    assert fine.returncode == 0
