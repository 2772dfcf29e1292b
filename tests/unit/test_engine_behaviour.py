"""Engine rules on small scenarios, each checked against the per-contact records."""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import mmc_dict, run_one, two_class_dict


def test_same_seed_same_customers_one_more_agent_never_lengthens_a_wait() -> None:
    """FCFS without abandonment: with common random numbers, every contact waits no longer with c+1."""
    d = mmc_dict(40, 300, 4, hours=30, warmup_hours=0)
    a = run_one(d).contacts
    d["pools"]["agents"]["staffing"] = 5
    b = run_one(d).contacts
    assert len(a) == len(b) and (a["arrival_at"].to_numpy() == b["arrival_at"].to_numpy()).all()
    assert (b["wait_s"].to_numpy() <= a["wait_s"].to_numpy() + 1e-9).all()
    assert b["wait_s"].sum() < a["wait_s"].sum()


def test_abandonment_happens_exactly_at_patience_and_frees_no_agent() -> None:
    d = mmc_dict(60, 600, 1, hours=5, warmup_hours=0, patience_s=60)
    d["segments"]["customers"]["patience"]["phone"] = {"dist": "deterministic", "value": 60}
    c = run_one(d).contacts
    ab = c[c["outcome"] == "abandoned"]
    assert len(ab) > 10
    np.testing.assert_allclose(ab["wait_s"], 60.0)
    assert ab["answered_at"].isna().all() and ab["pool"].isna().all()
    handled = c[c["outcome"] == "handled"]
    assert (handled["wait_s"] < 60.0 + 1e-9).all()
    # one agent: handled contacts never overlap in service
    s = handled.sort_values("answered_at")
    assert (s["answered_at"].to_numpy()[1:] >= (s["answered_at"] + s["handle_s"]).to_numpy()[:-1] - 1e-9).all()


def test_shift_end_agent_finishes_contact_in_hand_and_takes_no_new_one() -> None:
    d = mmc_dict(30, 900, 2, hours=8, warmup_hours=0)
    d["horizon"] = {"days": 1, "interval_minutes": 60, "drain_hours": 6}
    d["arrivals"] = {"intraday": [0] * 8 + [1 / 4] * 4 + [0] * 12}  # needs 08:00-12:00
    d["reasons"]["question"]["volume_per_day"] = 40
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [{"start": "08:00", "end": "12:00", "agents": 2}]}
    c = run_one(d).contacts
    end_shift = 12 * 3600
    started = c[c["answered_at"].notna()]
    assert (started["answered_at"] <= end_shift + 1e-9).all(), "no contact may start after the shift ended"
    finishing_late = started[started["answered_at"] + started["handle_s"] > end_shift]
    assert len(finishing_late) >= 1, "a contact in hand at shift end is finished, not dropped"
    assert (c.loc[c["answered_at"].isna(), "outcome"] == "unserved").all()


def test_strict_priority_low_class_never_overtakes_high() -> None:
    d = two_class_dict(30, 50, 300, 6, hours=40, warmup_hours=0)
    c = run_one(d).contacts
    high = c[c["segment"] == "high"]
    low = c[(c["segment"] == "low") & c["answered_at"].notna()]
    # the rule is only tested if low contacts are answered, many of them while high ones are around
    assert len(low) > 100, "no low-priority contact answered: the check below would pass trivially"
    h_arr, h_ans = high["arrival_at"].to_numpy(), high["answered_at"].to_numpy()
    busy = [((h_arr < t) & (h_ans > t - 600)).any() for t in low["answered_at"].to_numpy()]
    assert sum(busy) > 20, "too few low contacts answered near high-priority traffic to test the rule"
    for t in low["answered_at"].to_numpy():
        waiting_high = (h_arr < t) & (h_ans > t)
        assert not waiting_high.any(), f"a low contact started at {t} while a high one waited"


def test_ageing_bounds_low_priority_waits_that_strict_priority_lets_grow() -> None:
    d = two_class_dict(70, 30, 300, 9, hours=60, warmup_hours=0)  # rho ~ 0.93, mostly high priority
    strict = run_one(d).contacts
    d["pools"]["agents"]["discipline"]["ageing_s"] = 60.0
    aged = run_one(d).contacts
    lo_s = strict.loc[strict["segment"] == "low", "wait_s"]
    lo_a = aged.loc[aged["segment"] == "low", "wait_s"]
    assert lo_a.max() < 0.7 * lo_s.max()
    assert lo_a.mean() < lo_s.mean()
    # the rule itself: a high contact may overtake a waiting low one only if it arrived < 60 s after it
    high = aged[aged["segment"] == "high"]
    h_arr, h_ans = high["arrival_at"].to_numpy(), high["answered_at"].to_numpy()
    low = aged[(aged["segment"] == "low") & aged["answered_at"].notna()]
    for arr, ans in zip(low["arrival_at"].to_numpy(), low["answered_at"].to_numpy(), strict=True):
        overtook = (h_ans > arr) & (h_ans < ans) & (h_arr > arr + 60.0 + 1e-9)
        assert not overtook.any()


