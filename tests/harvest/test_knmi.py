"""KNMI daily station data in KNMI's own layout: stations replaced, variables appended, units converted."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from harvest.models import Feature, Measurement
from synctasks.models import DataConnection, FeatureKind
from tests.support.harvest import upload_and_ingest
from uploads.models import SyncStatus

pytestmark = pytest.mark.django_db

# A daily-data answer in KNMI's layout, Latin-1 encoded as KNMI writes it (the legend has a '°').
KNMI = (Path(__file__).parent / "data" / "knmi_daggegevens.txt").read_bytes().decode("latin-1")


def _values(dc):
    return {
        (m.series.feature_key, m.series.parameter, m.timestamp.date().isoformat()): m.value
        for m in Measurement.objects.filter(series__data_connection=dc).select_related("series")
    }


def test_knmi_file_stations_and_values(sources):
    upload = upload_and_ingest(sources, sources.knmi, "etmgeg.txt", KNMI.encode("latin-1"))
    assert upload.sync_status == SyncStatus.SUCCESSFUL, upload.report
    stations = sources.dc(sources.knmi, FeatureKind.SPATIAL)
    assert sorted(
        (f.key, f.geometry["coordinates"], f.properties["name"], f.properties["alt"])
        for f in Feature.objects.filter(data_connection=stations)
    ) == [
        ("249", [4.979, 52.644], "BERKHOUT", -2.4),
        ("260", [5.18, 52.1], "DE BILT", 1.9),
        ("280", [6.585, 53.125], "EELDE", 5.2),
    ]
    series = sources.dc(sources.knmi, FeatureKind.TIMESERIES)
    values = _values(series)
    assert values == {
        ("249", "wind_direction_deg", "2024-01-01"): 229.0,
        ("249", "wind_speed_mean_m_s", "2024-01-01"): 6.3,
        ("249", "wind_speed_max_hour_mean_m_s", "2024-01-01"): 12.0,
        ("249", "wind_speed_max_m_s", "2024-01-01"): 20.0,
        ("249", "airtemp_mean_deg_c", "2024-01-01"): 7.2,
        ("249", "airtemp_max_deg_c", "2024-01-01"): 10.1,
        ("249", "rad_in_s_j_cm2_d", "2024-01-01"): 183.0,
        ("249", "prec_mm_d", "2024-01-01"): 0.0,  # -1: less than 0.05 mm
        ("249", "hum_rel_pct", "2024-01-01"): 89.0,
        ("249", "etref_mm_d", "2024-01-01"): 0.3,
        ("249", "wind_direction_deg", "2024-01-02"): 212.0,
        ("249", "wind_speed_max_hour_mean_m_s", "2024-01-02"): 9.0,
        ("249", "wind_speed_max_m_s", "2024-01-02"): 15.0,
        ("249", "airtemp_mean_deg_c", "2024-01-02"): 6.5,
        ("249", "airtemp_max_deg_c", "2024-01-02"): 8.0,
        ("249", "prec_mm_d", "2024-01-02"): 5.4,
        ("249", "hum_rel_pct", "2024-01-02"): 92.0,
        ("249", "etref_mm_d", "2024-01-02"): 0.2,
        ("260", "wind_direction_deg", "2024-01-01"): 231.0,
        ("260", "wind_speed_mean_m_s", "2024-01-01"): 5.5,
        ("260", "wind_speed_max_hour_mean_m_s", "2024-01-01"): 10.0,
        ("260", "wind_speed_max_m_s", "2024-01-01"): 18.0,
        ("260", "airtemp_mean_deg_c", "2024-01-01"): -1.5,
        ("260", "airtemp_max_deg_c", "2024-01-01"): 0.4,
        ("260", "rad_in_s_j_cm2_d", "2024-01-01"): 200.0,
        ("260", "prec_mm_d", "2024-01-01"): 0.0,
        ("260", "hum_rel_pct", "2024-01-01"): 95.0,
        ("260", "etref_mm_d", "2024-01-01"): 0.1,
        ("280", "airtemp_mean_deg_c", "2024-01-01"): -3.2,
        ("280", "airtemp_max_deg_c", "2024-01-01"): -0.5,
        ("280", "rad_in_s_j_cm2_d", "2024-01-01"): 150.0,
        ("280", "prec_mm_d", "2024-01-01"): 1.2,
    }
    assert Measurement.objects.filter(series__data_connection=series).first().timestamp.tzinfo is not None
    assert upload.report["rows_inserted"] == 32
    assert upload.report["features_replaced"] == 3
    dc = DataConnection.objects.get(pk=series.pk)
    assert (dc.n_features, dc.oldest_time, dc.newest_time) == (
        3,
        datetime(2024, 1, 1, tzinfo=UTC),
        datetime(2024, 1, 2, tzinfo=UTC),
    )


def test_knmi_overlap_and_failure(sources):
    upload_and_ingest(sources, sources.knmi, "etmgeg.txt", KNMI.encode("latin-1"))
    series = sources.dc(sources.knmi, FeatureKind.TIMESERIES)
    header = KNMI.split("#\n  249,")[0] + "#\n"
    second = header + "  249,20240102,  212,   40,   90,  150,   65,   80,     ,   54,   92,    2\n"
    assert upload_and_ingest(sources, sources.knmi, "d.txt", second.encode()).sync_status == SyncStatus.SUCCESSFUL
    values = _values(series)
    assert values[("249", "wind_speed_mean_m_s", "2024-01-02")] == 4.0
    assert values[("249", "airtemp_mean_deg_c", "2024-01-01")] == 7.2
    before = _values(series)
    bad = header + "  249,20240103,  212,   4x,   90,  150,   65,   80,     ,   54,   92,    2\n"
    failed = upload_and_ingest(sources, sources.knmi, "e.txt", bad.encode())
    assert failed.sync_status == SyncStatus.FAILED
    assert failed.report["errors"] == ["line 24, column 'FG': '4x' is not a whole number"]
    assert _values(series) == before
