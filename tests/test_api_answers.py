"""Golden answers: one fixed scenario of requests through every dialect, compared byte for byte with
the answers recorded in tests/data/api_answers/ (`NEXUS_RECORD_ANSWERS=1` records them again)."""

import pytest

from tests.support.answers import MIB, check
from tests.support.answers_scenario import run_scenario


@pytest.fixture
def pinned(settings):
    """The settings that show in answers, at their defaults whatever the environment says: the
    golden answers record the code, not the machine's configuration."""
    settings.TIME_ZONE = "UTC"
    settings.NEXUS_MAX_UPLOAD_BYTES = 500 * MIB
    settings.NEXUS_MAX_REQUEST_OVERHEAD_BYTES = 1 * MIB
    settings.NEXUS_MAX_JSON_BYTES = 100 * MIB
    settings.NEXUS_LINK_TTL_SECONDS = 3600
    settings.NEXUS_DEFAULT_LOCALE = "nl-NL"
    settings.NEXUS_LOCALES = ["nl-NL", "en-IE", "en-GB", "en-US", "de-DE", "fr-FR"]
    settings.NEXUS_DIRECT_UPLOAD_PART_BYTES = 5 * MIB  # the smallest part: a multipart ticket for 6 MiB


# Ids are those of a fresh database (reset_sequences), as the README's examples have them.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_local_storage(pinned, demo):
    check(run_scenario(demo), "local")


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_s3_storage(pinned, s3_storage, moto_endpoint, demo):
    check(run_scenario(demo, s3=s3_storage, s3_endpoint=moto_endpoint), "s3")
