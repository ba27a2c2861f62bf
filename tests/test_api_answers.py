"""Golden answers: one fixed scenario of requests through every dialect, compared byte for byte with
the answers recorded in tests/data/api_answers/ (`NEXUS_RECORD_ANSWERS=1` records them again)."""

import pytest
from django.db.models import Count, Sum
from django.test import Client

from tests.support.answers import check
from tests.support.answers_scenario import run_scenario
from tests.support.metrics import labels, moved, samples
from uploads.models import Upload


def _scrape() -> dict:
    return samples(Client().get("/metrics").content.decode())


# Ids are those of a fresh database (reset_sequences), as the README's examples have them.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_local_storage(pinned, demo):
    before = _scrape()
    check(run_scenario(demo), "local")
    # Every dialect's stored uploads counted, once each, with their bytes.
    after = _scrape()
    nexus = Upload.objects.aggregate(count=Count("pk"), size=Sum("blob__size"))
    assert (nexus["count"], nexus["size"]) == (4, 530)
    assert moved(before, after, "nexus_uploads_total") == {
        labels(dialect="nexus"): 4,
        labels(dialect="delta"): 6,
        labels(dialect="cdg"): 3,
        labels(dialect="dataverse"): 5,
    }
    assert moved(before, after, "nexus_upload_bytes_total") == {
        labels(dialect="nexus"): 530,
        labels(dialect="delta"): 8020,
        labels(dialect="cdg"): 25,
        labels(dialect="dataverse"): 46,
    }


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_answers_on_s3_storage(pinned, s3_storage, moto_endpoint, demo):
    check(run_scenario(demo, s3=s3_storage, s3_endpoint=moto_endpoint), "s3")
