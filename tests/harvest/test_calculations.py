"""Calculations run once per change of an input, with exact output values."""

from datetime import UTC, datetime

import pytest

from harvest.calculations import calculation_run
from harvest.models import Measurement
from synctasks.models import Calculation, DataConnection, FeatureKind, SyncTask, TaskType, TriggerKind
from synctasks.services import feature_type_ensure
from tests.support.harvest import upload_and_ingest

pytestmark = pytest.mark.django_db

DAY1 = (
    b"feature,parameter,timestamp,value\n"
    b"A,p,2021-01-01T00:00:00Z,1\nA,p,2021-01-01T12:00:00Z,2\nA,p,2021-01-02T06:00:00Z,10\n"
    b"B,p,2021-01-01T06:00:00Z,4\nA,other,2021-01-01T06:00:00Z,100\n"
)


def calculation_of(sources, function: str) -> Calculation:
    calculation = Calculation.objects.create(
        name=f"Daily {function}",
        organization=sources.timeseries.organization,
        function=function,
        input_connection=sources.dc(sources.timeseries, FeatureKind.TIMESERIES),
        input_parameter="p",
        output_parameter=f"p_{function}",
    )
    task = SyncTask.objects.create(
        task_type=TaskType.CALCULATION, calculation=calculation, trigger_kind=TriggerKind.ON_INPUT_CHANGE
    )
    DataConnection.objects.create(sync_task=task, feature_type=feature_type_ensure(alias="timeseries"))
    return calculation


def output(calculation) -> list[tuple]:
    return sorted(
        Measurement.objects.filter(series__data_connection__sync_task__calculation=calculation).values_list(
            "series__feature_key", "series__parameter", "timestamp", "value"
        )
    )


def _dispatches(callbacks) -> list:
    return [one for one in callbacks if not one.__qualname__.startswith(("upload_stored_on_commit", "_announce_end"))]


def test_several_changes_together_make_one_run_with_exact_values(sources, django_capture_on_commit_callbacks):
    mean, total = calculation_of(sources, "daily_mean"), calculation_of(sources, "daily_sum")
    with django_capture_on_commit_callbacks() as callbacks:
        upload_and_ingest(sources, sources.timeseries, "a.csv", DAY1)
    # The upload's ingest, then one run of each calculation (beside the upload's metric count).
    assert len(_dispatches(callbacks)) == 3
    with django_capture_on_commit_callbacks() as callbacks:
        upload_and_ingest(
            sources, sources.timeseries, "b.csv", b"feature,parameter,timestamp,value\nA,p,2021-01-02T07:00:00Z,20\n"
        )
    assert len(_dispatches(callbacks)) == 1  # the calculations are due already: no second run is queued

    day1, day2 = datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 1, 2, tzinfo=UTC)
    assert calculation_run(calculation_id=mean.pk) == {"rows_inserted": 3, "rows_updated": 0, "rows_unchanged": 0}
    assert output(mean) == [
        ("A", "p_daily_mean", day1, 1.5),
        ("A", "p_daily_mean", day2, 15.0),
        ("B", "p_daily_mean", day1, 4.0),
    ]
    calculation_run(calculation_id=total.pk)
    assert output(total) == [
        ("A", "p_daily_sum", day1, 3.0),
        ("A", "p_daily_sum", day2, 30.0),
        ("B", "p_daily_sum", day1, 4.0),
    ]
    # Once: the change has been computed; running again does nothing until the input changes.
    assert calculation_run(calculation_id=mean.pk) is None
    with django_capture_on_commit_callbacks() as callbacks:
        upload_and_ingest(
            sources, sources.timeseries, "c.csv", b"feature,parameter,timestamp,value\nB,p,2021-01-01T07:00:00Z,6\n"
        )
    assert len(_dispatches(callbacks)) == 3
    calculation_run(calculation_id=mean.pk)
    assert ("B", "p_daily_mean", day1, 5.0) in output(mean)


def test_a_failed_ingest_does_not_make_a_calculation_due(sources):
    mean = calculation_of(sources, "daily_mean")
    upload_and_ingest(sources, sources.timeseries, "bad.csv", b"feature,parameter,timestamp,value\nA,p,2021-01-01,x\n")
    assert Calculation.objects.get(pk=mean.pk).pending_since is None
