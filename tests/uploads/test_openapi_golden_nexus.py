"""The golden scenario's Nexus answers (uploads, sync tasks, harvests, events) conform to the OpenAPI document."""

import pytest

from tests.support.answers_scenario import run_scenario
from tests.support.openapi import Conformance, openapi_document

NEXUS_PATHS = ("/api/v1/uploads/", "/api/v1/sync_tasks_new/", "/api/v1/dataconnections/")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_nexus_answer_of_the_golden_scenario_conforms(pinned, demo):
    conformance = Conformance(openapi_document())
    run_scenario(demo, observe=conformance)
    # A problem names the request as "<name>: <METHOD> <path> -> ...".
    ours = [p for p in conformance.problems if any(f" {path}" in p.split(" -> ")[0] for path in NEXUS_PATHS)]
    assert ours == []
    # Only a method a route does not take reaches no documented operation.
    unrouted = [u for u in conformance.unrouted if u[1].split(" ")[1].startswith(NEXUS_PATHS)]
    assert {status for _, _, status in unrouted} <= {405}
    assert len(unrouted) == 3
