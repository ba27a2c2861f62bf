"""Every task name a sender or the beat schedule uses is a registered task, defined once by its app."""

from django.conf import settings

from harvest import task_names as harvest_names
from nexus_server.celery import app
from synctasks.services import SCHEDULED_HARVEST_TASK
from uploads import task_names as uploads_names


def _constants(module) -> set[str]:
    return {value for name, value in vars(module).items() if name.isupper() and isinstance(value, str)}


def _registered() -> set[str]:
    app.loader.import_default_modules()  # the apps' tasks modules, as the worker loads them
    return set(app.tasks)


def test_every_beat_entry_and_every_task_name_constant_is_a_registered_task():
    registered = _registered()
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    constants = _constants(harvest_names) | _constants(uploads_names)
    assert beat - registered == set()
    assert constants - registered == set()
    assert SCHEDULED_HARVEST_TASK in registered


def test_the_harvest_and_uploads_tasks_are_named_by_their_apps_constants():
    registered = _registered()
    assert {name for name in registered if name.startswith("harvest.")} == _constants(harvest_names)
    assert {name for name in registered if name.startswith("uploads.")} == _constants(uploads_names)
    # synctasks may not import harvest: its copy of the scheduled harvest's name is checked here.
    assert SCHEDULED_HARVEST_TASK == harvest_names.HARVEST_SCHEDULED
