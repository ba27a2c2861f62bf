"""The test suite; it mirrors the apps."""
