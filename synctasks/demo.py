"""The catalog part of `seed_demo`: the uploads seed's data sources and the sync tasks seed's example
(KNMI daily data, world `sandbox`, harvestable by the demo supplier), plus a calculation and a scenario so
that every filter shows something."""

from django.core.management.color import no_style
from django.db import connection, transaction

from accounts.models import Organization, Role, User
from accounts.services import membership_ensure, organization_get_or_create

from .models import (
    Analysis,
    Calculation,
    DataConnection,
    DataSource,
    FeatureKind,
    Scenario,
    Subscription,
    SyncTask,
    TaskType,
    TriggerKind,
    UploadGrant,
    UserPreference,
    World,
)
from .services import data_source_create, feature_type_ensure, sync_task_schedule_apply

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

KNMI_ORG = "Koninklijk Nederlands Meteorologisch Instituut (KNMI)"
KNMI_NAME = "Klimatologie - Daggegevens meteostations"
KNMI_DESCRIPTION = (
    "Deze databron bevat dagelijkse meteorologische waarnemingen van de KNMI automatische weerstations (AWS) "
    "verspreid over Nederland. Het omvat metingen zoals neerslag, referentieverdamping, relatieve luchtvochtigheid, "
    "inkomende zonnestraling, maximale en gemiddelde luchttemperatuur, windrichting en windsnelheden. Elke "
    "meetreeks is gekoppeld aan het bijbehorende station en bestrijkt zowel recente als historische perioden."
)
KNMI_PARAMS = [
    "parameter:airtemp_max_deg_c",
    "parameter:airtemp_mean_deg_c",
    "parameter:etref_mm_d",
    "parameter:hum_rel_pct",
    "parameter:prec_mm_d",
    "parameter:rad_in_s_j_cm2_d",
    "parameter:wind_direction_deg",
    "parameter:wind_speed_max_hour_mean_m_s",
    "parameter:wind_speed_max_m_s",
    "parameter:wind_speed_mean_m_s",
]
# The seed's ids: task 7, timeseries connection 6 joined to weather stations in connection 18.
KNMI_TASK_ID, KNMI_SERIES_DC, KNMI_STATIONS_DC = 7, 6, 18
SANDBOX_RETENTION = 189216000


def _free(model, pk: int) -> int | None:
    """The seed's id when it is still free (a fresh database), else None (an automatic one)."""
    return None if model.objects.filter(pk=pk).exists() else pk


def _knmi(world: World, supplier: User) -> dict:
    organization = organization_get_or_create(name=KNMI_ORG)
    source = DataSource.objects.filter(name=KNMI_NAME, organization=organization).first()
    if source is None:
        source = DataSource.objects.create(
            name=KNMI_NAME,
            organization=organization,
            description={"nl-NL": KNMI_DESCRIPTION},
            endpoint="https://www.daggegevens.knmi.nl",
            ext="txt",
            private=False,
            uploadable=False,
        )
        task = SyncTask.objects.create(
            pk=_free(SyncTask, KNMI_TASK_ID),
            task_type=TaskType.DATA_SOURCE,
            data_source=source,
            trigger_kind=TriggerKind.SCHEDULE,
            schedule_hour=12,
            schedule_minute=0,
        )
        stations = DataConnection.objects.create(
            pk=_free(DataConnection, KNMI_STATIONS_DC),
            sync_task=task,
            feature_type=feature_type_ensure(alias="weather_station", kind=FeatureKind.SPATIAL),
            output_props=["id_src", "name", "alt"],
        )
        series = DataConnection.objects.create(
            pk=_free(DataConnection, KNMI_SERIES_DC),
            sync_task=task,
            feature_type=feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES),
            join_to=stations,
            join_prop="id_src",
            join_dtype="text",
            output_params=KNMI_PARAMS,
        )
        for dc in (series, stations):
            Subscription.objects.create(world=world, data_connection=dc, retention_time=SANDBOX_RETENTION)
        sync_task_schedule_apply(task=task)
        with connection.cursor() as cursor:
            # Explicit ids leave PostgreSQL's sequences behind; move them past the ids just used.
            for statement in connection.ops.sequence_reset_sql(no_style(), [SyncTask, DataConnection]):
                cursor.execute(statement)
    # The README's harvest example is the demo supplier's: a harvest needs the right to upload to the
    # source (its data is written as an upload's), and KNMI's organization is not the supplier's.
    UploadGrant.objects.get_or_create(data_source=source, user=supplier)
    return {"knmi_task": source.sync_task.pk}


def _calculation_and_scenario(organization: Organization, creator: User) -> dict:
    calculation = Calculation.objects.filter(name="Daily mean water level", organization=organization).first()
    if calculation is None:
        calculation = Calculation.objects.create(
            name="Daily mean water level",
            organization=organization,
            description="Daily mean of the measured water levels of Measurements export.",
        )
        task = SyncTask.objects.create(
            task_type=TaskType.CALCULATION, calculation=calculation, trigger_kind=TriggerKind.ON_INPUT_CHANGE
        )
        DataConnection.objects.create(
            sync_task=task,
            feature_type=feature_type_ensure(alias="timeseries", kind=FeatureKind.TIMESERIES),
            output_params=["parameter:waterlevel_daily_mean_m"],
        )
    scenario = Scenario.objects.filter(name="Heavy rain 2026", organization=organization).first()
    if scenario is None:
        analysis = Analysis.objects.create(
            name={"nl-NL": "Wateroverlast", "en-IE": "Flooding"},
            description={
                "nl-NL": "Waar staat het water na een bui?",
                "en-IE": "Where does the water go after a storm?",
            },
        )
        scenario = Scenario.objects.create(
            name="Heavy rain 2026", analysis=analysis, created_by=creator, organization=organization
        )
        SyncTask.objects.create(task_type=TaskType.SCENARIO, scenario=scenario, trigger_kind=TriggerKind.ON_DEMAND)
    return {"calculation_task": calculation.sync_task.pk, "scenario_task": scenario.sync_task.pk}


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
    world, _ = World.objects.get_or_create(alias="sandbox", defaults={"name": "Sandbox", "locale": "nl-NL"})
    supplier = User.objects.get(username="supplier")
    organization_y = Organization.objects.get(name="Organization Y")
    membership_ensure(user=supplier, organization=organization_y, role=Role.SCENARIO_ANALYST)
    UserPreference.objects.update_or_create(user=supplier, defaults={"default_world": world})
    tasks = {**_knmi(world, supplier), **_calculation_and_scenario(organization_y, supplier)}
    return {"data_sources": data_sources, "sync_tasks": tasks, "worlds": {"sandbox": world.pk}}
