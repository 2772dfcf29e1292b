"""The vectorised FCFS recursion (fcfs_recursion.py, fcfs_scenario.py) against the event engine on the same
draws: per contact the same outcome and the same wait, bit for bit, and the same KPIs."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pytest
from helpers import build, examples, mmc_dict, run_one
from hypothesis import given, settings
from hypothesis import strategies as st

from contactsim import fcfs_scenario as fs
from contactsim.engine import Engine
from contactsim.fcfs_recursion import ABANDONED, HANDLED, UNSERVED, simulate_fcfs
from contactsim.scenario.compiled import compile_scenario

OUTCOME_CODE = {"handled": HANDLED, "abandoned": ABANDONED, "unserved": UNSERVED}
KPIS = ["offered", "handled", "abandoned", "unserved", "service_level", "p_wait", "asa_s", "mean_wait_s",
        "abandon_rate"]


def _engine_vs_recursion(d: dict, reps: int) -> None:
    sc = build(d)
    c = compile_scenario(sc)
    assert fs.why_not(c) == []
    draws = fs.draw_contacts(c, sc.run.seed, range(reps))
    rec = fs.simulate_draws(draws)
    res = run_one(d, replications=reps)
    for rep in range(reps):
        e = res.contacts[res.contacts["replication"] == rep].sort_values(["arrival_at", "contact_id"])
        v = rec.valid[rep]
        assert len(e) == v.sum() > 500
        np.testing.assert_array_equal(e["arrival_at"].to_numpy(), draws.arrival_at[rep][v])
        outcome = e["outcome"].astype(str).map(OUTCOME_CODE).to_numpy()
        np.testing.assert_array_equal(outcome, rec.outcome[rep][v])
        np.testing.assert_array_equal(e["wait_s"].to_numpy(), rec.wait_s[rep][v])  # NaN == NaN here
        np.testing.assert_array_equal(e["answered_at"].to_numpy(), rec.answered_at[rep][v])
        assert (outcome == ABANDONED).sum() > 0 or d["channels"]["phone"]["abandonment"] is False
    k = fs.kpis(c, draws, rec)
    for m in KPIS:
        np.testing.assert_allclose(k[m].to_numpy(), res.values(m).to_numpy(), rtol=1e-9, atol=1e-12, err_msg=m)
    np.testing.assert_allclose(k["occupancy"].to_numpy(), res.values("occupancy", pool="agents").to_numpy(),
                               rtol=1e-9, err_msg="occupancy")
    # the long rows staffing reads: every segment x channel (and 'all') row, and the pool's hours
    long = fs.kpis_long(c, draws, rec, list(range(reps)))
    keys = ["replication", "segment", "channel", "pool", "interval", "metric"]
    both = long.merge(res.kpis.astype({"segment": str, "channel": str, "pool": str, "interval": str,
                                       "metric": str}), on=keys, suffixes=("_rec", "_eng"))
    assert len(both) == len(long)
    np.testing.assert_allclose(both["value_rec"], both["value_eng"], rtol=1e-9, atol=1e-12)
    # every row of the engine's KPIs, no more (contacts, pools, needs, costs, intervals): one definition
    assert len(long) == len(res.kpis)
    # the wide frame (KpiAccumulator.overall) is the long frame's whole-window rows, bit for bit
    top = long[(long["segment"] == "all") & (long["channel"] == "all") & (long["interval"] == "all")]
    for m in [*KPIS, "wait_p90_s", "occupancy"]:
        pool = "agents" if m == "occupancy" else "all"
        want = top[(top["metric"] == m) & (top["pool"] == pool)].set_index("replication")["value"]
        np.testing.assert_array_equal(k[m].to_numpy(), want.reindex(range(reps)).to_numpy(), err_msg=m)


def test_same_draws_same_contacts_as_the_engine_mmc_m() -> None:
    """M/M/c+M near critical load: every contact's outcome, wait and answer time equal the engine's."""
    _engine_vs_recursion(mmc_dict(240, 300, 20, patience_s=180, hours=30, warmup_hours=2, replications=3), 3)


def test_same_draws_same_contacts_as_the_engine_general_laws_acw_and_overload() -> None:
    """Lognormal talk, gamma patience, after-contact work, overload (abandonment rate ~ 20%) and the drain:
    still the engine's outcome per contact (acw keeps the agent, not the customer)."""
    d = mmc_dict(300, 240, 18, patience_s=120, hours=20, warmup_hours=1, replications=2)
    d["reasons"]["question"]["handle_time"]["phone"] = {"dist": "lognormal", "mean": 240, "cv": 0.8}
    d["segments"]["customers"]["patience"]["phone"] = {"dist": "gamma", "mean": 120, "cv": 1.5}
    d["pools"]["agents"]["after_contact_work"] = {"dist": "exponential", "mean": 30}
    _engine_vs_recursion(d, 2)


