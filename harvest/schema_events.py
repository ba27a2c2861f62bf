"""The OpenAPI description of the platform's events read and of a data connection's series."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from core.dialects import NEXUS
from core.openapi import error_responses
from synctasks.schema import PAGE_PARAMETERS, page_of

from .events import SORTS, VIEWS


class SeriesSerializer(serializers.Serializer):
    """One stored series of a data connection: a feature and a parameter."""

    id = serializers.IntegerField(help_text="The series' id: the events read's `timeseries_id`")
    feature = serializers.CharField(help_text="The feature's key (id_src)")
    parameter = serializers.CharField()
    newest_time = serializers.DateTimeField(allow_null=True, help_text="Its newest stored timestamp")


_EVENTS_CSV = "timestamp,value\n2025-10-21 00:00:00+00,16.1\n2025-10-20 00:00:00+00,17.1\n2025-10-19 00:00:00+00,14.2\n"

PLATFORM_EVENTS = extend_schema(
    operation_id="events",
    summary="One timeseries' events as CSV, raw or reduced to each time bucket's lowest and highest.",
    description="`timestamp,value` lines (`2025-10-21 00:00:00+00`, UTC), streamed. The reduced view cuts "
    "`range` into buckets of `bucket_interval` from its start and returns, per bucket with events, the "
    "lowest and the highest event (once when they are one event). Series of public data sources are "
    "readable without a token; the others by their organizations.",
    parameters=[
        OpenApiParameter("world", OpenApiTypes.STR, required=True, description="The world's alias, e.g. `sandbox`."),
        OpenApiParameter(
            "timeseries_id",
            {"type": "integer", "minimum": 0},
            required=True,
            description="A series' id (`/api/v1/dataconnections/{dc_id}/series/` lists them).",
        ),
        OpenApiParameter("view", {"type": "string", "enum": list(VIEWS), "default": "raw"}),
        OpenApiParameter(
            "count", {"type": "integer", "minimum": 0, "default": 100000}, description="Events to return at most."
        ),
        OpenApiParameter(
            "startindex", {"type": "integer", "minimum": 0, "default": 0}, description="Events skipped first."
        ),
        OpenApiParameter("sortby", {"type": "string", "enum": list(SORTS), "default": "timestamp d"}),
        OpenApiParameter(
            "range",
            OpenApiTypes.STR,
            description="`<start>/<end>`, each an ISO 8601 instant or a duration from now (`-P3M/+P0M`); both "
            "ends included. Required by the reduced view.",
        ),
        OpenApiParameter(
            "bucket_interval",
            OpenApiTypes.STR,
            description="The reduced view's bucket, an ISO 8601 duration of weeks to seconds (`P1D`, `PT2H`).",
        ),
    ],
    responses={
        (200, "text/csv"): OpenApiResponse(
            OpenApiTypes.BINARY,
            description="UTF-8 CSV (`text/csv; charset=utf-8`); only its header when no event matches.",
            examples=[OpenApiExample("Three events, newest first", value=_EVENTS_CSV)],
        ),
        **error_responses(
            NEXUS,
            400,
            404,
            e400="A parameter missing or invalid (`{field: [message]}`).",
            e404="No such world, or no such series in it (or not one the caller may see).",
        ),
    },
)

DC_SERIES = extend_schema(
    operation_id="dataconnection_series",
    summary="A data connection's stored series, with their ids, one page.",
    parameters=[
        OpenApiParameter("dc_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The data connection's id."),
        *PAGE_PARAMETERS,
    ],
    responses={
        200: page_of("PaginatedSeriesList", SeriesSerializer(many=True)),
        **error_responses(NEXUS, 404, e404="No such data connection (or not one the caller may see), or no such page."),
    },
)
