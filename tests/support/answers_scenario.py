"""The golden scenario as a whole: a stranger with a fixed token, then each part in order and the
catch-all routes; the normalised answers."""

from accounts.models import User
from accounts.services import token_create
from tests.support.accounts import DEMO_TOKEN
from tests.support.answers import STRANGER_TOKEN, Normaliser, Scenario
from tests.support.answers_datasets import dataverse, gateway
from tests.support.answers_delta import delta
from tests.support.answers_nexus import nexus


def catch_all(s: Scenario):
    s("catch-all: unknown URL", "GET", "/nothing-here")
    s("catch-all: unknown API URL", "POST", "/api/v1/nothing/")
    s("catch-all: blobs, bad signature", "GET", "/blobs/download/nope/a.csv")
    s("catch-all: direct PUT, bad signature", "PUT", "/blobs/direct/nope", body=b"x")
    s("healthz: POST", "POST", "/healthz")
    s("schema", "GET", "/api/schema/", body_elsewhere="tests/test_openapi.py")


def run_scenario(demo: dict, s3=None, s3_endpoint: str = "", observe=None) -> list[dict]:
    stranger = User.objects.create(username="stranger", name="A stranger")
    token_create(user=stranger, name="golden", raw=STRANGER_TOKEN)
    masked = {DEMO_TOKEN: "demo-token", STRANGER_TOKEN: "stranger-token"}
    if s3:  # moto's port and the bucket's name are new for each run
        masked |= {s3_endpoint: "s3-endpoint", s3[1]: "bucket"}
    scenario = Scenario(Normaliser(masked), s3=s3, observe=observe)
    nexus(scenario, demo)
    delta(scenario)
    gateway(scenario)
    dataverse(scenario)
    catch_all(scenario)
    return scenario.answers
