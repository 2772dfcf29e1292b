"""Follow-up rules as units: a finished contact in, an action (or None) out — no SimPy, no engine."""

from __future__ import annotations

import math

from helpers import build, mmc_dict

from contactsim.contact import NEED_ABANDONED, REPEAT, RETRIAL, UNRESOLVED, Contact
from contactsim.policies.followups import Callback, Complaint, FollowUp, Misroute, Repeat, Retrial, Webcare
from contactsim.rng import keyed_uniforms
from contactsim.scenario.compiled import compile_scenario


def _compiled(**extra):
    d = mmc_dict(60, 300, 5, hours=10, warmup_hours=0, patience_s=120)
    d["segments"]["customers"]["retrial"] = {"probability": 0.5, "max_attempts": 3,
                                             "delay": {"dist": "deterministic", "value": 300}}
    d["reasons"]["question"]["repeat"] = {"probability": 0.9, "max_repeats": 2,
                                          "delay": {"dist": "deterministic", "value": 3600}}
    d.update(extra)
    return compile_scenario(build(d))


def _contact(us=(0.5,) * 5, attempt: int = 1, retr: int = 0, rep: int = 0, key: int = 7) -> Contact:
    return Contact(1, 1, 0, 0, 0, 100.0, 120.0, 300.0, 0, attempt, False, us, (0.0, 4, False, 1.0, 0.0),
                   [(0, 0.0)], math.nan, key, retr, rep)


def test_retrial_follows_its_probability_and_budget() -> None:
    rule = Retrial(_compiled())
    a = rule.after_abandon(_contact(us=(0.5, 0.4, 0.5, 0.5, 0.5)), 1000.0)
    assert isinstance(a, FollowUp) and a.kind == RETRIAL and a.at == 1300.0
    assert a.u == keyed_uniforms(7, 2, 10)  # the need's own numbers for its second contact
    assert rule.after_abandon(_contact(us=(0.5, 0.6, 0.5, 0.5, 0.5)), 1000.0) is None  # declines
    assert rule.after_abandon(_contact(us=(0.5, 0.4, 0.5, 0.5, 0.5), retr=2), 1000.0) is None  # 3 contacts used
    # a repeat contact starts a new episode: its retrial budget is whole again
    assert rule.after_abandon(_contact(us=(0.5, 0.4, 0.5, 0.5, 0.5), attempt=4, rep=2), 0.0) is not None


def test_repeat_uses_the_followups_own_go_uniform_and_the_repeat_budget() -> None:
    rule = Repeat(_compiled())
    hits = [rule.after_unresolved(_contact(key=k), 500.0) for k in range(400)]
    made = [h for h in hits if h is not None]
    assert all(h.kind == REPEAT and h.at == 4100.0 for h in made)
    assert 0.85 < len(made) / len(hits) < 0.95  # probability 0.9, from the keyed go/no-go uniform
    # the go/no-go is the follow-up's 10th number, asked for alone: the same decisions as drawing all ten
    assert [h is not None for h in hits] == [keyed_uniforms(k, 2, 10)[9] < 0.9 for k in range(400)]
    assert all(h.u == keyed_uniforms(k, 2, 10) for k, h in enumerate(hits) if h is not None)
    assert rule.after_unresolved(_contact(rep=2), 500.0) is None


def test_keyed_uniforms_from_any_first_number_are_the_same_numbers() -> None:
    for key, index in ((7, 2), (2**63 + 5, 1000), (0, 1)):
        whole = keyed_uniforms(key, index, 12)
        assert all(keyed_uniforms(key, index, n, first=f) == whole[f - 1:f - 1 + n]
                   for f in range(1, 12) for n in range(1, 13 - f))
        assert all(0.0 <= u < 1.0 for u in whole) and len(set(whole)) == 12


def test_webcare_complaint_and_case() -> None:
    d = mmc_dict(60, 300, 5, hours=10, warmup_hours=0, patience_s=120)
    d["channels"]["social"] = {"kind": "social", "abandonment": False}
    d["reasons"]["question"]["handle_time"]["social"] = {"dist": "deterministic", "value": 240}
    d["pools"]["webcare"] = {"channels": ["social"], "staffing": 1}
    d["webcare"] = {"complaint_probability_unresolved": 0.3, "complaint_probability_abandoned": 0.1,
                    "handle_time": {"dist": "deterministic", "value": 240}, "pool": "webcare"}
    rule = Webcare(compile_scenario(build(d)))
    c = rule.after_final(_contact(us=(0.5, 0.5, 0.5, 0.2, 0.5)), UNRESOLVED)
    assert isinstance(c, Complaint) and c.handle_s == 240.0 and c.delay_s == 600.0
    assert rule.after_final(_contact(us=(0.5, 0.5, 0.5, 0.2, 0.5)), NEED_ABANDONED) is None


def test_callback_offer_needs_a_long_predicted_wait_acceptance_and_time_before_closing() -> None:
    c = _compiled(policies={"callback": {"offer_when_wait_exceeds_s": 120, "acceptance": 0.5}})
    close = [lambda t: 1000.0]
    rule = Callback(c, close)
    ok = _contact(us=(0.5, 0.5, 0.5, 0.5, 0.3))
    assert rule.offer(ok, 200.0, 500.0)
    assert not rule.offer(ok, 100.0, 500.0)  # short predicted wait
    assert not rule.offer(ok, 600.0, 500.0)  # the call would come after closing
    assert not rule.offer(_contact(us=(0.5, 0.5, 0.5, 0.5, 0.7)), 200.0, 500.0)  # declines


def test_misroute_transfers_once() -> None:
    c = _compiled(policies={"ivr": {"duration": {"dist": "deterministic", "value": 10},
                                    "misroute_probability": 0.2, "transfer_time_s": 45}})
    rule = Misroute(c)
    ct = _contact()
    assert rule.transfer(ct) is None
    ct.misroute = True
    assert rule.transfer(ct) == 45.0 and rule.transfer(ct) is None
