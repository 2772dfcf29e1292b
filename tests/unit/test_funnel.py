"""The five funnel levels, each against its rule; conservation of needs."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from helpers import mmc_dict, run_one

from contactsim.stats import mean_ci


def _two_reasons() -> dict:
    d = mmc_dict(60, 300, 8, hours=40, warmup_hours=0, patience_s=300, replications=6)
    d["reasons"] = {
        "easy": {"volume_per_day": 720, "handle_time": {"phone": {"dist": "exponential", "mean": 120}}},
        "hard": {"volume_per_day": 720, "handle_time": {"phone": {"dist": "exponential", "mean": 600}}},
    }
    return d


def test_levels_switched_off_equal_the_plain_model_under_the_same_seed() -> None:
    d = _two_reasons()
    plain = run_one(d, replications=2)
    off = copy.deepcopy(d)
    for r in off["reasons"].values():
        r["prevention"] = {"share": 0.0}
        r["proactive"] = {"detected_share": 0.0}
        r["self_service"] = {"suitability": 0.0, "containment": 0.0}
    off["segments"]["customers"]["self_service_propensity"] = 0.9
    same = run_one(off, replications=2)
    pd.testing.assert_frame_equal(plain.kpis, same.kpis)


def test_prevention_share_removes_that_share_of_needs() -> None:
    d = _two_reasons()
    d["reasons"]["easy"]["prevention"] = {"share": 0.3}
    d["reasons"]["hard"]["prevention"] = {"share": 0.3}
    res = run_one(d, replications=12)
    share = (res.values("needs_prevented") / res.values("needs")).to_numpy()
    ci = mean_ci(share, 0.99)
    assert ci.low <= 0.3 <= ci.high
    assert ci.half_width < 0.01


def test_self_service_leaves_a_harder_mix_for_agents() -> None:
    d = _two_reasons()
    base = run_one(d, replications=6)
    d["segments"]["customers"]["self_service_propensity"] = 1.0
    d["reasons"]["easy"]["self_service"] = {"suitability": 0.9, "containment": 0.8}
    ss = run_one(d, replications=6)
    assert ss.kpi("aht_s")["ci_low"] > base.kpi("aht_s")["ci_high"]
    served = ss.values("needs_self_served") / ss.values("needs")
    assert 0.30 < served.mean() < 0.42  # 0.5 (easy) x 0.9 x 0.8 = 0.36
    # failed self-service reaches the agent carrying the history: more effort
    needs = ss.needs
    c = ss.contacts.merge(needs[["replication", "need_id", "self_service_attempted"]], on=["replication", "need_id"])
    assert c.loc[c["self_service_attempted"], "effort"].mean() > c.loc[~c["self_service_attempted"], "effort"].mean()


def test_proactive_notification_and_agent_outreach() -> None:
    d = _two_reasons()
    d["reasons"]["hard"]["proactive"] = {
        "detected_share": 0.5, "satisfied_probability": 0.6, "lead_time_s": 300, "cost_per_notification": 0.1,
        "agent_outreach": {"pool": "agents", "share": 0.2, "handle_time": {"dist": "deterministic", "value": 120}},
    }
    res = run_one(d, replications=4)
    n = res.needs
    hard = n[n["reason"] == "hard"]
    assert abs(hard["notified"].mean() - 0.5) < 0.03
    assert abs((hard["terminal"] == "proactive_resolved").mean() - 0.3) < 0.03
    out = res.contacts[res.contacts["kind"] == "outreach"]
    assert abs(len(out) / hard["notified"].sum() - 0.2) < 0.03
    assert (out["handle_s"] == 120).all() and (out["pool"] == "agents").all()
    # outreach is agent work, not offered customer traffic
    assert res.values("offered").sum() == (res.contacts["kind"] != "outreach").sum()


def test_incident_adds_needs_in_its_window() -> None:
    d = _two_reasons()
    d["horizon"] = {"days": 1, "interval_minutes": 60}
    d["arrivals"] = {"intraday": [1 / 24] * 24}
    d["incidents"] = [{"reason": "hard", "day": 1, "start": "10:00", "duration_minutes": 60, "extra_needs": 500}]
    res = run_one(d, replications=2)
    n = res.needs
    inc = n[n["incident"]]
    assert 400 < len(inc) / 2 < 600
    assert ((inc["arrival_at"] >= 36000) & (inc["arrival_at"] < 39600)).all()
    assert (inc["reason"] == "hard").all()


def test_every_need_ends_in_exactly_one_terminal_state_with_everything_on() -> None:
    from contactsim.experiment import simulate
    from contactsim.scenario.load import load_scenario

    res = simulate(load_scenario("scenarios/retail_bank.yaml", {"horizon.days": 3}), replications=2, workers=1)
    assert (res.values("conservation_gap") == 0).all()
    n = res.needs
    assert n["terminal"].notna().all()
    counts = n.groupby("replication")["terminal"].value_counts().unstack().sum(axis=1)
    assert (counts.to_numpy() == n.groupby("replication").size().to_numpy()).all()
    for level in ("preventive", "proactive", "self_service", "personal_digital", "personal_non_digital"):
        assert (n["level"] == level).any(), level
    assert set(np.unique(n["terminal"])) >= {"prevented", "proactive_resolved", "self_served", "resolved"}
