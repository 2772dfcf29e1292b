"""Staffing in time: a pool's shifts or per-interval levels as change points and as agent groups.

One reading of staffing for the validator (rules.py), the compiler and the engine's pools.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from contactsim.scenario.calendar_inputs import dated_staffing
from contactsim.scenario.schedules import available_share, pool_pieces
from contactsim.scenario.schema import Pool
from contactsim.scenario.timespec import DAY_S, WEEK_S, parse_days


def weekly_staffing(pool: Pool, interval_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Staffing as change points over one week from Monday 00:00: (times, agents)."""
    if pool.shifts is not None:
        deltas: dict[float, int] = {}
        for pc in pool_pieces(pool):  # breaks, overnight shifts, absence and adherence (schedules.py)
            t0 = (pc.day % 7) * DAY_S + pc.start_s
            t1 = t0 + pc.end_s - pc.start_s
            deltas[t0] = deltas.get(t0, 0) + pc.agents
            if t1 > WEEK_S:  # runs past Sunday midnight: on duty from the week's start until it ends
                deltas[0.0] = deltas.get(0.0, 0) + pc.agents
                t1 -= WEEK_S
            deltas[t1] = deltas.get(t1, 0) - pc.agents
        times = sorted(set(deltas) | {0.0})
        level, agents = 0, []
        for t in times:
            level += deltas.get(t, 0)
            agents.append(level)
        return np.array(times), np.array(agents, dtype=np.int64)
    per_day = [pool.staffing] if isinstance(pool.staffing, int) else list(pool.staffing or [0])
    share = available_share(pool)  # absence and adherence (schedules.py)
    if isinstance(pool.staffing, dict):  # per weekday; days not named have no agents
        days: list[list[int]] = [[0] for _ in range(7)]
        for key, v in pool.staffing.items():
            for d in parse_days(key):
                days[d] = [v] if isinstance(v, int) else list(v)
        if share < 1.0:
            days = [[round(a * share) for a in v] for v in days]
        times = np.concatenate([d * DAY_S + np.arange(len(v)) * (DAY_S / len(v)) for d, v in enumerate(days)])
        return times, np.concatenate([np.array(v, dtype=np.int64) for v in days])
    if share < 1.0:
        per_day = [round(a * share) for a in per_day]
    step = DAY_S / len(per_day)
    times = np.arange(7 * len(per_day)) * step
    return times, np.tile(np.array(per_day, dtype=np.int64), 7)


def staffing_timeline(pool: Pool, interval_s: float, start_weekday: int, end_s: float,
                      start_date: dt.date | None = None, name: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Change points from the run's start (which falls on ``start_weekday``) up to ``end_s``; the dates of a
    ``staffing_file`` (with ``start_date``) replace the weekly pattern on those days."""
    if pool.staffing_file is not None and start_date is not None:
        times, agents = staffing_timeline(pool, interval_s, start_weekday, end_s)
        return dated_staffing(pool.staffing_file, name, start_date, times, agents, end_s)
    wt, wa = weekly_staffing(pool, interval_s)
    offset = start_weekday * DAY_S
    weeks = int(np.ceil((end_s + offset) / WEEK_S)) + 1
    times = np.concatenate([wt + k * WEEK_S for k in range(weeks)]) - offset
    agents = np.tile(wa, weeks)
    keep = (times >= 0) & (times < end_s)
    # level at t=0 is the last change at or before the offset
    first_idx = np.searchsorted(wt + 0.0, offset % WEEK_S, side="right") - 1
    t0_agents = wa[first_idx] if first_idx >= 0 else wa[-1]
    times, agents = times[keep], agents[keep]
    if len(times) == 0 or times[0] > 0:
        times = np.concatenate([[0.0], times])
        agents = np.concatenate([[t0_agents], agents])
    # drop repeats that do not change the level
    changed = np.concatenate([[True], agents[1:] != agents[:-1]])
    return times[changed], agents[changed]


def staff_events(pool: Pool, interval_s: float, start_weekday: int, end_s: float,
                 start_date: dt.date | None = None, name: str = "") -> list[tuple[float, int, int]]:
    """Staffing as agents joining and leaving in groups, so the engine sends home exactly the agents whose
    shift ends. Shifts: one group per shift occurrence. A per-interval ``staffing`` level has no shifts: a rise
    is a new group, a drop ends the longest-serving groups first (first in, first out)."""
    events: list[tuple[float, int, int, int]] = []  # (time, leave 0 / join 1, group, n)
    if pool.shifts is not None:
        offset = start_weekday * DAY_S
        weeks = int(np.ceil((end_s + offset) / WEEK_S)) + 1
        group = 0
        pieces = pool_pieces(pool)  # breaks, overnight shifts, absence and adherence (schedules.py)
        for w in range(-1, weeks):  # from the week before: a Sunday night shift runs into Monday
            for pc in pieces:
                base = w * WEEK_S + pc.day * DAY_S - offset
                t0, t1 = base + pc.start_s, base + pc.end_s
                if pc.agents <= 0 or t1 <= 0 or t0 >= end_s or t1 <= t0:
                    continue
                events.append((max(t0, 0.0), 1, group, pc.agents))
                if t1 < end_s:
                    events.append((t1, 0, group, -pc.agents))
                group += 1
        events.sort()
        return [(t, g, n) for t, _, g, n in events]
    times, agents = staffing_timeline(pool, interval_s, start_weekday, end_s, start_date, name)
    groups: list[list[int]] = []  # [group, agents], oldest first
    out: list[tuple[float, int, int]] = []
    level, next_group = 0, 0
    for t, a in zip(times.tolist(), agents.tolist(), strict=True):
        if a > level:
            groups.append([next_group, a - level])
            out.append((t, next_group, a - level))
            next_group += 1
        drop = level - a
        while drop > 0:
            g = groups[0]
            m = min(g[1], drop)
            out.append((t, g[0], -m))
            g[1] -= m
            drop -= m
            if g[1] == 0:
                groups.pop(0)
        level = a
    return sorted(out, key=lambda e: (e[0], e[2] > 0))


def levels_of(events: list[tuple[float, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """On-duty level after each distinct change time of a list of staffing events (starts at 0)."""
    times: list[float] = [0.0]
    agents: list[int] = [0]
    for t, _, n in events:
        if t == times[-1]:
            agents[-1] += n
        else:
            times.append(t)
            agents.append(agents[-1] + n)
    t_a, a_a = np.array(times), np.array(agents, dtype=np.int64)
    changed = np.concatenate([[True], a_a[1:] != a_a[:-1]])
    return t_a[changed], a_a[changed]
