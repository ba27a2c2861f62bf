"""Calculations: a registry of functions over stored timeseries, run once per change of an input."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, time, timedelta

from django.db import transaction
from django.db.models import Avg, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from core.dispatch import dispatch, dispatch_on_commit
from synctasks.models import Calculation, DataConnection, DataSource, FeatureKind, TriggerKind

from .appliers import measurement_stager
from .models import Measurement
from .parsers.timeseries import Point
from .task_names import HARVEST_CALCULATE


def _daily(aggregate) -> Callable:
    def run(calculation: Calculation) -> Iterator[Point]:
        rows = (
            Measurement.objects.filter(
                series__data_connection=calculation.input_connection, series__parameter=calculation.input_parameter
            )
            .annotate(day=TruncDate("timestamp", tzinfo=UTC))
            .values("series__feature_key", "day")
            .annotate(result=aggregate("value"))
            .order_by("series__feature_key", "day")
        )
        for line, row in enumerate(rows.iterator(chunk_size=5000), start=1):
            when = datetime.combine(row["day"], time(0), tzinfo=UTC)
            yield Point(line, row["series__feature_key"], calculation.output_parameter, when, float(row["result"]))

    return run


# The calculation functions, by the name a Calculation's `function` holds.
REGISTRY: dict[str, Callable[[Calculation], Iterator[Point]]] = {
    "daily_mean": _daily(Avg),
    "daily_sum": _daily(Sum),
}


def calculations_mark_changed(*, data_source: DataSource) -> list[int]:
    """After an ingest of the source (inside its transaction): its "on input change" calculations
    become due, and each is queued once, when that transaction commits. A calculation already due
    is not queued again: several changes arriving together make one run."""
    due = Calculation.objects.filter(
        input_connection__sync_task__data_source=data_source,
        sync_task__trigger_kind=TriggerKind.ON_INPUT_CHANGE,
        pending_since__isnull=True,
    )
    ids = list(due.values_list("pk", flat=True))
    if ids:
        Calculation.objects.filter(pk__in=ids, pending_since__isnull=True).update(pending_since=timezone.now())
        for calculation_id in ids:
            # A publish that fails (the broker is down) leaves the calculation due: the stalled
            # requeue (calculation_requeue_stalled) sends it once the broker is back.
            dispatch_on_commit(HARVEST_CALCULATE, args=[calculation_id], what=f"calculation {calculation_id}")
    return ids


def calculation_requeue_stalled(*, older_than_seconds: int = 600) -> int:
    """Queues again the calculations due for that long (their message was lost, or could not be
    published while the broker was down); returns how many it queued. Harmless for one still
    queued: a run finds the calculation no longer due and does nothing."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stalled = Calculation.objects.filter(pending_since__lt=cutoff).order_by("pk").values_list("pk", flat=True)
    return sum(dispatch(HARVEST_CALCULATE, args=[c], what=f"calculation {c}", again=True) for c in stalled)


def calculation_run(*, calculation_id: int) -> dict | None:
    """Runs a due calculation: its output parameter is recomputed from the input and upserted into
    the calculation's timeseries connection. Not due (already run for this change): nothing."""
    with transaction.atomic():
        calculation = Calculation.objects.select_for_update().filter(pk=calculation_id).first()
        if calculation is None or calculation.pending_since is None:
            return None
        Calculation.objects.filter(pk=calculation_id).update(pending_since=None)
        output = DataConnection.objects.filter(
            sync_task__calculation=calculation, feature_type__kind=FeatureKind.TIMESERIES
        ).first()
        function = REGISTRY.get(calculation.function)
        if output is None or function is None or calculation.input_connection_id is None:
            return {"errors": [f"Calculation {calculation.pk} lacks a function, an input or an output connection."]}
        stager = measurement_stager(output)
        # Read before writing: on PostgreSQL the stager's COPY holds the connection, so the query
        # cannot stream beside it. A daily aggregate has one row per feature and day.
        stager.add(list(function(calculation)))
        return stager.finish()
