"""The golden scenario's Nexus answers (uploads, sync tasks, harvests, events) conform to the OpenAPI document."""

from urllib.parse import urlsplit

import pytest

from tests.support.answers_scenario import run_scenario
from tests.support.openapi import Conformance, openapi_document

NEXUS_PATHS = ("/api/v1/uploads/", "/api/v1/sync_tasks_new/", "/api/v1/dataconnections/")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_nexus_answer_of_the_golden_scenario_conforms(pinned, demo):
    conformance = Conformance(openapi_document())

    def observe(**answer):
        # Only this dialect's answers: the others' are their own modules' (and tests/test_openapi.py's).
        if urlsplit(answer["path"]).path.startswith(NEXUS_PATHS):
            conformance(**answer)

    run_scenario(demo, observe=observe)
    assert conformance.problems == []
    # Only a method a route does not take reaches no documented operation (PUT and DELETE on the
    # uploads, POST on the sync task list).
    assert [status for _, _, status in conformance.unrouted] == [405, 405, 405]
    assert conformance.checked == 60
