"""The OpenAPI description of the platform's newer catalog pages: /api/v1/sync_tasks/ and /api/v1/data_sources/."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers

from core.dialects import NEXUS
from core.openapi import error_responses

from .locales import PLATFORM_LOCALES
from .schema import DC_ID, SYNC_TASKS_LIST_SCHEMA

# The same list, parameters and page as /api/v1/sync_tasks_new/, under the path the platform's
# "Upload (new)" and "Sync tasks" pages use.
SYNC_TASKS_PLATFORM_LIST = extend_schema(
    **{
        **SYNC_TASKS_LIST_SCHEMA,
        "operation_id": "sync_tasks_platform_list",
        "summary": "The sync tasks, as /api/v1/sync_tasks_new/ lists them (the platform's current path).",
        "description": SYNC_TASKS_LIST_SCHEMA["description"]
        + " `?uploadable=true` lists the tasks that take uploads: their `id` is the one "
        "`POST /api/v1/sync_tasks/{id}/upload/` takes.",
    }
)


class DataSourceSerializer(serializers.Serializer):
    """A data source, as the platform's data sources page shows it (serializers.data_source_body writes it)."""

    name = serializers.CharField(help_text="Name of the data source")
    owner = serializers.CharField(help_text="Organization owning/maintaining the data source")
    description = serializers.CharField(help_text="Description of the data source, localized (?locale=)")
    private = serializers.BooleanField(help_text="Whether the data source is private (true) or public (false)")
    uploadable = serializers.BooleanField(help_text="Whether users can upload files to this data source")
    endpoint = serializers.CharField(help_text="Base URL that Nexus harvests from; empty if none")
    harvest_last_success = serializers.DateTimeField(
        allow_null=True, help_text="The last successful harvest, UTC ending in Z; null if none yet"
    )


_POSIX = ", ".join(name.replace("-", "_") for name in PLATFORM_LOCALES)

# `dc_id=6` against the demo data (seed_demo), as the platform's page shows it.
_EXAMPLE = [
    {
        "name": "Klimatologie - Daggegevens meteostations",
        "owner": "Koninklijk Nederlands Meteorologisch Instituut (KNMI)",
        "description": "Deze databron bevat dagelijkse meteorologische waarnemingen van de KNMI automatische "
        "weerstations (AWS) verspreid over Nederland.",
        "private": False,
        "uploadable": False,
        "endpoint": "https://www.daggegevens.knmi.nl",
        "harvest_last_success": "2026-02-03T12:01:54Z",
    }
]

DATA_SOURCES_LIST = extend_schema(
    operation_id="data_sources_list",
    summary="The data sources available to the caller's organizations.",
    description="A list (not paginated), by name. Without a token: the public data sources only, and no filter "
    "(`world` or `dc_id` without a token is a 403). With one: also the private data sources of the caller's "
    "organizations and those granted to the caller for upload.",
    parameters=[
        OpenApiParameter(
            "world",
            OpenApiTypes.STR,
            description="World alias: the data sources with a data connection subscribed in that world (an "
            "unknown one is a 400). Requires a token (403 without). The world's locale is then the default locale.",
        ),
        OpenApiParameter(
            "dc_id",
            DC_ID.type,
            style="form",
            explode=False,
            description=f"{DC_ID.description} The data sources with one of these connections (with `world`: one "
            "subscribed there). Requires a token (403 without).",
        ),
        OpenApiParameter(
            "locale",
            OpenApiTypes.STR,
            description=f"Locale of `description`: {_POSIX}, their `xx-YY` forms, and the locales "
            "`/api/v1/sync_tasks_new/` knows. Defaults to the `world`'s locale, else the user's world locale. An "
            "unknown locale is a 400.",
        ),
    ],
    responses={
        200: DataSourceSerializer(many=True),
        **error_responses(
            NEXUS,
            400,
            403,
            e400="A parameter is not valid: an unknown world or locale, a `dc_id` that is not a list of integers "
            "(`{field: [messages]}`).",
            e403="`world` or `dc_id` without a token.",
        ),
    },
    examples=[OpenApiExample("dc_id=6", value=_EXAMPLE, response_only=True, status_codes=["200"])],
)
