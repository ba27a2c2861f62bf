"""Filename sanitising, exactly as the uploads seed warns."""

import pytest

from uploads.filenames import extension_of, same_format, sanitize_filename


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("evaporation#2020-1-1.tif", "evaporation2020-1-1.tif"),
        ("Dataset.csv", "Dataset.csv"),
        ("new measurements (2).csv", "newmeasurements2.csv"),
        ("métingen_ñ_2021.csv", "mtingen__2021.csv"),
        ("数据.csv", ".csv"),
        ("C:\\path\\to\\new\\dataset.csv", "dataset.csv"),
        ("../../etc/passwd", "passwd"),
        ("...", "upload"),
        (".", "upload"),
        ("", "upload"),
        ("###", "upload"),
        ("a" * 300 + ".csv", "a" * 251 + ".csv"),
        ("b" * 300, "b" * 255),
    ],
)
def test_sanitize_filename(given, kept):
    assert sanitize_filename(given) == kept


@pytest.mark.parametrize(
    ("name", "ext"),
    [("a.CSV", "csv"), ("a.tar.gz", "gz"), ("upload", ""), (".csv", "csv"), ("x.GeoJSON", "geojson")],
)
def test_extension_of(name, ext):
    assert extension_of(name) == ext


def test_same_format_knows_aliases_and_any():
    assert same_format("tiff", "tif") and same_format("json", "geojson") and same_format("geojson", "json")
    assert same_format("pdf", "*") and same_format("", "*")
    assert not same_format("json", "csv") and not same_format("", "csv")
