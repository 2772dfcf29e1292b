"""Issue 16 behaviours outside the engine, each checked on per-need or per-contact records: customers with
identity, selection on attributes, identification at the front door, relationship modes in the funnel,
reason-dependent channel choice, notification contacts, patience by time of day, tiers and fixed costs."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from helpers import build, mmc_dict, run_one

from contactsim.errors import ScenarioError


def _base(hours: float = 48, lam: float = 40, agents: int = 6) -> dict[str, Any]:
    d = mmc_dict(lam, 300, agents, hours=hours, warmup_hours=0, patience_s=600)
    d["segments"]["customers"].update(customers=2000, value_per_year=100, tenure_years=4)
    del d["segments"]["customers"]["share"]
    d["segments"]["customers"]["population"] = {
        "tenure_years": {"dist": "exponential", "mean": 6},
        "products": {"dist": "uniform", "low": 0, "high": 4},
        "value_per_year": {"dist": "lognormal", "mean": 400, "cv": 1.0},
    }
    return d


def test_needs_of_one_customer_share_its_attributes_and_tier() -> None:
    d = _base(hours=200, lam=20)
    d["policies"] = {"premium": {"take_up": {"customers": 0.3}, "fee_per_month": 5}}
    needs = run_one(d).needs
    assert needs["customer_id"].between(0, 1999).all()
    per = needs.groupby("customer_id").agg(n=("need_id", "size"), tiers=("tier", "nunique"),
                                           ten=("tenure_years", "nunique"), prod=("products", "nunique"))
    assert (per["n"] > 1).sum() > 300, "customers with several needs"
    assert (per[["tiers", "ten", "prod"]] == 1).all().all(), "a customer's needs share one identity"
    assert needs["products"].min() >= 1 and needs["products"].max() <= 4
    # membership belongs to the customer: the member share of customers, not of needs, follows take-up
    members = needs.drop_duplicates("customer_id")["premium"].mean()
    assert 0.2 < members < 0.4


def test_population_is_the_same_in_two_scenarios_with_the_same_seed() -> None:
    """Common random numbers: a policy change does not redraw the customers."""
    d = _base(hours=24)
    a = run_one(d).needs
    d2 = copy.deepcopy(d)
    d2["pools"]["agents"]["staffing"] = 9
    b = run_one(d2).needs
    assert (a["customer_id"].to_numpy() == b["customer_id"].to_numpy()).all()
    assert (a["tenure_years"].to_numpy() == b["tenure_years"].to_numpy()).all()


def test_priority_selects_on_tenure_and_products() -> None:
    """Strict priority for loyal multi-product customers: nobody else starts while one of them waits."""
    d = _base(hours=60, lam=70, agents=6)
    d["pools"]["agents"]["discipline"] = {"type": "priority",
                                          "classes": [{"min_tenure_years": 5, "min_products": 2}]}
    c = run_one(d).contacts
    n = run_one(d).needs.set_index("need_id")
    loyal = (n.loc[c["need_id"], "tenure_years"].to_numpy() >= 5) & (n.loc[c["need_id"], "products"].to_numpy() >= 2)
    hi, lo = c[loyal], c[~loyal & c["answered_at"].notna()]
    assert len(hi) > 100 and len(lo) > 100
    h_arr, h_ans = hi["arrival_at"].to_numpy(), hi["answered_at"].fillna(np.inf).to_numpy()
    h_end = hi["end_at"].fillna(np.inf).to_numpy()
    for t in lo["answered_at"].to_numpy():
        assert not ((h_arr < t) & (h_ans > t) & (h_end > t)).any()
    assert hi["wait_s"].mean() < lo["wait_s"].mean() / 2


def test_unidentified_contacts_go_to_the_general_queue() -> None:
    d = _base(hours=48)
    d["segments"]["customers"]["identified_share"] = 0.6
    d["pools"] = {
        "loyal_team": {"channels": ["phone"], "staffing": 3, "serves": {"min_tenure_years": 3},
                       "takes_overflow_after_s": None},
        "agents": {"channels": ["phone"], "staffing": 4},
    }
    c = run_one(d).contacts
    n = run_one(d).needs.set_index("need_id")
    ident = n.loc[c["need_id"], "identified"].to_numpy()
    tenure = n.loc[c["need_id"], "tenure_years"].to_numpy()
    served = c["pool"].notna().to_numpy()
    in_loyal = (c["pool"] == "loyal_team").to_numpy()
    assert 0.5 < ident.mean() < 0.7
    assert not (in_loyal & ~ident).any(), "an anonymous contact never reaches the dedicated team"
    assert not (in_loyal & (tenure < 3)).any()
    assert (in_loyal[served & ident & (tenure >= 3)]).mean() > 0.6  # also queued at the general pool


def test_unidentified_share_needs_a_general_pool() -> None:
    d = _base()
    d["segments"]["customers"]["identified_share"] = 0.5
    d["pools"]["agents"]["serves"] = {"min_tenure_years": 1}
    with pytest.raises(ScenarioError, match="identified_share"):
        build(d)


def test_automated_service_completes_straight_through_without_effort_and_costs_per_transaction() -> None:
    d = _base(hours=100)
    d["segments"]["customers"]["relationship"] = "automated"
    d["relationships"] = {"automated": {"straight_through": 0.7, "cost_per_transaction": 0.05}}
    res = run_one(d)
    n = res.needs
    assert n["automated"].mean() == pytest.approx(0.7, abs=0.03)
    auto = n[n["automated"]]
    assert (auto["terminal"] == "self_served").all() and (auto["level"] == "self_service").all()
    assert not auto["need_id"].isin(res.contacts["need_id"]).any(), "no contact for an automated need"
    assert auto["csat"].eq(4.6).all(), "no effort: the CSAT proxy's base, above self-service's"
    assert auto["cost"].eq(0.05).all()
    assert res.kpi("needs_automated")["mean"] == auto.shape[0]


def test_community_answers_and_wrong_answers_come_back_after_the_delay() -> None:
    d = _base(hours=150)
    d["segments"]["customers"]["relationship"] = "community"
    d["relationships"] = {"community": {"share": 0.5, "wrong_answer_share": 0.2, "moderator_minutes_per_post": 6,
                                        "moderator_hourly_cost": 30,
                                        "answer_delay": {"dist": "deterministic", "value": 7200}}}
    res = run_one(d)
    n, c = res.needs, res.contacts
    posted = n[n["community_posted"]]
    assert len(posted) / len(n) == pytest.approx(0.5, abs=0.04)
    solved = posted[posted["community_solved"]]
    assert len(solved) / len(posted) == pytest.approx(0.8, abs=0.04)
    assert (solved["terminal"] == "self_served").all()
    wrong = posted[~posted["community_solved"]]
    first = c[c["kind"] == "first"].set_index("need_id")
    back = first.loc[wrong["need_id"]]
    np.testing.assert_allclose(back["arrival_at"].to_numpy(), wrong["arrival_at"].to_numpy() + 7200.0)
    assert res.kpi("moderator_hours")["mean"] == pytest.approx(len(posted) * 0.1)
    np.testing.assert_allclose(solved["cost"], 3.0)


def test_co_creation_prevents_a_share_that_grows_with_the_months_running() -> None:
    d = _base(hours=200, lam=60)
    d["segments"]["customers"]["relationship"] = "co_creation"
    d["relationships"] = {"co_creation": {"prevented_share_per_month": 0.02, "max_prevented_share": 0.5,
                                          "months_running": 10, "programme_cost_per_month": 3000}}
    res = run_one(d)
    share = (res.needs["terminal"] == "prevented").mean()
    assert share == pytest.approx(0.2 + 0.02 * 200 / 730.5 / 2, abs=0.02)
    months = 200 / 24 / (365.25 / 12)
    assert res.kpi("fixed_cost_relationship_modes")["mean"] == pytest.approx(3000 * months)
    d["relationships"]["co_creation"]["months_running"] = 40  # capped
    assert (run_one(d).needs["terminal"] == "prevented").mean() == pytest.approx(0.5, abs=0.03)


def test_channel_choice_depends_on_the_reason() -> None:
    d = _base(hours=60)
    d["channels"]["chat"] = {"kind": "chat"}
    d["segments"]["customers"]["channel_preference"] = {"phone": 0.5, "chat": 0.5}
    d["segments"]["customers"]["patience"]["chat"] = {"dist": "exponential", "mean": 600}
    d["reasons"]["claim"] = {"volume_per_day": 300, "handle_time": {"phone": {"dist": "exponential", "mean": 300},
                                                                    "chat": {"dist": "exponential", "mean": 300}}}
    d["reasons"]["question"]["handle_time"]["chat"] = {"dist": "exponential", "mean": 300}
    d["segments"]["customers"]["channel_preference_by_reason"] = {"claim": {"phone": 0.9, "chat": 0.1}}
    d["pools"]["agents"]["channels"] = ["phone", "chat"]
    n = run_one(d).needs
    claim, question = n[n["reason"] == "claim"], n[n["reason"] == "question"]
    assert (claim["channel"] == "phone").mean() == pytest.approx(0.9, abs=0.04)
    assert (question["channel"] == "phone").mean() == pytest.approx(0.5, abs=0.05)


def test_a_notification_creates_contacts_about_the_message() -> None:
    d = _base(hours=100)
    d["reasons"]["question"]["proactive"] = {"detected_share": 0.5, "satisfied_probability": 0.8,
                                             "question_probability": 0.25, "question_handle_time_factor": 0.5}
    res = run_one(d)
    n = res.needs
    satisfied = n[n["notified"] & (n["terminal"] == "proactive_resolved")]
    asked = n[n["about_notification"]]
    assert len(asked) / (len(asked) + len(satisfied)) == pytest.approx(0.25, abs=0.04)
    assert asked["need_id"].isin(res.contacts["need_id"]).all()
    d["reasons"]["question"]["proactive"]["question_probability"] = 0.0
    n0 = run_one(d).needs
    assert not n0["about_notification"].any()
    assert (n0["terminal"] == "proactive_resolved").sum() == len(asked) + len(satisfied)
    assert res.kpi("notification_contacts")["mean"] == len(asked)


def test_patience_varies_by_hour_of_day() -> None:
    d = _base(hours=96, lam=30, agents=1)
    d["segments"]["customers"]["patience"]["phone"] = {"dist": "deterministic", "value": 100}
    d["segments"]["customers"]["patience_by_hour"] = [0.5] * 12 + [2.0] * 12
    c = run_one(d).contacts
    ab = c[(c["outcome"] == "abandoned") & (c["kind"] == "first")]
    hour = (ab["arrival_at"] % 86400) // 3600
    np.testing.assert_allclose(ab.loc[hour < 12, "wait_s"], 50.0)
    np.testing.assert_allclose(ab.loc[hour >= 12, "wait_s"], 200.0)


def test_one_hour_of_day_for_first_contacts_and_follow_ups() -> None:
    """funnel.patience_factor and FollowUpFactors.patience_at read patience_by_hour through one hour_of_day,
    with the arithmetic each had before (bit for bit, at and around every hour boundary)."""
    from contactsim.scenario.timespec import DAY_S, hour_of_day

    t = np.concatenate([np.arange(0, 8 * DAY_S, 3600.0)[:, None] + np.array([-1e-7, 0.0, 1e-7, 0.5, 1799.9])]).ravel()
    t = t[t >= 0]
    for wd in (0, 3, 6):
        old_funnel = np.clip(((t + wd * DAY_S) % DAY_S // 3600).astype(np.int64), 0, 23)
        assert np.array_equal(hour_of_day(t, wd).astype(np.int64), old_funnel)
        assert [int(hour_of_day(x, wd)) for x in t.tolist()] == [
            int((x + wd * DAY_S) % DAY_S // 3600) % 24 for x in t.tolist()]


def test_segment_handle_time_factor_scales_handle_times() -> None:
    d = _base(hours=24)
    a = run_one(d).contacts
    d["segments"]["customers"]["handle_time_factor"] = 1.5
    b = run_one(d).contacts
    fa, fb = a[a["kind"] == "first"], b[b["kind"] == "first"]
    both = fa.merge(fb, on="need_id").dropna(subset=["handle_s_x", "handle_s_y"])
    np.testing.assert_allclose(both["handle_s_y"], 1.5 * both["handle_s_x"])


def test_several_paid_tiers_with_eligibility_fees_and_differentiation_cost() -> None:
    d = _base(hours=183)
    d["policies"] = {
        "premium": [
            {"name": "plus", "take_up": {"customers": 0.2}, "fee_per_month": 5, "fixed_cost_per_month": 1000},
            {"name": "gold", "take_up": {"customers": 0.1}, "fee_per_month": 15,
             "eligible": {"min_tenure_years": 5}},
        ],
        "differentiation_costs": [{"name": "crm_data", "per_month": 400}],
    }
    res = run_one(d)
    n = res.needs.drop_duplicates("customer_id")
    assert (n.loc[n["tier"] == 2, "tenure_years"] >= 5).all()
    assert (n["tier"] == 1).mean() == pytest.approx(0.2, abs=0.04)
    months = 183 / 24 / (365.25 / 12)
    assert res.kpi("fixed_cost_differentiation")["mean"] == pytest.approx(1400 * months)
    assert res.kpi("revenue")["mean"] > 0
    with pytest.raises(ScenarioError, match="add up to"):
        d["policies"]["premium"][1]["take_up"]["customers"] = 0.9
        build(d)


def test_steering_to_a_channel_that_does_not_serve_a_reason_leaves_that_reason_alone() -> None:
    """Regression (found by the fuzz test): steering every contact to an emergency line that serves one
    reason only sent the other reasons to a channel without a pool (IndexError). Now the rule cannot apply
    to them: they keep their own channel."""
    d = _base(hours=24)
    d["channels"]["card_line"] = {"kind": "phone"}
    d["segments"]["customers"]["patience"]["card_line"] = {"dist": "exponential", "mean": 300}
    d["reasons"]["card_stolen"] = {"volume_per_day": 100, "handle_time": {
        "card_line": {"dist": "exponential", "mean": 200}, "phone": {"dist": "exponential", "mean": 200}}}
    d["pools"] = {"card_team": {"channels": ["card_line"], "reasons": ["card_stolen"], "staffing": 2},
                  "agents": d["pools"]["agents"]}
    d["policies"] = {"steering": [{"offered_channels": ["card_line"]}]}
    n = run_one(d).needs
    stolen, other = n[n["reason"] == "card_stolen"], n[n["reason"] == "question"]
    assert (stolen["channel"] == "card_line").all() and stolen["steered"].all()
    assert (other["channel"] == "phone").all() and not other["steered"].any()


def test_segment_tenure_is_every_customers_tenure_without_a_population() -> None:
    """Issue 14 asked whether ``Segment.tenure_years`` is read at all: it is each customer's tenure in a segment
    without a population (and the default of a population without a tenure distribution), so tenure criteria
    (classes, ``serves``, tier eligibility) select on it — and the revenue from such a tier follows it."""
    from helpers import build, mmc_dict

    from contactsim.experiment import simulate

    def run(loyal_tenure: float):
        d = mmc_dict(120, 180, 8, hours=24, warmup_hours=1, replications=1)
        d["segments"] = {"loyal": {"share": 0.5, "channel_preference": {"phone": 1.0}, "tenure_years": loyal_tenure,
                                   "customers": 1000},
                         "new": {"share": 0.5, "channel_preference": {"phone": 1.0}, "tenure_years": 1,
                                 "customers": 1000}}
        d["policies"] = {"premium": [{"name": "gold", "take_up": {"loyal": 1.0, "new": 1.0}, "fee_per_month": 10,
                                      "eligible": {"min_tenure_years": 5}}]}
        return simulate(build(d), replications=1, workers=1)

    a, b = run(8.0), run(2.0)
    na, nb = a.needs, b.needs
    assert set(na.loc[na["segment"] == "loyal", "tenure_years"]) == {8.0}
    assert (na.loc[na["segment"] == "loyal", "tier"] == 1).all() and (na.loc[na["segment"] == "new", "tier"] == 0).all()
    assert (nb["tier"] == 0).all()  # at 2 years nobody is eligible
    assert a.kpi("revenue", segment="loyal")["mean"] > 0 == b.kpi("revenue", segment="loyal")["mean"]
