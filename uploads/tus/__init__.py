"""Resumable uploads over the tus 1.0 protocol at /api/v1/uploads/tus/: its headers, rules and endpoint."""
