"""A scenario with known parameters for round trips: simulate it, export the contacts, calibrate."""

from __future__ import annotations

import numpy as np

from contactsim.scenario.load import parse_scenario

PER_DAY = 48
OPEN, CLOSE = 16, 40  # 08:00-20:00


def weekday_profile(shift: float = 0.0) -> list[float]:
    x = np.zeros(PER_DAY)
    k = np.arange(OPEN, CLOSE)
    x[OPEN:CLOSE] = 1.0 + 0.6 * np.sin((k - OPEN + 0.5) / (CLOSE - OPEN) * np.pi + shift)
    x /= x.sum()
    q = np.round(x, 6)
    q[np.argmax(q)] += 1 - q.sum()
    return [float(v) for v in q]


TRUTH = {
    "volume_per_day": 1400.0,
    "weekly": [0.19, 0.17, 0.16, 0.16, 0.17, 0.15, 0.0],
    "handle_mean": 240.0, "handle_cv": 0.8,
    "patience_mean": 180.0,
    "day_cv": 0.15, "persistence": 0.6, "interval_cv": 0.15,
}


def truth_scenario(days: int = 56, seed: int = 3, day_cv: float = TRUTH["day_cv"],
                   persistence: float = TRUTH["persistence"], interval_cv: float = TRUTH["interval_cv"]):
    """One phone queue, weekdays and Saturday with their own profiles, Sunday closed, staffed to ~85%."""
    mon = weekday_profile()
    sat = weekday_profile(0.8)
    vol = TRUTH["volume_per_day"]
    weekly = TRUTH["weekly"]

    def staff(profile: list[float], share: float) -> list[int]:
        lam = vol * 7 * share * np.array(profile) / 1800.0
        load = lam * TRUTH["handle_mean"]
        return [int(np.ceil(a / 0.88)) if a > 0 else 0 for a in load]

    data = {
        "name": "truth", "run": {"seed": seed, "replications": 1},
        "horizon": {"days": days, "start_weekday": "mon", "interval_minutes": 30, "drain_hours": 2},
        "arrivals": {"intraday": mon, "weekly": weekly, "intraday_by_weekday": {"sat": sat},
                     "overdispersion_cv": day_cv, "day_persistence": persistence,
                     "interval_overdispersion_cv": interval_cv},
        "channels": {"phone": {"kind": "phone"}},
        "segments": {"customers": {"share": 1.0, "channel_preference": {"phone": 1.0},
                                   "patience": {"phone": {"dist": "exponential", "mean": TRUTH["patience_mean"]}}}},
        "reasons": {"general": {"volume_per_day": vol, "handle_time": {
            "phone": {"dist": "lognormal", "mean": TRUTH["handle_mean"], "cv": TRUTH["handle_cv"]}}}},
        "pools": {"agents": {"channels": ["phone"],
                             "staffing": {d: staff(mon, weekly[i]) for i, d in
                                          enumerate(["mon", "tue", "wed", "thu", "fri"])}
                             | {"sat": staff(sat, weekly[5]), "sun": [0] * PER_DAY}}},
    }
    return parse_scenario(data)
