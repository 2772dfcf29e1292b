"""Opening hours compiled once: per channel, its weekly open windows against the run's clock.

One table answers the funnel's vectorised questions (which channels are open at these times; when does this
one next open) and the engine's scalar ones for follow-up contacts and callbacks (when is it open at or after
t; when does the callback window containing t close), so the two can never disagree. Windows are [start,
end) seconds of the week, Monday 00:00 = 0, sorted and merged (``timespec.opening_windows``); run time 0 is
``offset_s`` seconds into the week (the horizon's start weekday).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from contactsim.scenario.timespec import WEEK_S


@dataclass(frozen=True)
class WeeklyWindows:
    windows: tuple[tuple[tuple[float, float], ...], ...]
    """[channel] sorted, merged (start, end) seconds of the week during which it is open."""
    offset_s: float
    """Seconds of the week at run time 0 (start weekday x 86400)."""

    @classmethod
    def of(cls, windows: list[list[tuple[float, float]]], start_weekday: int) -> WeeklyWindows:
        return cls(tuple(tuple(sorted(w)) for w in windows), start_weekday * 86400.0)

    def open_mask(self, t: np.ndarray) -> np.ndarray:
        """[n, channels]: is each channel open at each time (seconds from the start of the run)."""
        week_t = (t + self.offset_s) % WEEK_S
        out = np.zeros((t.size, len(self.windows)), dtype=bool)
        for k, windows in enumerate(self.windows):
            for s, e in windows:
                out[:, k] |= (week_t >= s) & (week_t < e)
        return out

    def next_open(self, k: int, t: np.ndarray) -> np.ndarray:
        """Vectorised: the earliest time at or after each t at which channel k is open (t itself when open)."""
        windows = self.windows[k]
        if not windows:
            return np.full(t.shape, np.inf)
        starts = np.array([s for s, _ in windows])
        ends = np.array([e for _, e in windows])
        wt = (t + self.offset_s) % WEEK_S
        base = t - wt
        idx = np.searchsorted(ends, wt, side="right")  # the first window ending after wt
        inside = idx < starts.size
        at = np.minimum(idx, starts.size - 1)
        is_open = inside & (wt >= starts[at])
        nxt = np.where(inside, starts[at], windows[0][0] + WEEK_S)
        return np.where(is_open, t, base + nxt)

    def open_at(self, k: int) -> Callable[[float], float]:
        """Scalar ``next_open`` for channel k (the engine's follow-ups): a closure, fast for one time."""
        windows = self.windows[k]
        offset = self.offset_s
        wrap = windows[0][0] + WEEK_S if windows else math.inf

        def open_at(t: float) -> float:
            wt = (t + offset) % WEEK_S
            base = t - wt
            for s, e in windows:
                if wt < e:
                    return t if wt >= s else base + s
            return base + wrap

        return open_at

    def close_at(self, k: int) -> Callable[[float], float]:
        """For an offer at t on channel k: the end of the window containing t (windows that touch across the end
        of the week count as one), -inf when t is outside every window, inf when always open."""
        windows = list(self.windows[k])
        offset = self.offset_s
        if windows == [(0.0, WEEK_S)]:
            return lambda t: math.inf

        def close_at(t: float) -> float:
            wt = (t + offset) % WEEK_S
            base = t - wt
            for s, e in windows:
                if s <= wt < e:
                    end = e
                    # a window running to the end of the week continues into Monday's first window
                    if end >= WEEK_S and windows[0][0] <= 0.0:
                        end = WEEK_S + windows[0][1]
                    return base + end
            return -math.inf

        return close_at
