"""Parsing of clock times, day ranges and opening hours into seconds of the week.

Kept apart from the schema so that the engine, the rules and the reports share one reading of
``"mon-fri": "08:00-20:00"``.
"""

from __future__ import annotations

import re

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_S = 86_400.0
WEEK_S = 7 * DAY_S
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def hour_of_day(t, start_weekday: int):
    """Hour of the day (0-23, floored, as a float or an array of them) at ``t`` seconds from the start of a run
    that starts at 00:00 of weekday ``start_weekday``: the one reading of ``patience_by_hour`` for first contacts
    (funnel) and follow-ups (``policies.omnichannel``). The weekday offset does not change the hour; it stays in
    the arithmetic so that every result stays bit for bit what it was."""
    return (t + start_weekday * DAY_S) % DAY_S // 3600


def parse_clock(text: str) -> float:
    """'08:30' -> 30600.0 seconds after midnight; '24:00' is allowed as an end time."""
    m = _CLOCK.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a clock time; write HH:MM, e.g. 08:30")
    h, mnt = int(m.group(1)), int(m.group(2))
    if mnt >= 60 or h > 24 or (h == 24 and mnt != 0):
        raise ValueError(f"'{text}' is not a valid clock time (00:00 to 24:00)")
    return h * 3600.0 + mnt * 60.0


def parse_days(text: str) -> list[int]:
    """'mon-fri' -> [0..4]; 'sat,sun' -> [5, 6]; 'mon-sun' or 'all' -> every day."""
    days: list[int] = []
    for part in str(text).lower().replace(" ", "").split(","):
        if part in ("all", "daily"):
            days.extend(range(7))
            continue
        if "-" in part:
            a, b = part.split("-", 1)
            if a not in WEEKDAYS or b not in WEEKDAYS:
                raise ValueError(f"'{text}' is not a day range; use e.g. mon-fri, sat or mon,wed")
            i, j = WEEKDAYS.index(a), WEEKDAYS.index(b)
            if j < i:
                raise ValueError(f"'{text}': a day range must run forward within the week (mon..sun)")
            days.extend(range(i, j + 1))
        elif part in WEEKDAYS:
            days.append(WEEKDAYS.index(part))
        else:
            raise ValueError(f"'{part}' is not a weekday; use mon, tue, wed, thu, fri, sat or sun")
    return sorted(set(days))


def parse_span(text: str) -> tuple[float, float]:
    """'08:00-20:00' -> (28800, 72000)."""
    parts = str(text).split("-")
    if len(parts) != 2:
        raise ValueError(f"'{text}' is not a time span; write HH:MM-HH:MM, e.g. 08:00-20:00")
    start, end = parse_clock(parts[0]), parse_clock(parts[1])
    if end <= start:
        raise ValueError(f"'{text}': the end must be after the start (overnight spans: split them in two)")
    return start, end


def opening_windows(spec: dict[str, str] | str) -> list[tuple[float, float]]:
    """Open windows as (start, end) seconds of the week, Monday 00:00 = 0, sorted and merged."""
    if spec == "24/7":
        return [(0.0, WEEK_S)]
    if not isinstance(spec, dict):
        raise ValueError("opening_hours must be '24/7' or a mapping like {mon-fri: '08:00-20:00'}")
    windows: list[tuple[float, float]] = []
    for days, spans in spec.items():
        for span in str(spans).split(","):
            s, e = parse_span(span.strip())
            for d in parse_days(days):
                windows.append((d * DAY_S + s, d * DAY_S + e))
    windows.sort()
    merged: list[tuple[float, float]] = []
    for s, e in windows:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
