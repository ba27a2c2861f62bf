"""/v1/files/: Nexus Delta orgs, projects, storages, ACLs and files with revisions, tags and deprecation."""
