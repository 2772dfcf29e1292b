"""Opening hours: one compiled table (scenario/opening.py) answers the funnel's vectorised and the engine's scalar
questions, and they agree (issue 14: opening hours were computed two ways)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from contactsim.scenario.opening import WeeklyWindows
from contactsim.scenario.timespec import DAY_S, WEEK_S, opening_windows

SPECS = [
    {"mon-fri": "08:00-20:00", "sat": "09:00-17:00"},
    {"mon-sun": "00:00-24:00"},
    {"sun": "20:00-24:00", "mon": "00:00-02:00,09:00-10:30"},
    {"wed": "12:00-12:15"},
    "24/7",
]


@pytest.mark.parametrize("start_weekday", [0, 3, 6])
def test_vectorised_and_scalar_next_opening_agree(start_weekday: int) -> None:
    table = WeeklyWindows.of([opening_windows(s) for s in SPECS], start_weekday)
    rng = np.random.default_rng(3)
    edges = [s - start_weekday * DAY_S + w * WEEK_S for ws in table.windows for s_e in ws for s in s_e
             for w in (0, 1)]
    t = np.concatenate([rng.uniform(0, 3 * WEEK_S, 2000), np.array(edges), np.array(edges) - 1e-6])
    t = t[t >= 0]
    is_open = table.open_mask(t)
    for k in range(len(SPECS)):
        vec = table.next_open(k, t)
        scalar = np.array([table.open_at(k)(x) for x in t])
        assert np.array_equal(vec, scalar)
        assert np.array_equal(vec == t, is_open[:, k])  # open now <=> the next opening is now
        assert (vec >= t).all() and table.open_mask(vec)[:, k].all()


def test_an_always_closed_channel_never_opens_and_callbacks_follow_their_window() -> None:
    table = WeeklyWindows.of([[], opening_windows({"sun": "20:00-24:00", "mon": "00:00-02:00"})], 0)
    t = np.array([0.0, 5000.0])
    assert np.isinf(table.next_open(0, t)).all() and table.open_at(0)(10.0) == math.inf
    close = table.close_at(1)
    sunday_21h = 6 * DAY_S + 21 * 3600
    assert close(sunday_21h) == WEEK_S + 2 * 3600  # Sunday evening runs on into Monday's first window
    assert close(3 * DAY_S) == -math.inf
    assert WeeklyWindows.of([[(0.0, WEEK_S)]], 2).close_at(0)(123.0) == math.inf
