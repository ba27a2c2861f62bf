"""The datasets part of `seed_demo`: the gateway seed's dataset `ncl.630.0` with a published 1.0."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User

from .models import Dataset, DatasetVersion, VersionState, WriteGrant


@transaction.atomic
def seed() -> dict:
    organization = Organization.objects.get(name="Organization Y")
    dataset, _ = Dataset.objects.get_or_create(
        short_name="ncl.630.0", defaults={"title": "NCL example dataset", "organization": organization}
    )
    DatasetVersion.objects.get_or_create(
        dataset=dataset,
        identifier="1.0",
        defaults={"state": VersionState.PUBLISHED, "published_at": timezone.now()},
    )
    supplier = User.objects.get(username="supplier")
    WriteGrant.objects.get_or_create(dataset=dataset, user=supplier)
    return {"datasets": {"ncl.630.0": dataset.pk}}
