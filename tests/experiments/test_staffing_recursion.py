"""Staffing verification by the FCFS recursion: used only where it qualifies, and where it is used its
decision is the event engine's on the same customers."""

from __future__ import annotations

import copy
import time

import numpy as np
import pandas as pd
from helpers import build, mmc_dict

from contactsim import fcfs_scenario
from contactsim.experiment import simulate
from contactsim.staffing import Targets, check_plan, optimise_staffing, pool_demand, recursion_verifies, with_plan

COLS = ["offered", "service_level", "asa_s", "abandon_rate", "occupancy"]


def _mmc(agents: int = 15) -> dict:
    d = mmc_dict(180, 300, agents, patience_s=180, hours=12, warmup_hours=1, replications=4)
    d["horizon"]["interval_minutes"] = 60
    d["pools"]["agents"].update(hourly_cost=35, shrinkage=0.3)
    return d


def test_qualification_is_explicit() -> None:
    assert recursion_verifies(build(_mmc()))
    d = copy.deepcopy(_mmc())
    d["segments"]["customers"]["retrial"] = {"probability": 0.3, "delay": {"dist": "exponential", "mean": 60}}
    assert not recursion_verifies(build(d))
    d = copy.deepcopy(_mmc())
    d["horizon"] = {"days": 1, "interval_minutes": 60}
    d["arrivals"] = {"intraday": [1 / 24] * 24}
    assert not recursion_verifies(build(d))  # a day with its intervals: staffing per interval, the engine's


def test_check_plan_on_the_recursion_equals_check_plan_on_the_engine() -> None:
    """Same plan, same fresh seed: the verification table (KPIs, met, checked) is the engine's, for a plan
    that misses (13 agents) and one that meets (18)."""
    sc = build(_mmc())
    targets = Targets(max_asa_s=30, max_abandon=0.05)
    met = []
    for agents in (13, 18):
        plan = {"agents": np.array([[agents]])}
        planned = with_plan(sc, plan)
        eng = check_plan(simulate(planned, replications=4, seed=8, workers=1), sc, plan, targets, 4, 5.0)
        rec = check_plan(fcfs_scenario.verification_kpis(planned, 8, 4), sc, plan, targets, 4, 5.0)
        pd.testing.assert_frame_equal(rec.drop(columns=COLS), eng.drop(columns=COLS))
        np.testing.assert_allclose(rec[COLS].to_numpy(float), eng[COLS].to_numpy(float), rtol=1e-9)
        met.append(bool(rec["met"].all()))
    assert met == [False, True]


def test_the_pilot_demand_from_the_recursion_is_the_engines() -> None:
    """The pilot's offered contacts and agent time per contact, from the recursion's contacts, equal those
    from the engine's records on the same seed (bit for bit: the same contacts summed in the same order)."""
    sc = build(_mmc())
    d = copy.deepcopy(_mmc())
    d["pools"]["agents"]["after_contact_work"] = {"dist": "lognormal", "mean": 20, "cv": 0.5}
    work = []
    for scenario in (sc, build(d)):
        eng = simulate(scenario, replications=3, seed=4, workers=1, keep_records=True).contacts
        rec = fcfs_scenario.pilot_contacts(scenario, 4, 3)
        assert len(rec) == len(eng)
        a, b = pool_demand(scenario, rec, 3)["agents"], pool_demand(scenario, eng, 3)["agents"]
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        work.append(a["work_s"].iloc[0])
    assert work[1] > work[0] + 10  # the after-contact work is agent time the pilot measures


def test_optimise_staffing_gives_the_same_plan_with_and_without_the_recursion() -> None:
    sc = build(_mmc(12))
    kw = {"replications": 4, "seed": 3, "workers": 1, "targets": Targets(max_abandon=0.03), "rounds": 4}
    t = time.perf_counter()
    fast = optimise_staffing(sc, **kw)
    t_fast = time.perf_counter() - t
    slow = optimise_staffing(sc, recursion=False, **kw)
    assert any("FCFS recursion" in n for n in fast.notes)
    assert not any("FCFS recursion" in n for n in slow.notes)
    np.testing.assert_array_equal(fast.plan["agents"], slow.plan["agents"])
    assert fast.rounds == slow.rounds >= 2  # the verification changed the plan at least once
    pd.testing.assert_frame_equal(fast.table.drop(columns=COLS), slow.table.drop(columns=COLS))
    np.testing.assert_allclose(fast.table[COLS].to_numpy(float), slow.table[COLS].to_numpy(float), rtol=1e-9)
    assert t_fast < 30
