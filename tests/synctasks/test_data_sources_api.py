"""The platform's data source list against the demo data: who sees which sources, the world and dc_id
filters, the description's locale, anonymous callers (public only, no filter), and its OpenAPI answers."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Role
from accounts.services import organization_get_or_create, token_create
from synctasks.models import DataConnection, DataSource, FeatureType, Subscription, SyncTask, World
from synctasks.services import data_source_create
from tests.support.accounts import member_create
from tests.support.openapi import Conformance, openapi_document
from tests.support.synctasks import TOKEN

pytestmark = pytest.mark.django_db

URL = "/api/v1/data_sources/"
KEYS = ["name", "owner", "description", "private", "uploadable", "endpoint", "harvest_last_success"]
KNMI_NL = (
    "Deze databron bevat dagelijkse meteorologische waarnemingen van de KNMI automatische weerstations (AWS) "
    "verspreid over Nederland. Het omvat metingen zoals neerslag, referentieverdamping, relatieve luchtvochtigheid, "
    "inkomende zonnestraling, maximale en gemiddelde luchttemperatuur, windrichting en windsnelheden. Elke "
    "meetreeks is gekoppeld aan het bijbehorende station en bestrijkt zowel recente als historische perioden."
)
KNMI_EN = "This data source contains daily meteorological observations from the KNMI automatic weather stations."
KNMI = {
    "name": "Klimatologie - Daggegevens meteostations",
    "owner": "Koninklijk Nederlands Meteorologisch Instituut (KNMI)",
    "description": KNMI_NL,
    "private": False,
    "uploadable": False,
    "endpoint": "https://www.daggegevens.knmi.nl",
    "harvest_last_success": "2026-02-03T12:01:54Z",
}
DATASET = {
    "name": "Dataset export",
    "owner": "Organization Y",
    "description": "Spatial dataset exported by Data supplier X as CSV; each upload replaces the stored features.",
    "private": True,
    "uploadable": True,
    "endpoint": "",
    "harvest_last_success": None,
}
MEASUREMENTS = {
    "name": "Measurements export",
    "owner": "Organization Z",
    "description": "Measurements exported by Data supplier X as CSV; each upload is appended, newest wins.",
    "private": True,
    "uploadable": True,
    "endpoint": "",
    "harvest_last_success": None,
}


@pytest.fixture
def catalog(demo):
    """The demo data, KNMI's last harvest at a known instant (with a fraction, which is not shown)."""
    SyncTask.objects.filter(pk=demo["sync_tasks"]["knmi_task"]).update(
        harvest_last_success=datetime(2026, 2, 3, 12, 1, 54, 730000, tzinfo=UTC)
    )
    return demo


def get(client, query="", token=TOKEN):
    parts = [part for part in (query, f"token={token}" if token else "") if part]
    return client.get(f"{URL}?{'&'.join(parts)}" if parts else URL)


def answer(response) -> list[dict]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert all(list(entry) == KEYS for entry in body)
    return body


def _stranger():
    """A user of another organization only, with a private source of that organization, and their token."""
    user, _ = member_create("stranger", "Stranger org")
    source = data_source_create(
        name="Secret source",
        organization=organization_get_or_create(name="Stranger org"),
        ext="csv",
        uploadable=True,
        private=True,
        description={"en-IE": "Only for strangers."},
        feature_types=[FeatureType.objects.get(alias="timeseries")],
    )
    return source, token_create(user=user).raw


def test_a_member_sees_public_sources_and_those_of_its_organizations(client, catalog):
    assert answer(get(client)) == [DATASET, KNMI, MEASUREMENTS]


def test_another_organization_sees_the_public_sources_and_its_own_only(client, catalog):
    _, token = _stranger()
    secret = {**DATASET, "name": "Secret source", "owner": "Stranger org", "description": "Only for strangers."}
    assert answer(get(client, token=token)) == [KNMI, secret]
    # ...and the demo supplier does not see the stranger's private source.
    assert answer(get(client)) == [DATASET, KNMI, MEASUREMENTS]


def test_an_upload_grant_shows_a_private_source_of_another_organization(client, catalog):
    source, _ = _stranger()
    source.upload_grants.create(organization=organization_get_or_create(name="Organization Y"))
    names = [entry["name"] for entry in answer(get(client))]
    assert names == [
        "Dataset export",
        "Klimatologie - Daggegevens meteostations",
        "Measurements export",
        "Secret source",
    ]


def test_anonymous_callers_get_the_public_sources_only(client, catalog):
    assert answer(get(client, token=None)) == [KNMI]


@pytest.mark.parametrize(
    ("query", "name"), [("world=sandbox", "world"), ("dc_id=6", "dc_id"), ("world=", "world"), ("dc_id=x", "dc_id")]
)
def test_anonymous_callers_may_not_filter(client, catalog, query, name):
    response = get(client, query, token=None)
    assert (response.status_code, response.json()) == (403, {"detail": f"The '{name}' filter requires a token."})


