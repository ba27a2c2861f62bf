"""The stored-data part of `seed_demo`: three days of one KNMI series in world `sandbox`, so that the
platform's events example answers as its documentation shows."""

from datetime import UTC, datetime

from django.core.management.color import no_style
from django.db import connection, transaction

from synctasks.demo import KNMI_NAME
from synctasks.models import DataConnection, FeatureKind

from .models import Measurement, Series

# The documentation's example: series 13, newest first 16.1, 17.1, 14.2.
EXAMPLE_SERIES_ID = 13
EXAMPLE = [(datetime(2025, 10, 19, tzinfo=UTC), 14.2), (datetime(2025, 10, 20, tzinfo=UTC), 17.1),
           (datetime(2025, 10, 21, tzinfo=UTC), 16.1)]  # fmt: skip


@transaction.atomic
def seed() -> dict:
    dc = DataConnection.objects.get(
        sync_task__data_source__name=KNMI_NAME, feature_type__kind=FeatureKind.TIMESERIES, join_to__isnull=False
    )
    series = Series.objects.filter(data_connection=dc, feature_key="260").first()
    if series is None:
        taken = Series.objects.filter(pk=EXAMPLE_SERIES_ID).exists()
        series = Series.objects.create(
            pk=None if taken else EXAMPLE_SERIES_ID,
            data_connection=dc,
            feature_key="260",  # De Bilt
            parameter="parameter:airtemp_max_deg_c",
            newest_time=EXAMPLE[-1][0],
        )
        Measurement.objects.bulk_create(Measurement(series=series, timestamp=t, value=v) for t, v in EXAMPLE)
        with connection.cursor() as cursor:
            # An explicit id leaves PostgreSQL's sequence behind; move it past the id just used.
            for statement in connection.ops.sequence_reset_sql(no_style(), [Series]):
                cursor.execute(statement)
    return {"series": {"knmi_de_bilt_airtemp_max": series.pk}}
