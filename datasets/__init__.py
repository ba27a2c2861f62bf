"""Datasets with versions and files, shared by the Climate Data Gateway and Dataverse dialects."""
