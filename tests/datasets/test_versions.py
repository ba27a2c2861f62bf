"""The next version's identifier, one rule for the admin's "create next version" and for the draft a
Dataverse write opens: one major number past the highest the dataset has, whichever version is copied."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from datasets.models import Dataset, DatasetVersion, VersionState
from datasets.selectors import version_next_identifier
from tests.datasets.conftest import PID, TOKEN

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        ([], "1.0"),
        (["1.0"], "2.0"),
        (["1.0", "1.1"], "2.0"),  # minor versions count by their major number
        (["0.1", "1.0", "2.0"], "3.0"),
        (["9.0", "10.0"], "11.0"),  # by number, not by text
        (["beta"], "1.0"),  # identifiers that do not start with a number do not count
        (["2.0", "beta", "².0"], "3.0"),
    ],
)
def test_the_next_identifier(demo, identifiers, expected):
    dataset = Dataset.objects.get(short_name="ncl.630.0")
    DatasetVersion.objects.filter(dataset=dataset).delete()
    for identifier in identifiers:
        DatasetVersion.objects.create(dataset=dataset, identifier=identifier, state=VersionState.PUBLISHED)
    assert version_next_identifier(dataset=dataset) == expected


def _published(dataset, identifier):
    return DatasetVersion.objects.update_or_create(
        dataset=dataset,
        identifier=identifier,
        defaults={"state": VersionState.PUBLISHED, "published_at": timezone.now()},
    )[0]


def test_a_dataverse_write_after_minor_versions_opens_the_next_major(client, demo):
    """Versions 1.0 and 1.1 published: the draft a registration opens is 2.0 (it was 3.0, counting
    versions), and the gateway addresses it by that name."""
    dataset = Dataset.objects.get(persistent_id=PID)
    _published(dataset, "1.0")
    _published(dataset, "1.1")
    response = client.post(
        f"/api/datasets/:persistentId/add?persistentId={PID}",
        {"file": SimpleUploadedFile("a.txt", b"a\n", "text/plain")},
        HTTP_X_DATAVERSE_KEY=TOKEN,
    )
    assert response.status_code == 200, response.json()
    draft = DatasetVersion.objects.get(dataset=dataset, state=VersionState.DRAFT)
    assert draft.identifier == "2.0"
    listed = client.get(
        f"/api/v1/dataset/{dataset.short_name}/version/2.0/files.json", HTTP_AUTHORIZATION=f"api-token {TOKEN}"
    )
    assert [f["name"] for f in listed.json()["files"]] == ["a.txt"]


def _create_next(client, version):
    return client.post(
        "/admin/datasets/datasetversion/",
        {"action": "create_next_version", "_selected_action": [version.pk]},
        follow=True,
    ).content.decode()


def test_the_admin_numbers_from_the_dataset_not_from_the_selected_version(client, demo, django_user_model):
    """From 1.0 while 2.0 exists: 3.0, with 1.0's files (it was refused: 2.0 exists already); from
    a version named `beta` with no numbered one: 1.0 (it was `beta-next`)."""
    admin = django_user_model.objects.create_superuser(username="admin", password="x", email="a@example.org")
    client.force_login(admin)
    dataset = Dataset.objects.get(short_name="ncl.630.0")
    first = DatasetVersion.objects.get(dataset=dataset, identifier="1.0")
    _published(dataset, "2.0")
    assert "Created version 3.0 of ncl.630.0." in _create_next(client, first)
    assert DatasetVersion.objects.get(dataset=dataset, identifier="3.0").state == VersionState.DRAFT
    other = Dataset.objects.get(persistent_id=PID)
    DatasetVersion.objects.filter(dataset=other).update(identifier="beta")
    beta = DatasetVersion.objects.get(dataset=other)
    assert f"Created version 1.0 of {other}." in _create_next(client, beta)