def test_same_draws_same_contacts_as_the_engine_with_factors_and_two_segments() -> None:
    """Two segments with their own SL targets and patience, a segment handle-time factor, patience by hour,
    a pool handle-time factor, absence and shrinkage (paid hours): still the engine's contacts and KPIs."""
    d = mmc_dict(200, 300, 16, patience_s=150, hours=20, warmup_hours=1, replications=2)
    seg = d["segments"]["customers"]
    d["segments"] = {"gold": {**copy.deepcopy(seg), "share": 0.3, "handle_time_factor": 1.3,
                              "patience": {"phone": {"dist": "exponential", "mean": 400}},
                              "service_level": {"phone": {"seconds": 10, "share": 0.9}}},
                     "base": {**copy.deepcopy(seg), "share": 0.7, "patience_by_hour": [0.5] * 12 + [1.5] * 12}}
    d["pools"]["agents"].update(handle_time_factor=0.9, absence=0.1, shrinkage=0.25)
    _engine_vs_recursion(d, 2)


def test_every_kpi_of_the_engine_with_partial_resolution_and_costs() -> None:
    """First-contact resolution below 1 (with no repeat contacts: the need ends unresolved), per-contact and
    staff costs and after-contact work: the recursion's contacts go through replication.py's bookkeeping, so
    its KPIs, waterfall and KPIs by reason are the engine's (fcr, csat, effort, cost, needs by final state)."""
    d = mmc_dict(200, 300, 18, patience_s=150, hours=20, warmup_hours=1, replications=2)
    d["reasons"]["question"].update(fcr={"phone": 0.7}, repeat={"probability": 0.0})
    d["pools"]["agents"].update(hourly_cost=30, after_contact_work={"dist": "exponential", "mean": 20})
    _engine_vs_recursion(d, 2)
    sc = build(d)
    c = compile_scenario(sc)
    draws = fs.draw_contacts(c, sc.run.seed, range(2))
    got = fs.replication_results(c, draws, fs.simulate_draws(draws))
    res = run_one(d, replications=2)
    fcr = res.values("fcr").to_numpy()
    assert ((fcr > 0.6) & (fcr < 0.8)).all()
    assert res.values("needs_unresolved").min() > 100
    wf = pd.concat([r.waterfall for r in got], ignore_index=True)
    pd.testing.assert_frame_equal(wf, res.waterfall, check_exact=False, rtol=1e-9)
    by = pd.concat([r.by_reason for r in got], ignore_index=True)
    pd.testing.assert_frame_equal(by, res.by_reason, check_exact=False, rtol=1e-9)


def test_same_draws_same_contacts_as_the_engine_without_abandonment() -> None:
    _engine_vs_recursion(mmc_dict(200, 300, 18, hours=20, warmup_hours=1, replications=2), 2)


def test_ties_are_settled_as_the_engine_settles_them() -> None:
    """Integer times on a coarse grid force every kind of tie: arrivals together, an arrival when an agent
    frees up, a wait reaching patience exactly when an agent frees up (served), patience 0. The engine is
    fed the same contacts by hand (``Engine.add_contact``)."""
    rng = np.random.default_rng(7)
    n = 400
    arr = np.sort(rng.integers(0, 2000, n)).astype(float)
    pat = rng.integers(0, 40, n).astype(float)
    hdl = rng.integers(1, 30, n).astype(float)
    d = mmc_dict(1, 50, 3, hours=1, warmup_hours=0, patience_s=100)
    eng = Engine(compile_scenario(build(d)), 1, 0)
    for k in range(n):
        eng.add_contact(k, 0, 0, 0, float(arr[k]), float(pat[k]), float(hdl[k]), key=k)
    eng.run_until(3 * 3600.0)
    eng.finish()
    col = eng.flush().contacts
    order = np.argsort(col["contact_id"])
    rec = simulate_fcfs(arr, pat, hdl, 3, end_at=3 * 3600.0)
    np.testing.assert_array_equal(col["outcome"][order], rec.outcome[0])
    np.testing.assert_array_equal(col["wait_s"][order], rec.wait_s[0])
    waited_exactly = (rec.outcome[0] == HANDLED) & (rec.wait_s[0] == pat) & (pat > 0)
    assert waited_exactly.sum() >= 3, "the test must contain waits that reach patience exactly"
    assert (rec.outcome[0] == ABANDONED).sum() > 20


_TIMES = st.integers(0, 60)


