"""Fixtures of the uploads tests: a small catalog of sources the supplier may and may not upload to."""

import pytest

from tests.support.uploads import Catalog, catalog_create


@pytest.fixture
def catalog(db) -> Catalog:
    """The catalog of tests/support/uploads.py, with the supplier's token."""
    return catalog_create()
