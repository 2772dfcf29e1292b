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


_MASK = (1 << 64) - 1


def keyed_uniforms(key: int, index: int, n: int, first: int = 1) -> list[float]:
    """``n`` uniforms in [0, 1) that belong to one need's ``index``-th follow-up contact (numbers ``first`` ..
    ``first + n - 1`` of it: each is computed on its own, so a rule can ask for the one deciding whether it
    fires before paying for the rest).

    A counter-based generator (SplitMix64 over the need's own 64-bit key): a follow-up gets the same
    numbers in every scenario run with the same seed, whatever happened to other customers before it,
    so common random numbers hold for retrials and repeats too (a shared engine stream would hand out
    its numbers in event order, which any policy change reshuffles).
    """
    out = []
    base = (key + index * 0x632BE59BD9B4E019) & _MASK
    for j in range(first, first + n):
        z = (base + j * 0x9E3779B97F4A7C15) & _MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        out.append(((z ^ (z >> 31)) >> 11) * 1.1102230246251565e-16)
    return out
