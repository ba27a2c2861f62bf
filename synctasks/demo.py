"""The catalog part of `seed_demo`: the uploadable data sources of the uploads seed."""

from django.db import transaction

from accounts.models import Organization

from .models import DataSource, FeatureKind
from .services import data_source_create, feature_type_ensure

UPLOADABLE = [
    # name, owner, ext, feature type alias, kind, description
    (
        "Dataset export",
        "Organization Y",
        "csv",
        "location",
        FeatureKind.SPATIAL,
        "Spatial dataset exported by Data supplier X as CSV; each upload replaces the stored features.",
    ),
    (
        "Measurements export",
        "Organization Z",
        "csv",
        "timeseries",
        FeatureKind.TIMESERIES,
        "Measurements exported by Data supplier X as CSV; each upload is appended, newest wins.",
    ),
]


@transaction.atomic
def seed() -> dict:
    data_sources = {}
    for name, owner, ext, alias, kind, description in UPLOADABLE:
        organization = Organization.objects.get(name=owner)
        data_source = DataSource.objects.filter(name=name, organization=organization).first()
        if data_source is None:
            data_source = data_source_create(
                name=name,
                organization=organization,
                ext=ext,
                uploadable=True,
                private=True,
                description={"en-IE": description},
                feature_types=[feature_type_ensure(alias=alias, kind=kind)],
            )
        data_sources[name] = data_source.pk
    return {"data_sources": data_sources}
