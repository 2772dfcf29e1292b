"""Issue 16 engine behaviours, each checked on per-contact records: account managers (own advisor,
continuity wait / message / fallback), queue caps and balking, channel switch on follow-ups, proficiency
per pool x reason, the segment's resolution factor and escalation to a second line. The pure rules
(policies/omnichannel.py, policies/skills.py, policies/advisors.py) are also tested on their own, without a
simulation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from helpers import mmc_dict, run_one

from contactsim.policies.omnichannel import ChannelSwitch, QueueCaps
from contactsim.policies.skills import Escalation


def _am(continuity: str, *, lam: float = 30, advisors: int = 3, general: int = 2, hours: float = 60) -> dict[str, Any]:
    d = mmc_dict(lam, 400, general, hours=hours, warmup_hours=0, patience_s=900)
    d["segments"]["customers"].update(relationship="account_manager", population={"size": 100 * advisors})
    d["relationships"] = {"account_manager": {"pool": "advisors", "customers_per_advisor": 100,
                                              "continuity": continuity, "fallback_after_s": 120}}
    d["pools"] = {"advisors": {"channels": ["phone"], "staffing": advisors}, "agents": d["pools"]["agents"]}
    return d


def _served_by_advisors(res):
    c = res.contacts
    adv = res.needs.set_index("need_id").loc[c["need_id"], "advisor"].to_numpy()
    return c, adv


def test_account_manager_customer_is_served_by_own_advisor_unless_fallback_fires() -> None:
    res = run_one(_am("fallback"))
    c, adv = _served_by_advisors(res)
    at_adv = (c["pool"] == "advisors").to_numpy()
    assert at_adv.sum() > 200
    assert (c["agent"].to_numpy()[at_adv] == adv[at_adv]).all(), "an advisor serves only their own customers"
    team = (c["pool"] == "agents").to_numpy()
    assert team.sum() > 20, "busy advisors: the fallback fires"
    assert (c["wait_s"].to_numpy()[team] >= 120.0 - 1e-9).all(), "the team takes over only after the wait"
    # one customer, several contacts: the same advisor every time it is not a fallback
    per_customer = res.needs.set_index("need_id").loc[c.loc[at_adv, "need_id"], "customer_id"].to_numpy()
    agents = c.loc[at_adv, "agent"].to_numpy()
    for cust in np.unique(per_customer)[:50]:
        assert len(set(agents[per_customer == cust])) == 1


def test_continuity_wait_never_uses_the_team_and_message_never_abandons() -> None:
    res = run_one(_am("wait", lam=25))
    c, adv = _served_by_advisors(res)
    assert (c["pool"].dropna() == "advisors").all()
    served = c["pool"].notna().to_numpy()
    assert (c["agent"].to_numpy()[served] == adv[served]).all()
    assert (c["outcome"] == "abandoned").any(), "waiting for the own advisor, some give up"
    msg = run_one(_am("message", lam=25)).contacts
    first = msg[msg["kind"] == "first"]
    assert not (first["outcome"] == "abandoned").any(), "a message is called back, never abandoned"
    assert first.loc[first["wait_s"] > 0, "callback"].all()


def test_balked_contact_never_enters_the_queue_and_is_counted() -> None:
    d = mmc_dict(40, 300, 2, hours=40, warmup_hours=0, patience_s=600)
    d["pools"]["agents"]["queue_cap"] = 3
    res = run_one(d)
    c = res.contacts
    balked = c[c["balked"]]
    assert len(balked) > 50
    assert (balked["wait_s"] == 0).all() and balked["answered_at"].isna().all()
    assert (balked["outcome"] == "abandoned").all() and balked["pool"].isna().all()
    queued = c[~c["balked"]]
    start = queued["arrival_at"].to_numpy()
    leave = np.where(queued["answered_at"].notna(), queued["answered_at"], queued["end_at"]).astype(float)
    for t in balked["arrival_at"].to_numpy()[:200]:
        waiting = int(((start < t) & (leave > t)).sum())
        assert waiting >= 3, f"balked at {t} with only {waiting} waiting"
    # nobody queued found the queue full
    for t in queued["arrival_at"].to_numpy()[:400]:
        assert int(((start < t) & (leave > t)).sum()) <= 3
    assert res.kpi("balked", channel="phone")["mean"] == len(balked)
    d["pools"]["agents"]["queue_cap"] = None
    assert not run_one(d).contacts["balked"].any()


def test_channel_switch_moves_the_follow_up_to_the_other_channel() -> None:
    d = mmc_dict(60, 300, 2, hours=40, warmup_hours=0, patience_s=60)
    d["channels"]["chat"] = {"kind": "chat", "abandonment": True}
    d["segments"]["customers"]["channel_preference"] = {"phone": 1.0, "chat": 0.0}
    d["segments"]["customers"]["channel_preference_by_reason"] = {"question": {"phone": 0.99, "chat": 0.01}}
    d["segments"]["customers"]["patience"]["chat"] = {"dist": "exponential", "mean": 600}
    d["segments"]["customers"]["retrial"] = {"probability": 1.0, "delay": {"dist": "exponential", "mean": 300},
                                             "max_attempts": 2}
    d["segments"]["customers"]["channel_switch"] = {"phone": 1.0}
    d["reasons"]["question"]["handle_time"]["chat"] = {"dist": "exponential", "mean": 300}
    d["pools"]["agents"]["channels"] = ["phone"]
    d["pools"]["chat_team"] = {"channels": ["chat"], "staffing": 2}
    c = run_one(d).contacts
    retrials = c[c["kind"] == "retrial"]
    prev = c.set_index(["need_id", "attempt"])["channel"]
    before = prev.loc[list(zip(retrials["need_id"], retrials["attempt"] - 1, strict=True))].to_numpy()
    after = retrials["channel"].to_numpy()
    assert (before == "phone").sum() > 30
    assert (after[before == "phone"] == "chat").all(), "every follow-up after a phone contact switched"
    assert (after[before == "chat"] == "chat").all(), "no switch away from chat (probability 0)"
    assert (retrials.loc[retrials["channel"] == "chat", "pool"].dropna() == "chat_team").all()
    d["segments"]["customers"]["channel_switch"] = {"phone": 0.0}
    c0 = run_one(d).contacts
    assert (c0.loc[c0["kind"] == "retrial", "channel"] == "phone").all()


def test_channel_switch_rule_on_its_own() -> None:
    sw = ChannelSwitch(probability=[[0.5, 0.0, 0.0]], weights=[[[0.5, 0.3, 0.2]]])
    assert sw.choose(0, 0, 0, 0.6, 0.1) == 0, "no switch above the probability"
    assert sw.choose(0, 0, 0, 0.1, 0.1) == 1
    assert sw.choose(0, 0, 0, 0.1, 0.7) == 2, "0.7 of the remaining 0.5 weight falls on channel 2"
    assert sw.choose(0, 0, 1, 0.0, 0.5) == 1, "probability 0 on channel 1"


def test_proficiency_sets_handle_time_and_resolution_per_pool_and_reason() -> None:
    d = mmc_dict(20, 300, 3, hours=40, warmup_hours=0)
    a = run_one(d).contacts
    d["pools"]["agents"]["proficiency"] = {"question": {"handle_time_factor": 1.5, "fcr": 0.0}}
    d["reasons"]["question"]["repeat"] = {"max_repeats": 0}
    b = run_one(d).contacts
    fa, fb = a[a["kind"] == "first"].set_index("need_id"), b[b["kind"] == "first"].set_index("need_id")
    both = fa.add_suffix("_a").join(fb.add_suffix("_b")).dropna(subset=["handle_s_a", "handle_s_b"])
    np.testing.assert_allclose(both["handle_s_b"], 1.5 * both["handle_s_a"])
    assert not fb["resolved"].any()


def test_segment_resolution_factor_raises_first_contact_resolution() -> None:
    d = mmc_dict(20, 300, 3, hours=80, warmup_hours=0)
    d["reasons"]["question"]["fcr"] = {"phone": 0.5}
    d["reasons"]["question"]["repeat"] = {"max_repeats": 0}
    base = run_one(d).contacts
    assert base["resolved"].mean() == pytest.approx(0.5, abs=0.05)
    d["segments"]["customers"]["resolution_factor"] = 1.6
    thorough = run_one(d).contacts
    assert thorough["resolved"].mean() == pytest.approx(0.8, abs=0.05)
    was = base.set_index("contact_id")["resolved"]
    now = thorough.set_index("contact_id")["resolved"]
    assert (now[was.index] >= was).all(), "same uniforms: nobody resolved before is unresolved now"


def test_escalation_hands_the_contact_to_the_second_line_after_the_transfer() -> None:
    d = mmc_dict(20, 300, 3, hours=40, warmup_hours=0)
    d["reasons"]["complex"] = {"volume_per_day": 120, "handle_time": {"phone": {"dist": "exponential", "mean": 300}}}
    d["pools"]["agents"]["escalation"] = {"to_pool": "second_line", "probability": 1.0, "reasons": ["complex"],
                                          "transfer_time_s": 45, "handle_time_factor": 2.0}
    d["pools"]["second_line"] = {"channels": ["phone"], "staffing": 2, "reasons": ["complex"],
                                 "takes_overflow_after_s": None}
    c = run_one(d).contacts
    first = c[(c["reason"] == "complex") & (c["kind"] == "first") & c["answered_at"].notna()]
    assert len(first) > 50 and first["escalated"].all() and not first["resolved"].any()
    assert (first["pool"] == "agents").all()
    esc = c[c["kind"] == "escalation"].set_index("need_id")
    e = esc.loc[first["need_id"]]
    np.testing.assert_allclose(e["arrival_at"].to_numpy(), first["end_at"].to_numpy())
    assert (e["pool"].dropna() == "second_line").all()
    other = c[c["reason"] == "question"]
    assert not other["escalated"].any()


def test_queue_cap_rule_on_its_own() -> None:
    caps = QueueCaps([3, None])
    assert not caps.balks(0, 2) and caps.balks(0, 3) and not caps.balks(1, 10**6) and caps.any
    assert not QueueCaps([None]).any


def test_escalation_rule_on_its_own() -> None:
    e = Escalation(to_pool=1, probability=0.3, reasons=frozenset({2}), transfer_s=30, handle_factor=1.0)
    assert e.escalates(2, 0.29) and not e.escalates(2, 0.3) and not e.escalates(1, 0.0)


@pytest.mark.parametrize(("change", "fragment"), [
    (lambda d: d["segments"]["customers"].pop("population"), "segments.customers.population"),
    (lambda d: d["pools"]["advisors"].update(staffing=2), "pools.advisors.staffing"),
    (lambda d: d["relationships"]["account_manager"].update(pool="nobody"), "relationships.account_manager.pool"),
    (lambda d: d["pools"]["agents"].update(escalation={"to_pool": "agents", "probability": 0.1}),
     "escalates to itself"),
    (lambda d: d["segments"]["customers"].update(channel_switch={"fax": 0.5}), "segments.customers.channel_switch"),
    (lambda d: d["segments"]["customers"].update(patience_by_hour=[1.0] * 23), "patience_by_hour"),
])
def test_bad_domain_settings_name_the_field_and_the_fix(change, fragment) -> None:
    from helpers import build

    from contactsim.errors import ScenarioError

    d = _am("fallback")
    change(d)
    with pytest.raises(ScenarioError) as e:
        build(d)
    assert fragment in str(e.value) and "fix" in str(e.value)


def test_a_second_line_never_escalates_again() -> None:
    """Two pools escalating to each other: a contact is escalated once, then resolved or repeated."""
    d = mmc_dict(20, 300, 3, hours=30, warmup_hours=0)
    d["pools"]["agents"]["escalation"] = {"to_pool": "second_line", "probability": 1.0}
    d["pools"]["second_line"] = {"channels": ["phone"], "staffing": 3, "takes_overflow_after_s": None,
                                 "escalation": {"to_pool": "agents", "probability": 1.0}}
    c = run_one(d).contacts
    esc = c[c["kind"] == "escalation"]
    assert len(esc) > 50 and not esc["escalated"].any()
    assert (esc["pool"].dropna() == "second_line").all()


def test_advisor_queues_serve_each_advisor_their_own_customers_first_come_first_served() -> None:
    """The account managers' discipline as a unit: no SimPy, hand-made contacts."""
    import math

    from contactsim.contact import SERVED, WAITING, Contact
    from contactsim.policies import AdvisorQueues

    def contact(cid: int, arr: float, advisor: int, deadline: float = math.inf) -> Contact:
        ct = Contact(cid, cid, 0, 0, 0, arr, math.inf, 60.0, 0, 1, 1, (0.5,) * 5, (arr, 4, False, 1.0, 0.0),
                     [(0, 0.0)])
        ct.state, ct.leg, ct.deadline, ct.advisor = WAITING, 1, deadline, advisor
        return ct

    expired: list[int] = []
    q = AdvisorQueues(lambda ct: expired.append(ct.id))
    cs = [contact(0, 5.0, 1), contact(1, 1.0, 0), contact(2, 2.0, 1), contact(3, 3.0, 0, deadline=4.0)]
    for c in cs:
        q.push(c, c.arr)
    assert q.pop(10.0) is None, "nobody but the own advisor may take a contact"
    assert q.pop_for(2, 10.0) is None
    got = []
    while (ct := q.pop_for(1, 10.0)) is not None:
        ct.state = SERVED
        got.append(ct.id)
    assert got == [2, 0]
    first = q.pop_for(0, 10.0)
    assert first is not None and first.id == 1
    first.state = SERVED
    assert q.pop_for(0, 10.0) is None and expired == [3], "past its patience: settled, not served"
