"""Benchmarks of the upload path, the ingest and the read API; never part of the test run."""
