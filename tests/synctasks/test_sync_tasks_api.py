"""The sync tasks seed: its example against the demo data, every filter, auth, pages, what a caller
sees; the detail route, scenario rights and the admin pages are in test_sync_tasks_detail.py."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Organization, User
from accounts.services import membership_ensure, organization_get_or_create, token_create
from synctasks.models import DataSource, SyncTask
from tests.support.synctasks import ANONYMOUS_KEYS, DC_KEYS, TASK_KEYS, TOKEN, URL, WORLD_KEYS

pytestmark = pytest.mark.django_db


def get(client, query="", token=True, **extra):
    separator = "&" if query else ""
    url = f"{URL}?{query}{separator}token={TOKEN}" if token else f"{URL}?{query}"
    return client.get(url, **extra)


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [task["name"] for task in response.json()["results"]]


def test_the_seeds_example_key_for_key(client, demo):
    response = get(client, "world=sandbox&feature_type=timeseries")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["count", "next", "previous", "results"]
    assert (body["count"], body["next"], body["previous"]) == (1, None, None)
    (task,) = body["results"]
    assert list(task) == TASK_KEYS
    assert {k: task[k] for k in TASK_KEYS[:8]} == {
        "id": 7,
        "name": "Klimatologie - Daggegevens meteostations",
        "owner": "Koninklijk Nederlands Meteorologisch Instituut (KNMI)",
        "task_type": "data_source",
        "private": False,
        "uploadable": False,
        "trigger": "Every day at 12:00 UTC",
        "harvest_last_success": None,
    }
    assert list(task["data_source"]) == ["description", "endpoint", "ext"]
    assert task["data_source"]["description"].startswith("Deze databron bevat dagelijkse meteorologische")
    assert (task["data_source"]["endpoint"], task["data_source"]["ext"]) == ("https://www.daggegevens.knmi.nl", "txt")
    assert (task["calculation"], task["scenario"]) == (None, None)
    (dc,) = task["dataconnections"]
    assert list(dc) == WORLD_KEYS
    assert {k: dc[k] for k in ("dc_id", "name", "feature_type", "join_to", "output_props")} == {
        "dc_id": 6,
        "name": None,
        "feature_type": "timeseries",
        "join_to": {"feature_type": "weather_station", "prop": "id_src", "dc_id": 18, "dtype": "text"},
        "output_props": [],
    }
    assert len(dc["output_params"]) == 10 and dc["output_params"][0] == "parameter:airtemp_max_deg_c"
    assert (dc["retention_time"], dc["n_features"], dc["oldest_time"], dc["newest_time"]) == (189216000, 0, None, None)


def test_without_a_token_only_public_data_sources_with_fewer_fields(client, demo):
    response = get(client, token=False)
    assert names(response) == ["Klimatologie - Daggegevens meteostations"]
    task = response.json()["results"][0]
    assert list(task) == ANONYMOUS_KEYS
    assert [list(dc) for dc in task["dataconnections"]] == [DC_KEYS, DC_KEYS]
    assert [(dc["dc_id"], dc["join_to"]) for dc in task["dataconnections"]] == [
        (6, {"feature_type": "weather_station", "prop": "id_src", "dc_id": 18, "dtype": "text"}),
        (18, {"feature_type": None, "prop": None, "dc_id": None, "dtype": None}),
    ]


def _strangers_tasks():
    """A private data source, a calculation and a scenario of an organization the supplier is not in."""
    from synctasks.models import Analysis, Calculation, Scenario, TaskType
    from synctasks.services import data_source_create, feature_type_ensure

    stranger = organization_get_or_create(name="Stranger")
    creator = User.objects.create(username="stranger")
    data_source_create(
        name="Not mine",
        organization=stranger,
        ext="csv",
        private=True,
        feature_types=[feature_type_ensure(alias="timeseries")],
    )
    calculation = SyncTask.objects.create(
        task_type=TaskType.CALCULATION, calculation=Calculation.objects.create(name="Their sum", organization=stranger)
    )
    calculation_dc = calculation.dataconnections.create(feature_type=feature_type_ensure(alias="timeseries"))
    SyncTask.objects.create(
        task_type=TaskType.SCENARIO,
        scenario=Scenario.objects.create(
            name="Their scenario",
            analysis=Analysis.objects.create(name={"en-IE": "x"}),
            created_by=creator,
            organization=stranger,
        ),
    )
    return calculation_dc


def test_with_a_token_the_callers_private_tasks_calculations_and_scenarios(client, demo):
    _strangers_tasks()
    assert sorted(names(get(client))) == sorted(
        [
            "Dataset export",
            "Measurements export",
            "Klimatologie - Daggegevens meteostations",
            "Daily mean water level",
            "Heavy rain 2026",
        ]
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dc_id=6,{dataset_dc}", ["Dataset export", "Klimatologie - Daggegevens meteostations"]),
        ("feature_type=STATION", ["Klimatologie - Daggegevens meteostations"]),
        ("private=true", ["Dataset export", "Measurements export"]),
        ("private=false", ["Klimatologie - Daggegevens meteostations"]),
        ("search=weerstations&locale=nl-NL", ["Klimatologie - Daggegevens meteostations"]),
        ("search=EXPORT&locale=en-IE", ["Dataset export", "Measurements export"]),
        ("search=replaces&locale=en-IE", ["Dataset export"]),
        ("search=water%20level&locale=en-IE", ["Daily mean water level"]),
        ("task_type=scenario", ["Heavy rain 2026"]),
        ("task_type=calculation", ["Daily mean water level"]),
        ("uploadable=true", ["Dataset export", "Measurements export"]),
        ("uploadable=false", ["Klimatologie - Daggegevens meteostations", "Daily mean water level", "Heavy rain 2026"]),
        ("world=sandbox", ["Klimatologie - Daggegevens meteostations"]),
        (
            "locale=en-IE",
            [
                "Dataset export",
                "Measurements export",
                "Klimatologie - Daggegevens meteostations",
                "Daily mean water level",
                "Heavy rain 2026",
            ],
        ),
        (
            "world=sandbox&feature_type=timeseries&uploadable=false&task_type=data_source&private=false"
            "&search=KNMI&locale=nl-NL&dc_id=6,18",
            ["Klimatologie - Daggegevens meteostations"],
        ),
        ("task_type=calculation&uploadable=true", []),
    ],
)
def test_each_filter_alone_and_combined(client, demo, query, expected):
    dataset = DataSource.objects.get(pk=demo["data_sources"]["Dataset export"])
    query = query.format(dataset_dc=dataset.sync_task.dataconnections.get().pk)
    assert sorted(names(get(client, query))) == sorted(expected)


def test_feature_type_narrows_the_nested_connections_and_world_enriches_them(client, demo):
    task = get(client, "feature_type=weather").json()["results"][0]
    assert [dc["dc_id"] for dc in task["dataconnections"]] == [18]
    task = get(client, "world=sandbox").json()["results"][0]
    assert [(dc["dc_id"], dc["retention_time"]) for dc in task["dataconnections"]] == [(6, 189216000), (18, 189216000)]


def test_locale_picks_the_description_and_defaults_to_the_users_world(client, demo):
    scenario = get(client, "task_type=scenario").json()["results"][0]["scenario"]
    assert scenario == {
        "analysis": {"name": "Wateroverlast", "description": "Waar staat het water na een bui?"},
        "user_name": "Data supplier X",
    }
    english = get(client, "task_type=scenario&locale=en-IE").json()["results"][0]["scenario"]["analysis"]
    assert english == {"name": "Flooding", "description": "Where does the water go after a storm?"}
    calculation = get(client, "task_type=calculation").json()["results"][0]
    assert (calculation["calculation"]["name"], calculation["calculation"]["owner"], calculation["trigger"]) == (
        "Daily mean water level",
        "Organization Y",
        "On input change",
    )


def test_auth_only_parameters_and_search_without_locale(client, demo):
    for name, value in (("private", "true"), ("task_type", "scenario")):
        response = get(client, f"{name}={value}", token=False)
        assert (response.status_code, response.json()) == (401, {"detail": f"The '{name}' parameter requires a token."})
    response = get(client, "search=knmi")
    assert (response.status_code, response.json()) == (400, {"locale": ["Required when using search."]})
    response = get(client, "world=nowhere")
    assert (response.status_code, response.json()) == (400, {"world": ["Unknown world 'nowhere'."]})
    response = get(client, "task_type=job")
    assert response.status_code == 400 and list(response.json()) == ["task_type"]


def test_pages_default_to_10_and_cap_at_50(client, demo):
    from synctasks.services import data_source_create

    organization = Organization.objects.get(name="Organization Y")
    for index in range(60):
        data_source_create(name=f"Public {index:02d}", organization=organization, ext="csv", feature_types=[])
    first = get(client, token=False).json()
    assert (first["count"], len(first["results"])) == (61, 10)
    assert first["next"] == "http://testserver/api/v1/sync_tasks_new/?page=2"
    capped = get(client, "page_size=100", token=False).json()
    assert len(capped["results"]) == 50
    assert capped["next"] == "http://testserver/api/v1/sync_tasks_new/?page=2&page_size=100"
    last = get(client, "page_size=100&page=2", token=False).json()
    assert (len(last["results"]), last["next"]) == (11, None)


def test_enrichment_numbers_after_an_ingest(client, demo):
    from django.db import transaction

    from blobs.services import blob_write
    from harvest.services import ingest

    knmi = DataSource.objects.get(name="Klimatologie - Daggegevens meteostations")
    content = (Path(__file__).parent.parent / "harvest" / "data" / "knmi_daggegevens.txt").read_bytes()
    with transaction.atomic():
        ingest(blob=blob_write(chunks=[content]), data_source=knmi, filename="etmgeg.txt")
    task = get(client, "world=sandbox").json()["results"][0]
    enrichment = {
        dc["dc_id"]: (dc["n_features"], dc["oldest_time"], dc["newest_time"]) for dc in task["dataconnections"]
    }
    assert enrichment == {
        6: (3, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"),
        18: (3, None, None),
    }


def test_a_full_page_costs_the_same_queries_for_5_and_50_tasks(client, demo):
    from synctasks.models import Subscription, World
    from synctasks.services import data_source_create, feature_type_ensure

    world = World.objects.get(alias="sandbox")
    organization = Organization.objects.get(name="Organization Y")
    timeseries = feature_type_ensure(alias="timeseries")

    def add(count):
        for index in range(count):
            source = data_source_create(
                name=f"S{index}-{count}", organization=organization, ext="csv", feature_types=[timeseries, timeseries]
            )
            for dc in source.sync_task.dataconnections.all():
                Subscription.objects.create(world=world, data_connection=dc, retention_time=3600)

    get(client)  # records the token's last use once
    add(4)
    with CaptureQueriesContext(connection) as five:
        assert len(get(client, "world=sandbox&page_size=50").json()["results"]) == 5
    add(45)
    with CaptureQueriesContext(connection) as fifty:
        assert len(get(client, "world=sandbox&page_size=50").json()["results"]) == 50
    assert len(five.captured_queries) == len(fifty.captured_queries)
    # token, world, the user's default locale, count, page, the page's connections
    assert len(five.captured_queries) == 6


def test_events_of_a_calculation_are_not_public(client, demo):
    from harvest.models import Measurement, Series

    dc = _strangers_tasks()
    series = Series.objects.create(data_connection=dc, feature_key="A", parameter="p")
    Measurement.objects.create(series=series, timestamp=datetime(2021, 1, 1, tzinfo=UTC), value=42.0)
    url = f"/api/v1/dataconnections/{dc.pk}/events/?feature=A&parameter=p"
    assert client.get(url).status_code == 404
    assert client.get(url + f"&token={TOKEN}").status_code == 404  # the supplier is not in that organization
    stranger = token_create(user=User.objects.get(username="stranger")).raw
    membership_ensure(
        user=User.objects.get(username="stranger"), organization=Organization.objects.get(name="Stranger")
    )
    response = client.get(url + f"&token={stranger}")
    assert b"".join(response.streaming_content) == b"timestamp,value\n2021-01-01T00:00:00Z,42.0\n"


def test_connection_filters_hold_for_one_connection(client, demo):
    """A task whose station connection is subscribed but whose timeseries one is not does not match
    world=sandbox&feature_type=timeseries."""
    from synctasks.models import Subscription, World
    from synctasks.services import data_source_create, feature_type_ensure

    source = data_source_create(
        name="Half subscribed",
        organization=organization_get_or_create(name="KNMI2"),
        ext="txt",
        feature_types=[feature_type_ensure(alias="weather_station"), feature_type_ensure(alias="timeseries")],
    )
    station = source.sync_task.dataconnections.get(feature_type__alias="weather_station")
    Subscription.objects.create(world=World.objects.get(alias="sandbox"), data_connection=station, retention_time=1)
    assert names(get(client, "world=sandbox&feature_type=timeseries")) == ["Klimatologie - Daggegevens meteostations"]
    assert sorted(names(get(client, "world=sandbox"))) == [
        "Half subscribed",
        "Klimatologie - Daggegevens meteostations",
    ]


def test_search_falls_back_like_the_description_shown(client, demo):
    # The KNMI description exists in nl-NL only; in en-IE the Dutch text is shown, and searched.
    assert names(get(client, "search=weerstations&locale=en-IE")) == ["Klimatologie - Daggegevens meteostations"]
    assert names(get(client, "search=supplier&locale=nl-NL")) == ["Dataset export", "Measurements export"]
