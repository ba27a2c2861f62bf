"""The datasets part of `seed_demo`: the gateway seed's dataset `ncl.630.0` with a published 1.0, and
the Dataverse seed's `doi:10.5072/FK27U7YBV` with a draft, both writable by the demo supplier, who
also administers the root Dataverse collection (so creates datasets in it)."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User

from .models import Collection, Dataset, DatasetVersion, VersionState, WriteGrant


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
    dataverse, _ = Dataset.objects.get_or_create(
        persistent_id="doi:10.5072/FK27U7YBV",
        defaults={"short_name": "FK27U7YBV", "title": "Dataverse direct upload example", "organization": organization},
    )
    DatasetVersion.objects.get_or_create(dataset=dataverse, identifier="1.0")  # a draft
    WriteGrant.objects.get_or_create(dataset=dataverse, user=supplier)
    root, _ = Collection.objects.get_or_create(alias="root", defaults={"name": "Root"})
    root.admins.add(supplier)
    return {"datasets": {"ncl.630.0": dataset.pk, "doi:10.5072/FK27U7YBV": dataverse.pk}}
