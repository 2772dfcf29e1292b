"""Make the bundled sample log examples/data/sample_log.csv: SYNTHETIC data, simulated by contactsim.

A small phone centre over four weeks: two queues (billing, support) with their own handle times, one
shared pool, exponential patience with retrials, a persistent day level and within-day noise, and one
closed public holiday (Monday 2024-04-01), so that every part of ``contactsim calibrate`` has something
to find. Run ``python examples/make_sample_log.py`` to rebuild it (same seed, same file).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import contactsim as cs
from contactsim.calibration.export import contacts_to_log
from contactsim.scenario.load import parse_scenario

OUT = Path(__file__).parent / "data" / "sample_log.csv"


def profile() -> list[float]:
    x = np.zeros(48)
    k = np.arange(16, 40)  # 08:00-20:00
    x[16:40] = 1.0 + 0.7 * np.sin((k - 16 + 0.5) / 24 * np.pi) + 0.25 * np.sin((k - 16) / 24 * 3 * np.pi)
    q = np.round(x / x.sum(), 6)
    q[np.argmax(q)] += 1 - q.sum()
    return [round(float(v), 6) for v in q]


def scenario():
    prof = profile()
    def staff(week_share: float) -> list[int]:  # ~90% offered load per agent: a busy but sane centre
        load = 400 * 7 * week_share * np.array(prof) / 1800 * 313  # 313 s = mean handle + ACW
        return [int(np.ceil(a / 0.9)) if a > 0 else 0 for a in load]

    return parse_scenario({
        "name": "sample_centre", "run": {"seed": 20240304, "replications": 1},
        "horizon": {"days": 28, "start_weekday": "mon", "interval_minutes": 30, "drain_hours": 2},
        "arrivals": {"intraday": prof, "weekly": [0.2, 0.18, 0.17, 0.17, 0.18, 0.1, 0.0],
                     "overdispersion_cv": 0.12, "day_persistence": 0.5, "interval_overdispersion_cv": 0.12},
        "channels": {"phone": {"kind": "phone"}},
        "segments": {"customers": {"share": 1.0, "channel_preference": {"phone": 1.0},
                                   "patience": {"phone": {"dist": "exponential", "mean": 150}},
                                   "retrial": {"probability": 0.3,
                                               "delay": {"dist": "exponential", "mean": 900}}}},
        "reasons": {
            "billing": {"volume_per_day": 260, "handle_time": {"phone": {"dist": "lognormal", "mean": 210, "cv": 0.7}}},
            "support": {"volume_per_day": 140, "handle_time": {"phone": {"dist": "gamma", "mean": 420, "cv": 0.9}}},
        },
        "pools": {"agents": {"channels": ["phone"],
                             "after_contact_work": {"dist": "lognormal", "mean": 30, "cv": 0.5},
                             "staffing": {"mon": staff(0.2), "tue": staff(0.18), "wed": staff(0.17),
                                          "thu": staff(0.17), "fri": staff(0.18), "sat": staff(0.1)}}},
    })


def main() -> None:
    sc = scenario()
    res = cs.simulate(sc, replications=1, workers=1, backend="serial", keep_records=True)
    log = contacts_to_log(res.contacts, start="2024-03-11", scenario=sc)
    log = log[log["arrival_at"].dt.date.astype(str) != "2024-04-01"]  # Easter Monday: closed
    log = log.drop(columns=["segment"])
    log["arrival_at"] = log["arrival_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    log.to_csv(OUT, index=False, float_format="%.1f")
    print(f"wrote {OUT} ({len(log):,} contacts, synthetic)")


if __name__ == "__main__":
    main()
