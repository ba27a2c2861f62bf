"""Bytes the tests send: a deterministic pattern of any size, and the KNMI daily-data sample."""

import hashlib
from pathlib import Path

KNMI = (Path(__file__).resolve().parent.parent / "harvest" / "data" / "knmi_daggegevens.txt").read_bytes()


def pattern(size: int, seed: int = 7) -> bytes:
    """Deterministic, non-repeating-looking bytes of the given size."""
    block = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB
    return (block * (size // len(block) + 1))[:size]
