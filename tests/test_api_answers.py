"""Golden answers: one fixed scenario of requests through every dialect, compared byte for byte with
the answers recorded in tests/data/api_answers/ (`NEXUS_RECORD_ANSWERS=1` records them again)."""

import pytest

from tests.support.answers import check
from tests.support.answers_scenario import run_scenario


# Ids are those of a fresh database (reset_sequences), as the README's examples have them.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_local_storage(pinned, demo):
    check(run_scenario(demo), "local")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_s3_storage(pinned, s3_storage, moto_endpoint, demo):
    check(run_scenario(demo, s3=s3_storage, s3_endpoint=moto_endpoint), "s3")
