"""Where an upload goes: the data source it names, directly or through a sync task, and whether the
caller may upload there (404, 403 or 400 before any byte is recorded)."""

from accounts.models import User
from core.errors import Forbidden, InvalidInput, NotFound
from synctasks.models import DataSource, SyncTask, TaskType
from synctasks.selectors import data_source_can_upload, data_source_visible_to


def upload_task_source(*, user: User, task_id: int, uploadable_first: bool = False) -> DataSource:
    """The data source a sync task's upload goes to: 404 unknown task, 400 not a data_source task."""
    task = SyncTask.objects.select_related("data_source__organization").filter(pk=task_id).first()
    if task is None:
        raise NotFound(f"Sync task {task_id} does not exist.")
    if task.task_type != TaskType.DATA_SOURCE:
        raise InvalidInput(f"Sync task {task_id} is a {task.task_type} task; only data_source tasks take uploads.")
    source = task.data_source
    if uploadable_first and not source.uploadable and data_source_visible_to(user=user, data_source=source):
        raise _not_uploadable(source)
    return source


def upload_source(*, data_source_id: int) -> DataSource:
    """The data source an upload names: 404 when there is none."""
    data_source = DataSource.objects.select_related("organization").filter(pk=data_source_id).first()
    if data_source is None:
        raise NotFound(f"Data source {data_source_id} does not exist.")
    return data_source


def _not_uploadable(data_source: DataSource) -> InvalidInput:
    return InvalidInput(f"Data source {data_source.pk} ('{data_source.name}') does not accept uploads.")


def upload_check_target(*, user: User, data_source: DataSource) -> None:
    """The user may upload to the data source and it takes uploads: 404 (not visible), 403, 400."""
    if not data_source_can_upload(user=user, data_source=data_source):
        if not data_source_visible_to(user=user, data_source=data_source):
            # A private source of another organization is not revealed, not even its name.
            raise NotFound(f"Data source {data_source.pk} does not exist.")
        raise Forbidden(f"You may not upload to data source {data_source.pk} ('{data_source.name}').")
    if not data_source.uploadable:
        raise _not_uploadable(data_source)
