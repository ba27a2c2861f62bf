"""The sync tasks tests' route, the demo supplier's token and the keys of the answers, in order."""

from tests.support.accounts import DEMO_TOKEN

TOKEN = DEMO_TOKEN
URL = "/api/v1/sync_tasks_new/"
TASK_KEYS = [
    "id",
    "name",
    "owner",
    "task_type",
    "private",
    "uploadable",
    "trigger",
    "harvest_last_success",
    "data_source",
    "calculation",
    "scenario",
    "dataconnections",
]
ANONYMOUS_KEYS = ["id", "name", "owner", "task_type", "uploadable", "trigger", "data_source", "dataconnections"]
DC_KEYS = ["dc_id", "name", "feature_type", "join_to", "output_props", "output_params"]
WORLD_KEYS = [*DC_KEYS, "retention_time", "n_features", "oldest_time", "newest_time"]
