"""pytest plugin (`-p nexus_server.pytest_plugin`): prepares var/ before pytest-django loads the settings."""

import pytest

from .embedded import prepare


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config, parser, args):
    # A wrapper runs before every plain implementation, pytest-django's settings setup included.
    prepare()
    return (yield)
