"""The Climate Data Gateway dialect of datasets: its endpoints, answer bodies and access rules."""
