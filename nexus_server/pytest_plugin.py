"""pytest plugin (`-p nexus_server.pytest_plugin`): prepares var/ before pytest-django loads the settings."""

import os
import secrets

import pytest

from .embedded import is_embedded, prepare


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # A wrapper runs before every plain implementation, pytest-django's settings setup included.
    prepare()
    if not is_embedded():
        # On PostgreSQL the settings require SECRET_KEY; a test run is no deployment, so it gets a key
        # of its own, which the servers and workers it starts inherit through the environment.
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    return (yield)