def test_reserved_agents_never_serve_other_contacts_below_threshold() -> None:
    d = two_class_dict(40, 60, 300, 8, hours=30, warmup_hours=0)
    d["pools"]["agents"]["discipline"] = {"type": "fcfs"}
    d["pools"]["agents"]["reserve"] = {"agents": 2, "for_class": {"segments": ["high"]}}
    c = run_one(d).contacts
    low = c[(c["segment"] == "low") & c["answered_at"].notna()]
    hand = c[c["answered_at"].notna()]
    start = hand["answered_at"].to_numpy()
    end = (hand["answered_at"] + hand["handle_s"] + hand["acw_s"]).to_numpy()
    for t, cid in zip(low["answered_at"].to_numpy(), low["contact_id"].to_numpy(), strict=True):
        others = hand["contact_id"].to_numpy() != cid
        busy_before = int(((start < t) & (end > t) & others).sum() + ((start == t) & others & (end > t)).sum())
        idle_before = 8 - busy_before
        assert idle_before > 2, f"low contact {cid} took one of the 2 reserved agents at t={t}"


def test_overflow_exactly_after_threshold_with_handle_time_penalty() -> None:
    d = mmc_dict(50, 300, 3, hours=40, warmup_hours=0)
    d["pools"] = {
        "dedicated": {"channels": ["phone"], "staffing": 3},
        "backup": {"channels": ["phone"], "staffing": 2, "takes_overflow_after_s": 45, "handle_time_factor": 1.5},
    }
    c = run_one(d).contacts
    backup = c[c["pool"] == "backup"]
    assert len(backup) > 20
    assert (backup["wait_s"] >= 45.0 - 1e-9).all()
    assert (c[c["pool"] == "dedicated"]["wait_s"] >= 0).all()
    # some overflow is taken at exactly the threshold (a backup agent was free)
    assert np.isclose(backup["wait_s"], 45.0).sum() > 5
    # penalty: same customers' base handle time x 1.5 in the backup pool
    base = run_one({**d, "pools": {"dedicated": {"channels": ["phone"], "staffing": 3}}}).contacts
    ratio = backup["handle_s"].mean() / base["handle_s"].mean()
    assert 1.3 < ratio < 1.7


def test_chat_with_concurrency_one_behaves_like_phone() -> None:
    d = mmc_dict(40, 300, 4, hours=30, warmup_hours=0, patience_s=200)
    phone = run_one(d).contacts
    d["channels"]["phone"]["kind"] = "chat"
    chat = run_one(d).contacts
    pd.testing.assert_series_equal(phone["wait_s"], chat["wait_s"])
    pd.testing.assert_series_equal(phone["outcome"], chat["outcome"])


def test_chat_concurrency_lets_an_agent_hold_k_chats_with_stretched_handle_time() -> None:
    d = mmc_dict(60, 300, 2, hours=20, warmup_hours=0)
    d["channels"]["phone"].update({"kind": "chat", "concurrency": 3, "concurrency_stretch": 0.2})
    c = run_one(d).contacts
    s = c.sort_values("answered_at")
    start, end = s["answered_at"].to_numpy(), (s["answered_at"] + s["handle_s"]).to_numpy()
    in_service = max(int(((start <= t) & (end > t)).sum()) for t in start)
    assert in_service == 6  # 2 agents x 3 chats at the busiest moment, never more
    assert c["handle_s"].mean() > 300 * 1.05


def test_email_backlog_deterministic_first_in_first_out() -> None:
    d = mmc_dict(10, 600, 1, hours=8)
    d["channels"]["phone"] = {"kind": "email", "abandonment": False, "sla_hours": 8}
    d["horizon"] = {"days": 1, "interval_minutes": 60, "drain_hours": 24}
    d["arrivals"] = {"intraday": [1 / 8] * 8 + [0] * 16}  # e-mails arrive 00:00-08:00 while nobody works
    d["reasons"]["question"] = {"volume_per_day": 20, "handle_time": {"phone": {"dist": "deterministic", "value": 600}}}
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [{"start": "08:00", "end": "17:00", "agents": 1}]}
    c = run_one(d, seed=3).contacts.sort_values("arrival_at")
    n = len(c)
    assert n > 5
    expected = 8 * 3600 + 600.0 * np.arange(n)  # answered back to back from 08:00, in arrival order
    np.testing.assert_allclose(c["answered_at"].to_numpy(), expected)
    assert (c["outcome"] == "handled").all()


