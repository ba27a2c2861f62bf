"""The sync tasks seed's query parameters and response bodies, key for key."""

from rest_framework import serializers

from core.errors import InvalidInput
from core.formats import utc_z
from core.input_guard import parse_int

from .locales import locale_text
from .models import SyncTask, TaskType


class CommaIntegers(serializers.CharField):
    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            # Bounded like the ids they are compared with (an int beyond 64 bits overflows SQLite's driver).
            return [parse_int(part.strip(), name="dc_id", minimum=1) for part in text.split(",") if part.strip()]
        except InvalidInput:
            raise serializers.ValidationError("A comma-separated list of integers is required.") from None


class LocaleField(serializers.CharField):
    """A locale the server knows, in its known spelling. Which locales it knows is the catalog's to
    say: the view hands in its check as `context["locale_check"]` (selectors.locale_check), as a
    serializer reads no rows; the error stays a field error among the query's others."""

    def to_internal_value(self, data):
        check = self.context["locale_check"]
        try:
            return check(super().to_internal_value(data))
        except InvalidInput as error:
            raise serializers.ValidationError(error.message) from None


class SyncTaskQuery(serializers.Serializer):
    dc_id = CommaIntegers(required=False)
    feature_type = serializers.CharField(required=False)
    locale = LocaleField(required=False)
    private = serializers.BooleanField(required=False, allow_null=True, default=None)
    search = serializers.CharField(required=False)
    task_type = serializers.ChoiceField(choices=TaskType.values, required=False)
    uploadable = serializers.BooleanField(required=False, allow_null=True, default=None)
    world = serializers.CharField(required=False)

    def validate(self, attrs):
        if attrs.get("search") and not attrs.get("locale"):
            raise serializers.ValidationError({"locale": ["Required when using search."]})
        return attrs


class LocaleQuery(serializers.Serializer):
    locale = LocaleField(required=False)


class DataSourceQuery(serializers.Serializer):
    """The data source list's parameters (the platform's data sources page)."""

    dc_id = CommaIntegers(required=False)
    locale = LocaleField(required=False)
    world = serializers.CharField(required=False)


class ScenarioRename(serializers.Serializer):
    name = serializers.CharField(max_length=300)


def _connection(dc, *, enriched: bool) -> dict:
    parent = dc.join_to
    body = {
        "dc_id": dc.pk,
        "name": dc.name,
        "feature_type": dc.feature_type.alias,
        "join_to": {
            "feature_type": parent.feature_type.alias if parent else None,
            "prop": dc.join_prop if parent else None,
            "dc_id": parent.pk if parent else None,
            "dtype": dc.join_dtype if parent else None,
        },
        "output_props": dc.output_props,
        "output_params": dc.output_params,
    }
    if enriched:
        body.update(
            retention_time=dc.retention_time,
            n_features=dc.n_features,
            oldest_time=utc_z(dc.oldest_time),
            newest_time=utc_z(dc.newest_time),
        )
    return body


# Fields a caller without a token does not see.
TOKEN_ONLY_FIELDS = ("private", "harvest_last_success", "calculation", "scenario")


def sync_task_body(task: SyncTask, *, locale: str, enriched: bool, full: bool) -> dict:
    source, calculation, scenario = task.data_source, task.calculation, task.scenario
    owner = source or calculation or scenario
    name = owner.name if owner else None
    body = {
        "id": task.pk,
        "name": name,
        "owner": owner.organization.name if owner else None,
        "task_type": task.task_type,
        "private": source.private if source else True,
        "uploadable": bool(source and source.uploadable),
        "trigger": task.trigger,
        "harvest_last_success": utc_z(task.harvest_last_success),
        "data_source": {
            "description": locale_text(source.description, locale),
            "endpoint": source.endpoint,
            "ext": source.ext,
        }
        if source
        else None,
        "calculation": {
            "id": calculation.pk,
            "name": calculation.name,
            "description": calculation.description,
            "owner": calculation.organization.name,
        }
        if calculation
        else None,
        "scenario": {
            "analysis": {
                "name": locale_text(scenario.analysis.name, locale),
                "description": locale_text(scenario.analysis.description, locale),
            },
            "user_name": scenario.created_by.display_name,
        }
        if scenario
        else None,
        "dataconnections": [_connection(dc, enriched=enriched) for dc in task.listed_connections],
    }
    if not full:
        for field in TOKEN_ONLY_FIELDS:
            del body[field]
    return body


def data_source_body(row: dict, *, locale: str) -> dict:
    """The platform's fields of one data source, from a row of selectors.DATA_SOURCE_ROW_FIELDS."""
    return {
        "name": row["name"],
        "owner": row["organization__name"],
        "description": locale_text(row["description"], locale),
        "private": row["private"],
        "uploadable": row["uploadable"],
        "endpoint": row["endpoint"],
        "harvest_last_success": utc_z(row["sync_task__harvest_last_success"]),
    }
