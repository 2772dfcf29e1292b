"""Named random streams: the only place a numpy Generator is made.

A stream is keyed by (seed, replication, name), so adding a purpose or reordering code never shifts
another stream, and two scenarios run with the same seed see the same customers (common random
numbers). ``hash()`` is salted per process, so names are keyed with CRC32 instead.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """An independent generator for one purpose of one replication."""
    key = (int(replication), zlib.crc32(name.encode("utf-8")))
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=key))
