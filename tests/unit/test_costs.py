"""Cost accounting matched by hand; paid hours follow staffing; premium revenue = members x fee."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import mmc_dict, run_one


def _costed() -> dict:
    d = mmc_dict(30, 240, 3, hours=10, warmup_hours=0, patience_s=300)
    d["pools"]["agents"].update({"hourly_cost": 30.0, "shrinkage": 0.25})
    d["channels"]["phone"]["cost_per_minute"] = 0.05
    d["segments"]["customers"]["self_service_propensity"] = 1.0
    d["reasons"]["question"].update({
        "prevention": {"share": 0.1, "cost_per_prevented": 0.5, "fixed_cost_per_day": 24.0},
        "proactive": {"detected_share": 0.2, "satisfied_probability": 0.5, "cost_per_notification": 0.2},
        "self_service": {"suitability": 0.5, "containment": 0.5, "cost_per_session": 0.3},
    })
    return d


def test_total_cost_matches_a_hand_calculation_exactly() -> None:
    res = run_one(_costed())
    c, n = res.contacts, res.needs
    staff = 3 * 10 * 30.0 / (1 - 0.25)  # 3 agents for 10 h at EUR 30, paid hours grossed up for shrinkage
    telephony = 0.05 * (c["wait_s"].fillna(0) + c["handle_s"].fillna(0)).sum() / 60.0
    prevention = 0.5 * (n["terminal"] == "prevented").sum() + 24.0 * 10 / 24
    notifications = 0.2 * n["notified"].sum()
    sessions = 0.3 * n["self_service_attempted"].sum()
    expected = staff + telephony + prevention + notifications + sessions
    assert res.kpi("cost")["mean"] == pytest.approx(expected, rel=1e-9)
    assert res.kpi("paid_hours", pool="agents")["mean"] == pytest.approx(40.0)
    assert res.kpi("staff_cost", pool="agents")["mean"] == pytest.approx(1200.0)
    resolved = n["terminal"].isin(["prevented", "proactive_resolved", "self_served", "resolved"]).sum()
    assert res.kpi("cost_per_resolved_need")["mean"] == pytest.approx(expected / resolved, rel=1e-9)
    # the funnel waterfall spreads the same money over the five levels
    wf = res.waterfall
    assert wf["cost"].sum() == pytest.approx(expected, rel=1e-6)


def test_paid_hours_follow_staffing_not_load() -> None:
    d = _costed()
    low = run_one(d)
    busy = copy.deepcopy(d)
    busy["reasons"]["question"]["volume_per_day"] *= 2
    high = run_one(busy)
    assert low.kpi("paid_hours", pool="agents")["mean"] == high.kpi("paid_hours", pool="agents")["mean"]
    assert high.kpi("busy_hours", pool="agents")["mean"] > 1.5 * low.kpi("busy_hours", pool="agents")["mean"]
    more_staff = copy.deepcopy(d)
    more_staff["pools"]["agents"]["staffing"] = 4
    assert run_one(more_staff).kpi("paid_hours", pool="agents")["mean"] == pytest.approx(40.0 * 4 / 3)


def test_premium_fee_revenue_is_members_times_fee() -> None:
    d = _costed()
    d["horizon"] = {"days": 7, "interval_minutes": 60}
    d["arrivals"] = {"intraday": [1 / 24] * 24}
    d["segments"] = {
        "plus": {"customers": 20_000, "channel_preference": {"phone": 1.0},
                 "patience": {"phone": {"dist": "exponential", "mean": 300}}},
        "basic": {"customers": 80_000, "channel_preference": {"phone": 1.0},
                  "patience": {"phone": {"dist": "exponential", "mean": 300}}},
    }
    d["reasons"]["question"] = {"per_customer_per_year": 2.0,
                                "handle_time": {"phone": {"dist": "exponential", "mean": 240}}}
    d["pools"]["agents"]["staffing"] = 6
    d["policies"] = {"premium": {"take_up": {"plus": 0.25, "basic": 0.05}, "fee_per_month": 4.0,
                                 "fee_per_contact": 1.0}}
    res = run_one(d)
    months = 7 / (365.25 / 12)
    members = 20_000 * 0.25 + 80_000 * 0.05
    member_contacts = int((res.contacts["premium"] & (res.contacts["kind"] != "outreach")).sum())
    assert res.kpi("revenue")["mean"] == pytest.approx(members * 4.0 * months + member_contacts * 1.0)
    assert res.kpi("revenue", segment="plus")["mean"] == pytest.approx(
        5000 * 4.0 * months + int(res.contacts[(res.contacts["segment"] == "plus")]["premium"].sum()))
    assert res.kpi("net_cost")["mean"] == pytest.approx(res.kpi("cost")["mean"] - res.kpi("revenue")["mean"])
    # membership is drawn per need with the take-up probability
    share = res.needs.groupby("segment", observed=True)["premium"].mean()
    assert abs(share["plus"] - 0.25) < 0.03 and abs(share["basic"] - 0.05) < 0.02
    assert np.isfinite(res.kpi("value_at_risk")["mean"])
