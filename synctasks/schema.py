"""The OpenAPI description of the sync tasks seed: the bodies, the list's filters and pages, scenario changes."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers

from accounts.schema import BY_DIALECT
from core.dialects import NEXUS
from core.input_guard import INT_MAX
from core.openapi import error_responses
from core.pagination import PageSizePagination

from .models import TaskType
from .serializers import ScenarioRename

# --- Bodies: only the schema uses these classes; sync_task_body writes the same keys ----------------------


class JoinToSerializer(serializers.Serializer):
    feature_type = serializers.CharField(allow_null=True)
    prop = serializers.CharField(allow_null=True)
    dc_id = serializers.IntegerField(allow_null=True)
    dtype = serializers.CharField(allow_null=True)


class DataConnectionSerializer(serializers.Serializer):
    dc_id = serializers.IntegerField(help_text="Unique ID of the data connection")
    name = serializers.CharField(allow_null=True, help_text="Table name of the data connection")
    feature_type = serializers.CharField(help_text="Feature type alias, e.g. timeseries, road")
    join_to = JoinToSerializer(help_text="The parent data connection this one joins to; all null for a root one.")
    output_props = serializers.ListField(child=serializers.CharField(), help_text="Property aliases output")
    output_params = serializers.ListField(
        child=serializers.CharField(), help_text="Property-choice combinations, e.g. category:motorway"
    )
    # Only with ?world= (the list): the world's subscription of the connection.
    retention_time = serializers.IntegerField(
        required=False, allow_null=True, help_text="Seconds of history kept (with ?world= only)"
    )
    n_features = serializers.IntegerField(required=False, help_text="Features in the subscription (with ?world= only)")
    oldest_time = serializers.DateTimeField(required=False, allow_null=True, help_text="With ?world= only")
    newest_time = serializers.DateTimeField(required=False, allow_null=True, help_text="With ?world= only")


def _string(description: str = "") -> dict:
    return {"type": "string", "description": description} if description else {"type": "string"}


def _object(description: str, properties: dict, *, nullable: bool) -> dict:
    schema = {"type": "object", "description": description, "properties": properties, "required": list(properties)}
    return {**schema, "nullable": True} if nullable else schema


def nullable_object(description: str, properties: dict, **kwargs) -> serializers.Field:
    """A nested object that may be null, described inline: OAS 3.0.3 reads `nullable` only beside a `type`,
    so a `$ref` (drf-spectacular's `allOf` + `nullable` for a nested serializer) would refuse the null."""
    field_class = extend_schema_field(_object(description, properties, nullable=True))(
        type("NullableObjectField", (serializers.JSONField,), {})
    )
    return field_class(**kwargs)


_DATA_SOURCE = {
    "description": _string("Localized description of the data source (?locale=)"),
    "endpoint": _string("Base URL Nexus harvests from; empty if none"),
    "ext": _string("Expected file extension, e.g. csv, geojson"),
}
_CALCULATION = {
    "id": {"type": "integer"},
    "name": _string(),
    "description": _string(),
    "owner": _string("Organization owning the calculation"),
}
_SCENARIO = {
    "analysis": _object(
        "The analysis' name and description, localized via ?locale=",
        {"name": _string(), "description": _string()},
        nullable=False,
    ),
    "user_name": _string("Full name of the user who created the scenario"),
}


class SyncTaskSerializer(serializers.Serializer):
    """A sync task. `private`, `harvest_last_success`, `calculation` and `scenario` are shown to callers
    with a token only."""

    id = serializers.IntegerField()
    name = serializers.CharField(allow_null=True, help_text="Name of the data source, calculation or scenario")
    owner = serializers.CharField(allow_null=True, help_text="Organization owning it")
    task_type = serializers.ChoiceField(choices=TaskType.choices)
    private = serializers.BooleanField(required=False, help_text="With a token only")
    uploadable = serializers.BooleanField(help_text="Whether users can upload files to this data source")
    trigger = serializers.CharField(help_text="e.g. `Every day at 12:00 UTC`, `On demand`, `On input change`")
    harvest_last_success = serializers.DateTimeField(allow_null=True, required=False, help_text="With a token only")
    data_source = nullable_object("The data source (data_source tasks), else null", _DATA_SOURCE)
    calculation = nullable_object(
        "The calculation (calculation tasks), else null. With a token only", _CALCULATION, required=False
    )
    scenario = nullable_object("The scenario (scenario tasks), else null. With a token only", _SCENARIO, required=False)
    dataconnections = DataConnectionSerializer(many=True)


def page_of(name: str, item) -> serializers.Serializer:
    """The Nexus page (core.pagination.PageSizePagination) of `item` bodies."""
    return inline_serializer(
        name=name,
        fields={
            "count": serializers.IntegerField(help_text="Items over all pages"),
            "next": serializers.URLField(allow_null=True, help_text="The next page's URL"),
            "previous": serializers.URLField(allow_null=True, help_text="The previous page's URL"),
            "results": item,
        },
    )


@extend_schema_serializer(component_name="ScenarioRename")
class ScenarioRenameBody(ScenarioRename):
    """The scenario's new name."""

    # ScenarioRename as the view reads it: whole, `name` required, although the method is PATCH (the
    # generator would describe a PATCH body as partial).

    @property
    def partial(self) -> bool:
        return False

    @partial.setter
    def partial(self, value) -> None:
        pass


# --- Parameters -------------------------------------------------------------------------------------------
PAGE_PARAMETERS = [
    OpenApiParameter(
        "page",
        {"type": "integer", "minimum": 1, "default": 1},
        description="Page number; one past the last, or not a number, is a 404.",
    ),
    OpenApiParameter(
        "page_size",
        {
            "type": "integer",
            "default": PageSizePagination.page_size,
            "maximum": PageSizePagination.max_page_size,
        },
        description=f"Results per page (default {PageSizePagination.page_size}, at most "
        f"{PageSizePagination.max_page_size}: a larger one is capped; 0 or less is the default).",
    ),
]
TASK_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The sync task's id.")
_LOCALE = OpenApiParameter(
    "locale",
    OpenApiTypes.STR,
    description="Locale for descriptions, e.g. `nl-NL` or `en-IE` (`en_ie` and a bare `nl` are read too). "
    "Defaults to the user's world locale. An unknown locale is a 400.",
)
DC_ID = OpenApiParameter(
    "dc_id",
    # Bounded as the view parses them (core.input_guard.parse_int: the database's bigint).
    {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": INT_MAX}},
    style="form",
    explode=False,
    description="Comma-separated list of data connection IDs, e.g. `dc_id=6,57`.",
)
_LIST_PARAMETERS = [
    DC_ID,
    OpenApiParameter(
        "feature_type",
        OpenApiTypes.STR,
        description="Case-insensitive partial match on feature type alias; also narrows the dataconnections in "
        "the response.",
    ),
    _LOCALE,
    OpenApiParameter(
        "private",
        OpenApiTypes.BOOL,
        description="Filter by privacy. Requires a token (401 without). Only data source tasks match.",
    ),
    OpenApiParameter(
        "search",
        OpenApiTypes.STR,
        description="Case-insensitive search across datasource name, calculation name and datasource description. "
        "Requires `locale` (400 without).",
    ),
    OpenApiParameter(
        "task_type",
        OpenApiTypes.STR,
        enum=TaskType.values,
        description="Filter by task type. Requires a token (401 without).",
    ),
    OpenApiParameter(
        "uploadable", OpenApiTypes.BOOL, description="Filter by whether a datasource accepts file uploads."
    ),
    OpenApiParameter(
        "world",
        OpenApiTypes.STR,
        description="Filter by world alias (an unknown one is a 400). Also enriches each data connection with "
        "subscription data (retention_time, n_features, oldest_time, newest_time).",
    ),
    *PAGE_PARAMETERS,
]

# PATCH and DELETE need a token although the view lets anonymous GETs through: no anonymous alternative.
TOKEN_REQUIRED = [{name: []} for name in BY_DIALECT[NEXUS]]
_ONLY_SCENARIOS = "The task is not a scenario: only scenarios are renamed or deleted."
_NOT_YOURS = "Only the scenario's creator or a scenario analyst of the creator's organization may change it."

# The seed's example: `?world=sandbox&feature_type=timeseries` with a token.
_SEED_PAGE = {
    "count": 1,
    "next": None,
    "previous": None,
    "results": [
        {
            "id": 7,
            "name": "Klimatologie - Daggegevens meteostations",
            "owner": "Koninklijk Nederlands Meteorologisch Instituut (KNMI)",
            "task_type": "data_source",
            "private": False,
            "uploadable": False,
            "trigger": "Every day at 12:00 UTC",
            "harvest_last_success": "2026-03-09T12:00:34Z",
            "data_source": {
                "description": "Deze databron bevat dagelijkse meteorologische waarnemingen van de KNMI automatische "
                "weerstations (AWS) verspreid over Nederland.",
                "endpoint": "https://www.daggegevens.knmi.nl",
                "ext": "txt",
            },
            "calculation": None,
            "scenario": None,
            "dataconnections": [
                {
                    "dc_id": 6,
                    "name": None,
                    "feature_type": "timeseries",
                    "join_to": {"feature_type": "weather_station", "prop": "id_src", "dc_id": 18, "dtype": "text"},
                    "output_props": [],
                    "output_params": ["parameter:airtemp_max_deg_c", "parameter:prec_mm_d"],
                    "retention_time": 189216000,
                    "n_features": 98,
                    "oldest_time": "2020-03-11T00:00:00Z",
                    "newest_time": "2026-03-07T00:00:00Z",
                }
            ],
        }
    ],
}

# As a dict too: /api/v1/sync_tasks/ (schema_platform.py) documents the same list under its own id.
SYNC_TASKS_LIST_SCHEMA = dict(
    operation_id="sync_tasks_list",
    summary="The sync tasks, filtered, with their data connections, one page.",
    description="Without a token: public data source tasks, without the token-only fields. With one: also the "
    "private data sources, calculations and scenarios of the caller's organizations.",
    parameters=_LIST_PARAMETERS,
    responses={
        200: page_of("PaginatedSyncTaskList", SyncTaskSerializer(many=True)),
        **error_responses(
            NEXUS,
            400,
            401,
            404,
            e400="A parameter is not valid: an unknown world or locale, `search` without `locale`, a `dc_id` "
            "that is not a list of integers, a `task_type` or boolean out of its values (`{field: [messages]}`).",
            e401="`private` or `task_type` without a token, or a token that is unknown, revoked or expired.",
            e404="An invalid page (`Invalid page.`).",
        ),
    },
    examples=[OpenApiExample("The seed's example", value=_SEED_PAGE, response_only=True, status_codes=["200"])],
)
SYNC_TASKS_LIST = extend_schema(**SYNC_TASKS_LIST_SCHEMA)

SYNC_TASKS_RETRIEVE = extend_schema(
    operation_id="sync_tasks_retrieve",
    summary="One sync task.",
    parameters=[TASK_ID, _LOCALE],
    responses={
        200: SyncTaskSerializer,
        **error_responses(NEXUS, 400, 404, e400="An unknown locale.", e404="No such sync task (or not a visible one)."),
    },
)

SYNC_TASKS_RENAME = extend_schema(
    operation_id="sync_tasks_rename",
    summary="Rename a scenario.",
    parameters=[TASK_ID],
    auth=TOKEN_REQUIRED,
    request=ScenarioRenameBody,
    responses={
        200: OpenApiResponse(SyncTaskSerializer, description="The renamed scenario's task."),
        **error_responses(
            NEXUS,
            400,
            401,
            403,
            404,
            405,
            413,
            415,
            e400="No `name`, a `name` over 300 characters, or a body that does not parse.",
            e401="No token, or one that is unknown, revoked or expired.",
            e403=_NOT_YOURS,
            e404="No such sync task (or not a visible one).",
            e405=_ONLY_SCENARIOS,
            e413="The body is over the request size limit.",
            e415="The body is not JSON, a urlencoded form or multipart/form-data.",
        ),
    },
)

SYNC_TASKS_DELETE = extend_schema(
    operation_id="sync_tasks_delete",
    summary="Delete a scenario (and its task).",
    parameters=[TASK_ID],
    auth=TOKEN_REQUIRED,
    responses={
        204: OpenApiResponse(None, description="Deleted."),
        **error_responses(
            NEXUS,
            401,
            403,
            404,
            405,
            e401="No token, or one that is unknown, revoked or expired.",
            e403=_NOT_YOURS,
            e404="No such sync task (or not a visible one).",
            e405=_ONLY_SCENARIOS,
        ),
    },
)
