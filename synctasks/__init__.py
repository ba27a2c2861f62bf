"""/api/v1/sync_tasks_new/: sync tasks, data sources, calculations, scenarios, data connections and worlds."""
