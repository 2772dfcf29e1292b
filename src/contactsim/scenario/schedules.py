"""Schedules as planners write them, compiled into the plain shift pieces the engine staffs from.

A planner's shift has breaks and a lunch, may run past midnight, and not every scheduled agent is on the
phones: some are absent (sick leave, unplanned leave) and those present are not available all the time
(adherence). Here each shift becomes *pieces* of continuous on-duty time with the agents actually
available, so the service level reflects capacity, not headcount:

* a break ``{start, minutes}`` takes the shift's agents off duty for ``minutes`` (with ``spread_minutes``
  the agents are split into equal groups whose breaks start one break-length apart across that window,
  as planners stagger lunches); each agent finishes the contact in hand first, as at a shift's end;
* a shift whose ``end`` is not after its ``start`` runs overnight into the next day (Sunday into Monday);
* available agents = round(scheduled x (1 - ``absence``) x ``adherence``) per piece (pool fields).

Paid time stays the scheduled time: :func:`paid_per_duty` is the ratio of scheduled (paid) agent-hours to
available on-duty agent-hours of a week, which the cost gross-up multiplies in (on top of ``shrinkage``
for whatever else is not modelled).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contactsim.scenario.schema import Pool, Shift
from contactsim.scenario.timespec import DAY_S, parse_clock, parse_days


@dataclass(frozen=True)
class Piece:
    """Agents on duty without interruption: ``day`` 0 = Monday (7 = the next Monday), seconds from that day's
    midnight (``end_s`` beyond 86,400 for a piece that runs past midnight)."""

    day: int
    start_s: float
    end_s: float
    agents: int


def _span(sh: Shift) -> tuple[float, float]:
    """(start, end) seconds from the shift day's midnight; an end not after the start is the next day."""
    s, e = parse_clock(sh.start), parse_clock(sh.end)
    return (s, e + DAY_S) if e <= s else (s, e)


def _groups(sh: Shift) -> list[tuple[int, list[tuple[float, float]]]]:
    """(agents, off-duty spans from the shift day's midnight) per break group of a shift."""
    s, _e = _span(sh)
    breaks = list(getattr(sh, "breaks", None) or [])
    if not breaks:
        return [(sh.agents, [])]
    n_groups = max(max(1, math.floor((b.spread_minutes or 0) / b.minutes) + 1) for b in breaks)
    n_groups = min(n_groups, max(sh.agents, 1))
    base, extra = divmod(sh.agents, n_groups)
    out = []
    for g in range(n_groups):
        spans = []
        for b in breaks:
            k = max(1, math.floor((b.spread_minutes or 0) / b.minutes) + 1)
            start = parse_clock(b.start)
            start = start + DAY_S if start < s else start  # a break after midnight in an overnight shift
            start += (g % k) * b.minutes * 60.0
            spans.append((start, start + b.minutes * 60.0))
        out.append((base + (1 if g < extra else 0), sorted(spans)))
    return [(a, sp) for a, sp in out if a > 0]


def shift_pieces(sh: Shift, available: float = 1.0) -> list[Piece]:
    """The on-duty pieces of one shift on every day it runs, with the available share of its agents."""
    s, e = _span(sh)
    out = []
    for agents, offs in _groups(sh):
        n = round(agents * available)
        if n <= 0:
            continue
        t, pieces = s, []
        for a, b in offs:
            a, b = max(a, s), min(b, e)
            if a > t:
                pieces.append((t, a))
            t = max(t, b)
        if t < e:
            pieces.append((t, e))
        for d in parse_days(sh.days):
            for a, b in pieces:  # seconds from the shift day's midnight; an overnight piece ends after 24:00
                out.append(Piece(d + int(a // DAY_S), a % DAY_S, b - DAY_S * int(a // DAY_S), n))
    return out


def weekday_levels(pool: Pool) -> list[list[int]]:
    """A ``staffing`` level as seven per-day lists (Monday first), each one number or one per interval."""
    st = pool.staffing
    if isinstance(st, dict):
        days: list[list[int]] = [[0] for _ in range(7)]
        for key, v in st.items():
            for d in parse_days(key):
                days[d] = [v] if isinstance(v, int) else list(v)
        return days
    per_day = [st] if isinstance(st, int) else list(st or [0])
    return [per_day] * 7


def available_share(pool: Pool) -> float:
    """Share of scheduled agents actually available: (1 - absence) x adherence."""
    return (1.0 - float(getattr(pool, "absence", 0.0) or 0.0)) * float(getattr(pool, "adherence", 1.0) or 1.0)


def pool_pieces(pool: Pool) -> list[Piece]:
    """Every on-duty piece of a pool's shifts in one week (``day`` may be 7: the next Monday)."""
    share = available_share(pool)
    return [p for sh in (pool.shifts or []) for p in shift_pieces(sh, share)]


def paid_per_duty(pool: Pool) -> float:
    """Scheduled (paid) agent-hours per available on-duty agent-hour over a week (1 without breaks,
    absence or adherence losses): what turns on-duty time back into paid time."""
    if not pool.shifts:
        levels = [a for day in weekday_levels(pool) for a in day]
        available = sum(round(a * available_share(pool)) for a in levels)
        return sum(levels) / available if available > 0 else 1.0
    paid = sum((e - s) * sh.agents * len(parse_days(sh.days)) for sh in pool.shifts for s, e in [_span(sh)])
    duty = sum((p.end_s - p.start_s) * p.agents for p in pool_pieces(pool))
    return paid / duty if duty > 0 else 1.0
