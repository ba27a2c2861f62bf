"""Organizations, memberships with roles, and API tokens stored as hashes."""
