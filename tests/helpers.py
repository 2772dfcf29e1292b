"""Small scenario builders shared by the tests (plain dicts, validated through the public loader)."""

from __future__ import annotations

import copy
import os
from typing import Any

from contactsim.fcfs_scenario import textbook_dict
from contactsim.scenario.load import parse_scenario
from contactsim.scenario.schema import Scenario


def mmc_dict(lam_per_hour: float, aht_s: float, agents: int, *, patience_s: float | None = None,
             hours: float = 200.0, warmup_hours: float = 10.0, sl_seconds: float = 20.0,
             replications: int = 10, seed: int = 2026) -> dict[str, Any]:
    """A steady-state single-pool phone queue: M/M/c (no patience) or M/M/c+M (exponential patience)."""
    return textbook_dict(lam_per_hour, aht_s, agents, patience_s=patience_s, hours=hours, warmup_hours=warmup_hours,
                         sl_seconds=sl_seconds, replications=replications, seed=seed, name="mmc")


def two_class_dict(lam_high_h: float, lam_low_h: float, aht_s: float, agents: int, **kw: Any) -> dict[str, Any]:
    """Two segments on one pool with strict non-preemptive priority for 'high'."""
    d = mmc_dict(lam_high_h + lam_low_h, aht_s, agents, **kw)
    total = lam_high_h + lam_low_h
    d["segments"] = {
        "high": {"share": lam_high_h / total, "channel_preference": {"phone": 1.0}},
        "low": {"share": lam_low_h / total, "channel_preference": {"phone": 1.0}},
    }
    d["pools"]["agents"]["discipline"] = {"type": "priority", "classes": [{"segments": ["high"]}]}
    return d


def build(d: dict[str, Any]) -> Scenario:
    return parse_scenario(copy.deepcopy(d), "<test>")


def run_one(d: dict[str, Any], replications: int = 1, seed: int | None = None):
    """Simulate a scenario dict in-process and return the RunResult."""
    from contactsim.experiment import simulate

    return simulate(build(d), replications=replications, seed=seed, workers=1)


def busy_count_at(contacts, pool: str, t: float) -> int:
    """Agents of a pool busy (handling or in after-contact work) just before instant t."""
    c = contacts[(contacts["pool"] == pool) & contacts["answered_at"].notna()]
    start = c["answered_at"]
    end = start + c["handle_s"] + c["acw_s"]
    return int(((start < t) & (end >= t)).sum())


FIGURES = [
    "kpis",
    "cost_vs_satisfaction",
    "funnel",
    "needs_sankey",
    "intraday_service_level",
    "intraday_occupancy",
    "wait_ecdf",
    "staffing_vs_load",
]
"""Every figure a report must draw (and export), by name."""


EXPLORE_FACTOR = 20


def examples(n: int) -> int:
    """Hypothesis examples for a test: ``n`` in CI, ``EXPLORE_FACTOR`` times more with HYPOTHESIS_PROFILE=explore."""
    return n * EXPLORE_FACTOR if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else n
