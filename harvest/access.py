"""Who may start a harvest: the sync task an on-demand sync names, if the caller may harvest it."""

from core.errors import Forbidden
from synctasks.models import SyncTask
from synctasks.selectors import data_source_can_upload, sync_task_get


def sync_task_harvestable(*, user, task_id: int) -> SyncTask:
    """The visible sync task (else NotFound); a data source's task only for a caller who may upload
    to that source (else Forbidden), as a harvest writes the source's data as an upload does."""
    task = sync_task_get(user=user, task_id=task_id)
    if task.data_source is not None and not data_source_can_upload(user=user, data_source=task.data_source):
        raise Forbidden(f"You may not harvest data source {task.data_source.pk} ('{task.data_source.name}').")
    return task