@settings(max_examples=examples(60), deadline=None)
@given(agents=st.integers(1, 4), rows=st.lists(st.tuples(_TIMES, st.integers(0, 30) | st.just(-1),
                                                          st.integers(0, 25), st.integers(0, 5)),
                                                min_size=1, max_size=40),
       end=st.integers(20, 120))
def test_any_small_queue_is_settled_as_the_engine_settles_it(agents: int, rows: list, end: int) -> None:
    """Property: on random small queues with integer times (so ties abound), any number of agents, talk 0
    allowed, patience 0 or none (-1), after-contact work, and an end of the run that cuts the queue, every
    contact's outcome and wait equal the engine's."""
    rows = sorted(rows, key=lambda r: r[0])
    arr = np.array([r[0] for r in rows], dtype=float)
    pat = np.array([math.inf if r[1] < 0 else r[1] for r in rows], dtype=float)
    hdl = np.array([r[2] for r in rows], dtype=float)
    acw = np.array([r[3] for r in rows], dtype=float)
    eng = Engine(_ENGINE_COMPILED[agents], 1, 0)
    for k in range(len(rows)):
        eng.add_contact(k, 0, 0, 0, float(arr[k]), float(pat[k]), float(hdl[k] + acw[k]), key=k)
    eng.run_until(float(end))
    eng.finish()
    col = eng.flush().contacts
    order = np.argsort(col["contact_id"])
    rec = simulate_fcfs(arr, pat, hdl, agents, acw_s=acw, end_at=float(end))
    np.testing.assert_array_equal(col["outcome"][order], rec.outcome[0])
    np.testing.assert_array_equal(col["wait_s"][order], rec.wait_s[0])
    served = rec.outcome[0] == HANDLED
    np.testing.assert_array_equal(col["answered_at"][order][served], rec.answered_at[0][served])


_ENGINE_COMPILED = {a: compile_scenario(build(mmc_dict(1, 50, a, hours=1, warmup_hours=0, patience_s=100)))
                    for a in range(1, 5)}


def test_a_small_case_by_hand() -> None:
    """Two agents. t=0 A (talk 10), t=1 B (talk 10), t=2 C (patience 5: an agent frees at 10, too late),
    t=3 D (patience 7: the agent free at 10 is exactly in time), t=4 E (patience 20: the agent free at 11)."""
    r = simulate_fcfs([0, 1, 2, 3, 4], [9, 9, 5, 7, 20], [10, 10, 10, 10, 10], 2)
    assert r.outcome[0].tolist() == [HANDLED, HANDLED, ABANDONED, HANDLED, HANDLED]
    assert r.wait_s[0].tolist() == [0, 0, 5, 7, 7]
    assert r.answered_at[0].tolist()[3:] == [10, 11]
    assert r.free_at[0].tolist()[3:] == [20, 21]


def test_replications_of_different_lengths_and_the_end_of_the_run() -> None:
    """Ragged replications are padded; a contact still waiting at the end is unserved unless its patience
    ran out before it (abandoned), as in ``Engine.finish``."""
    r = simulate_fcfs([np.array([0.0, 1, 2]), np.array([0.0])], [[math.inf, 50, 3], [1.0]],
                      [[100.0, 1, 1], [1.0]], 1, end_at=30)
    assert r.outcome.tolist() == [[HANDLED, UNSERVED, ABANDONED], [HANDLED, -1, -1]]
    assert r.valid.tolist() == [[True, True, True], [True, False, False]]
    assert math.isnan(r.wait_s[0, 1]) and r.wait_s[0, 2] == 3


def test_one_more_agent_never_lengthens_a_wait_without_abandonment() -> None:
    rng = np.random.default_rng(3)
    arr = np.cumsum(rng.exponential(10, (20, 300)), axis=1)
    hdl = rng.exponential(45, (20, 300))
    pat = np.full_like(arr, math.inf)
    w4 = simulate_fcfs(arr, pat, hdl, 4).wait_s
    w5 = simulate_fcfs(arr, pat, hdl, 5).wait_s
    assert (w5 <= w4 + 1e-9).all() and (w5 < w4).any()


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"agents": 0}, "agents must be a whole number"),
    ({"agents": 2.5}, "agents must be a whole number"),
    ({"arrival_at": [[3.0, 1.0]]}, "non-decreasing"),
    ({"patience_s": [[-1.0, 1.0]]}, ">= 0"),
    ({"handle_s": [[1.0]]}, "same shape"),
    ({"arrival_at": [[math.nan, 1.0]]}, "padding"),
])
def test_bad_input_is_named(kwargs: dict, fragment: str) -> None:
    args = {"arrival_at": [[0.0, 1.0]], "patience_s": [[1.0, 1.0]], "handle_s": [[1.0, 1.0]], "agents": 1}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        simulate_fcfs(**args)


