"""Helpers the tests share: plain functions and classes, imported by test modules and conftests (no fixtures)."""