def test_store_is_only_served_while_open_and_closed_hours_defer() -> None:
    d = mmc_dict(20, 600, 3, hours=24)
    d["channels"]["phone"] = {"kind": "store", "opening_hours": {"mon-sat": "09:00-17:00"}, "abandonment": False}
    d["horizon"] = {"days": 2, "interval_minutes": 60, "drain_hours": 0}
    d["arrivals"] = {"intraday": [1 / 24] * 24}
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [{"start": "09:00", "end": "17:00", "agents": 3}]}
    c = run_one(d).contacts
    tod = c["arrival_at"] % 86400
    assert ((tod >= 9 * 3600) & (tod < 17 * 3600)).all(), "nobody queues at a closed store"
    ans = c["answered_at"].dropna() % 86400
    assert ((ans >= 9 * 3600) & (ans <= 17 * 3600)).all()


def test_repeat_contacts_come_back_after_the_configured_delay() -> None:
    d = mmc_dict(10, 120, 3, hours=20, warmup_hours=0)
    d["reasons"]["question"]["fcr"] = {"phone": 0.0}
    d["reasons"]["question"]["repeat"] = {"probability": 1.0, "delay": {"dist": "deterministic", "value": 3600},
                                          "max_repeats": 1}
    res = run_one(d)
    c = res.contacts
    first = c[c["kind"] == "first"].set_index("need_id")
    rep = c[c["kind"] == "repeat"].set_index("need_id")
    assert len(rep) > 50
    joined = rep.join(first.add_suffix("_first"))
    np.testing.assert_allclose(joined["arrival_at"], joined["end_at_first"] + 3600.0)
    assert (res.needs.loc[res.needs["repeats"] == 1, "terminal"] == "unresolved").all()


def test_misroute_adds_a_transfer_and_a_second_wait() -> None:
    d = mmc_dict(40, 300, 4, hours=20, warmup_hours=0)
    d["policies"] = {"ivr": {"duration": {"dist": "deterministic", "value": 20}, "misroute_probability": 0.3,
                             "transfer_time_s": 30}}
    c = run_one(d).contacts
    mis = c[c["transfers"] == 1]
    ok = c[c["transfers"] == 0]
    assert 0.2 < len(mis) / len(c) < 0.4
    assert (c["ivr_s"] == 20).all()
    # a misrouted contact spent the transfer talk in the system before its real answer
    assert (mis["answered_at"] - mis["arrival_at"] >= 30 - 1e-9).all()
    assert mis["wait_s"].mean() > ok["wait_s"].mean()


def test_members_only_pool_serves_premium_members_and_nobody_else() -> None:
    d = mmc_dict(60, 300, 5, hours=20, warmup_hours=0)
    d["policies"] = {"premium": {"take_up": {"customers": 0.3}, "fee_per_month": 5.0}}
    d["pools"] = {
        "plus_line": {"channels": ["phone"], "staffing": 2, "members_only": True},
        "agents": {"channels": ["phone"], "staffing": 5, "takes_overflow_after_s": 30},
    }
    c = run_one(d).contacts
    plus = c[c["pool"] == "plus_line"]
    assert len(plus) > 50 and plus["premium"].all()
    members_elsewhere = c[(c["pool"] == "agents") & c["premium"]]
    assert (members_elsewhere["wait_s"] >= 30 - 1e-9).all()  # members reach the general pool only as overflow
    assert c.loc[c["premium"], "wait_s"].mean() < c.loc[~c["premium"], "wait_s"].mean()


def test_weighted_shares_split_the_agents_by_weight_while_both_classes_wait() -> None:
    d = two_class_dict(60, 60, 300, 5, hours=20, warmup_hours=0)  # 2x overloaded: both classes always wait
    d["pools"]["agents"]["discipline"] = {"type": "weighted", "classes": [{"segments": ["high"]}],
                                          "weights": [3.0, 1.0]}
    c = run_one(d).contacts
    # while both classes are backlogged (inside the 20-hour horizon; the drain after it serves the rest)
    served = c[(c["answered_at"] > 3600) & (c["answered_at"] < 20 * 3600)]
    share_high = (served["segment"] == "high").mean()
    assert abs(share_high - 0.75) < 0.03
    # first come first served inside a class
    for seg in ("high", "low"):
        s = served[served["segment"] == seg].sort_values("answered_at")
        assert s["arrival_at"].is_monotonic_increasing


def test_weighted_discipline_needs_one_weight_per_class_plus_one() -> None:
    import pytest
    from helpers import build

    from contactsim.errors import ScenarioError

    d = two_class_dict(30, 30, 300, 5)
    d["pools"]["agents"]["discipline"] = {"type": "weighted", "classes": [{"segments": ["high"]}], "weights": [3.0]}
    with pytest.raises(ScenarioError, match="one weight per class plus one"):
        build(d)