@pytest.mark.parametrize(("change", "reason"), [
    (lambda d: d["pools"]["agents"].update(staffing=[5] * 24 + [8] * 24), "staffing changes"),
    (lambda d: d["segments"]["customers"].update(retrial={"probability": 0.5, "delay": {"dist": "exponential",
                                                                                          "mean": 60}}), "retrials"),
    (lambda d: d["pools"].update(other={"channels": ["phone"], "staffing": 2}), "2 pools"),
    (lambda d: d["pools"]["agents"].update(queue_cap=3), "queue cap"),
    (lambda d: d["pools"]["agents"].update(
        discipline={"type": "priority", "classes": [{"segments": ["customers"]}]}), "discipline"),
])
def test_scenarios_that_do_not_qualify_say_why(change, reason: str) -> None:
    d = copy.deepcopy(mmc_dict(60, 300, 6, patience_s=100, hours=4, warmup_hours=0))
    change(d)
    c = compile_scenario(build(d))
    assert any(reason in w for w in fs.why_not(c)), fs.why_not(c)
    with pytest.raises(ValueError, match="not a plain FCFS pool"):
        fs.draw_contacts(c, 1, range(1))


def test_sweep_uses_the_same_customers_for_every_agent_count() -> None:
    """mmc_sweep: common random numbers across agent counts (offered identical), monotone in agents, and
    a point equals the engine's run of the same textbook scenario."""
    k = fs.mmc_sweep(120, 300, [10, 11, 12], patience_s=200, hours=10, warmup_hours=1, replications=3, seed=5)
    by = {a: g.reset_index(drop=True) for a, g in k.groupby("agents")}
    np.testing.assert_array_equal(by[10]["offered"], by[12]["offered"])
    assert (by[10]["abandon_rate"] >= by[11]["abandon_rate"]).all()
    assert (by[11]["abandon_rate"] >= by[12]["abandon_rate"]).all()
    sc = fs.textbook_scenario(120, 300, 11, patience_s=200, hours=10, warmup_hours=1, seed=5)
    from contactsim.experiment import simulate

    res = simulate(sc, replications=3, workers=1)
    for m in KPIS:
        np.testing.assert_allclose(by[11][m].to_numpy(), res.values(m).to_numpy(), rtol=1e-9, err_msg=m)


def test_agents_sweep_of_a_scenario_file_equals_the_engine_at_each_point() -> None:
    """agents_sweep on a bundled scenario file (call_centre_mmc, shortened): each agent count gives the
    engine's KPIs for the scenario with that staffing, on the same seed."""
    from pathlib import Path

    from contactsim.experiment import simulate
    from contactsim.scenario import load_scenario

    path = Path(__file__).parents[2] / "scenarios" / "call_centre_mmc.yaml"
    short = {"horizon.steady_state_hours": 8, "horizon.warmup_hours": 1}
    sc = load_scenario(path, short)
    k = fs.agents_sweep(sc, [14, 17], replications=2, seed=9)
    assert k["agents"].tolist() == [14, 14, 17, 17]
    for n in (14, 17):
        res = simulate(load_scenario(path, {**short, "pools.agents.staffing": n}), replications=2, seed=9, workers=1)
        got = k[k["agents"] == n]
        for m in KPIS:
            np.testing.assert_allclose(got[m].to_numpy(), res.values(m).to_numpy(), rtol=1e-9, err_msg=f"{n} {m}")
        # on-duty time of the swept agent count (the pool re-staffed for metrics' pool arithmetic)
        np.testing.assert_allclose(got["occupancy"].to_numpy(), res.values("occupancy", pool="agents").to_numpy(),
                                   rtol=1e-9, err_msg=f"{n} occupancy")


def test_the_whole_window_kpis_of_a_replication_with_nothing_offered() -> None:
    """KpiAccumulator.overall (the wide frame's source) with no contact: counts are 0, as RunResult.values
    fills a count with no row, and rates are undefined; the idle pool's occupancy is 0."""
    from contactsim.metrics import KpiAccumulator
    from contactsim.records import LEVELS, TERMINAL_STATES

    c = compile_scenario(build(mmc_dict(60, 300, 5, hours=2, warmup_hours=0)))
    m, occupancy = KpiAccumulator(c, LEVELS, TERMINAL_STATES).overall()
    assert m["offered"] == m["handled"] == m["abandoned"] == m["unserved"] == 0.0
    assert math.isnan(m["service_level"]) and math.isnan(m["asa_s"]) and math.isnan(m["wait_p90_s"])
    assert occupancy.tolist() == [0.0]
