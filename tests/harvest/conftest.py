"""Fixtures of the harvest tests (helpers: support/harvest.py)."""

import pytest

from harvest import appliers


@pytest.fixture
def small_chunks(monkeypatch):
    """Two points per chunk: a small file crosses several chunks."""
    monkeypatch.setattr(appliers.MeasurementStager, "CHUNK_POINTS", 2)
