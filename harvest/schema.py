"""The OpenAPI description of stored data and harvests: a connection's events CSV, on-demand sync, the runs."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.dialects import NEXUS
from core.openapi import error_responses
from synctasks.schema import PAGE_PARAMETERS, TASK_ID, page_of

from .models import RunStatus


class HarvestRunSerializer(serializers.Serializer):
    """One harvest of a sync task's data source: queued, running, then successful or failed."""

    # As harvest.apis._run_body writes it; only the schema uses this class.

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RunStatus.choices)
    created = serializers.DateTimeField()
    started = serializers.DateTimeField(allow_null=True)
    finished = serializers.DateTimeField(allow_null=True)
    attempts = serializers.IntegerField(help_text="Deliveries that fetched the endpoint")
    bytes = serializers.IntegerField(help_text="Bytes fetched")
    report = serializers.DictField(help_text="What was asked of the endpoint, the ingest report, or why it failed")


class HarvestQueuedSerializer(serializers.Serializer):
    """The run just queued."""

    id = serializers.IntegerField(help_text="The run's id (see the runs)")
    # A new run is always queued; its later statuses are the runs' (HarvestRun).
    status = serializers.ChoiceField(choices=[(RunStatus.QUEUED.value, RunStatus.QUEUED.label)])


_DC_ID = OpenApiParameter("dc_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The data connection's id.")
_CSV = "timestamp,value\n2021-01-01T00:00Z,1.5\n2021-01-02T00:00Z,2.25\n"

EVENTS = extend_schema(
    operation_id="dataconnection_events",
    summary="One feature's timeseries of a data connection, as CSV.",
    description="`timestamp,value` lines, oldest first, timestamps in UTC. Public data sources' connections are "
    "readable without a token; the others by their organizations.",
    parameters=[
        _DC_ID,
        OpenApiParameter("feature", OpenApiTypes.STR, required=True, description="The feature's key (id_src)."),
        OpenApiParameter(
            "parameter", OpenApiTypes.STR, required=True, description="The parameter, e.g. `parameter:prec_mm_d`."
        ),
        OpenApiParameter("start", OpenApiTypes.DATETIME, description="From this time on (inclusive)."),
        OpenApiParameter("end", OpenApiTypes.DATETIME, description="Up to this time (inclusive)."),
    ],
    responses={
        # A file to download (`format: binary`), as client generators and Swagger UI treat a CSV body.
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.BINARY,
            description="UTF-8 CSV (`text/csv; charset=utf-8`), streamed; only its header when nothing is stored.",
            examples=[OpenApiExample("Two values", value=_CSV)],
        ),
        **error_responses(
            NEXUS,
            400,
            404,
            e400="`feature` or `parameter` missing, or `start`/`end` not a date-time (`{field: [messages]}`).",
            e404="No such data connection (or not one the caller may see).",
        ),
    },
)

SYNC = extend_schema(
    operation_id="sync_tasks_sync",
    summary="Queue an on-demand harvest of a data source task.",
    description="The run is queued and starts once the answer is sent; follow it in the runs.",
    parameters=[TASK_ID],
    request=None,
    responses={
        202: OpenApiResponse(HarvestQueuedSerializer, description="Queued."),
        **error_responses(
            NEXUS,
            400,
            403,
            404,
            e400="The task is not a data source task, or its data source has no endpoint to harvest.",
            e403="The caller may not upload to (and so not harvest) the task's data source.",
            e404="No such sync task (or not a visible one).",
        ),
    },
)

RUNS = extend_schema(
    operation_id="sync_tasks_runs",
    summary="A sync task's harvest runs, newest first, one page.",
    parameters=[TASK_ID, *PAGE_PARAMETERS],
    responses={
        200: page_of("PaginatedHarvestRunList", HarvestRunSerializer(many=True)),
        **error_responses(NEXUS, 404, e404="No such sync task (or not a visible one), or an invalid page."),
    },
)