def test_dc_id_keeps_the_sources_with_one_of_the_connections(client, catalog):
    # The platform's example: connection 6 is KNMI's timeseries.
    assert answer(get(client, "dc_id=6")) == [KNMI]
    dataset_dc = DataConnection.objects.get(sync_task__data_source__name="Dataset export").pk
    assert answer(get(client, f"dc_id={dataset_dc}")) == [DATASET]
    assert answer(get(client, f"dc_id=6,{dataset_dc}")) == [DATASET, KNMI]
    assert answer(get(client, "dc_id=999999")) == []
    response = get(client, "dc_id=six")
    assert (response.status_code, response.json()) == (
        400,
        {"dc_id": ["A comma-separated list of integers is required."]},
    )


def test_world_keeps_the_sources_subscribed_there_and_gives_its_locale(client, catalog):
    assert answer(get(client, "world=sandbox")) == [KNMI]
    knmi = DataSource.objects.get(name=KNMI["name"])
    knmi.description = {"nl-NL": KNMI_NL, "en-IE": KNMI_EN}
    knmi.save(update_fields=["description"])
    other = World.objects.create(alias="dublin", locale="en-IE")
    measurements_dc = DataConnection.objects.get(sync_task__data_source__name="Measurements export")
    for dc in (measurements_dc, DataConnection.objects.get(pk=6)):
        Subscription.objects.create(world=other, data_connection=dc, retention_time=3600)
    assert answer(get(client, "world=dublin")) == [{**KNMI, "description": KNMI_EN}, MEASUREMENTS]
    # Both filters hold for one connection: 18 (KNMI's stations) is not subscribed in dublin.
    assert answer(get(client, f"world=dublin&dc_id=18,{measurements_dc.pk}")) == [MEASUREMENTS]
    assert answer(get(client, "world=sandbox")) == [KNMI]  # sandbox is nl-NL
    response = get(client, "world=nowhere")
    assert (response.status_code, response.json()) == (400, {"world": ["Unknown world 'nowhere'."]})


@pytest.mark.parametrize("locale", ["en_IE", "en-IE", "en-ie", "en_US", "en"])
def test_locale_overrides_the_worlds(client, catalog, locale):
    knmi = DataSource.objects.get(name=KNMI["name"])
    knmi.description = {"nl-NL": KNMI_NL, "en-IE": KNMI_EN}
    knmi.save(update_fields=["description"])
    assert answer(get(client, f"world=sandbox&locale={locale}")) == [{**KNMI, "description": KNMI_EN}]
    assert answer(get(client, "world=sandbox")) == [KNMI]
    # Anonymous callers may choose the locale: it is no filter.
    assert answer(get(client, f"locale={locale}", token=None)) == [{**KNMI, "description": KNMI_EN}]


@pytest.mark.parametrize("locale", ["de_DE", "es_ES", "it_IT", "ja_JP", "nl_NL", "pt_BR", "ru_RU", "zh_CN", "zh-CN"])
def test_the_platforms_locales_are_known(client, catalog, locale):
    # None of them has a text of its own here: the description falls back to one it has.
    expected = KNMI_NL
    assert answer(get(client, f"dc_id=6&locale={locale}")) == [{**KNMI, "description": expected}]


def test_an_unknown_locale_is_refused(client, catalog):
    response = get(client, "locale=xx_XX")
    known = "de-DE, en-GB, en-IE, en-US, es-ES, fr-FR, it-IT, ja-JP, nl-NL, pt-BR, ru-RU, zh-CN"
    assert (response.status_code, response.json()) == (400, {"locale": [f"Unknown locale 'xx_XX'; known: {known}."]})


def test_the_list_costs_the_same_queries_however_many_sources(client, catalog):
    get(client)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        assert len(answer(get(client))) == 3
    organization = organization_get_or_create(name="Organization Y")
    for n in range(20):
        DataSource.objects.create(name=f"Extra {n:02d}", organization=organization, ext="csv", private=True)
    with CaptureQueriesContext(connection) as many:
        assert len(answer(get(client))) == 23
    assert len(many) == len(few)


def test_a_superuser_sees_every_source(client, catalog):
    _stranger()
    admin, _ = member_create("root", "Root org", role=Role.MEMBER)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    names = [entry["name"] for entry in answer(get(client, token=token_create(user=admin).raw))]
    assert names == [
        "Dataset export",
        "Klimatologie - Daggegevens meteostations",
        "Measurements export",
        "Secret source",
    ]


def test_the_answers_conform_to_the_document(client, catalog):
    check = Conformance(openapi_document())
    for query, token in [("", TOKEN), ("dc_id=6&locale=en_IE", TOKEN), ("", None), ("world=sandbox", None)]:
        path = f"{URL}?{'&'.join(p for p in (query, f'token={token}' if token else '') if p)}"
        response = client.get(path)
        check(name=path, method="GET", path=path, headers={}, meta={}, response=response, raw=response.content)
    response = get(client, "world=nowhere")
    check(name="unknown world", method="GET", path=f"{URL}?world=nowhere&token={TOKEN}", headers={}, meta={},
          response=response, raw=response.content)  # fmt: skip
    assert (check.checked, check.problems, check.unrouted) == (5, [], [])
