"""HTTP endpoints of the Nexus Delta dialect (/v1/files, orgs, projects, ACLs), split by seam; only urls imports it."""
