"""Queue disciplines as units: push hand-made contacts, pop at given times — no SimPy, no scenario run."""

from __future__ import annotations

import math

import pytest

from contactsim.contact import SERVED, WAITING, Contact
from contactsim.policies import Ageing, Fcfs, Reserve, StrictPriority, WeightedShares

# rank tables are [segment][reason][premium]: segment 0 is class 0 (high), segment 1 class 1 (the rest)
RANK = [[[0, 0]], [[1, 1]]]


def contact(cid: int, arr: float, seg: int = 0, deadline: float = math.inf) -> Contact:
    ct = Contact(cid, cid, seg, 0, 0, arr, math.inf, 60.0, 0, 1, False, (0.5,) * 5, (arr, 4, False, 1.0, 0.0),
                 [(0, 0.0)])
    ct.state = WAITING
    ct.leg = 1
    ct.deadline = deadline
    return ct


def drain(d, now: float = 1e9) -> list[int]:
    out = []
    while (ct := d.pop(now)) is not None:
        ct.state = SERVED
        out.append(ct.id)
    return out


def test_fcfs_serves_in_order_of_queueing_and_skips_stale_entries() -> None:
    expired: list[int] = []
    d = Fcfs(lambda ct: expired.append(ct.id))
    cs = [contact(i, t) for i, t in enumerate([5.0, 1.0, 3.0, 2.0])]
    for c in cs:
        d.push(c, c.arr)
    cs[3].state = SERVED  # served by another pool meanwhile: its entry here is stale
    cs[2].leg = 2  # requeued (a new leg): the old entry is stale
    assert drain(d) == [1, 0]
    assert expired == []


def test_lazy_abandonment_is_settled_by_pop_and_a_tie_is_served() -> None:
    expired: list[int] = []
    d = Fcfs(lambda ct: expired.append(ct.id))
    a, b, c = contact(0, 0.0, deadline=50.0), contact(1, 1.0, deadline=100.0), contact(2, 2.0, deadline=200.0)
    for x in (a, b, c):
        d.push(x, x.arr)
    got = d.pop(100.0)  # a is past its deadline; b reaches its patience exactly now: served (tie rule)
    assert got is b and expired == [0]


def test_strict_priority_serves_the_best_class_then_fcfs() -> None:
    d = StrictPriority(RANK, lambda ct: None)
    for c in (contact(0, 1.0, seg=1), contact(1, 5.0, seg=0), contact(2, 0.5, seg=1), contact(3, 9.0, seg=0)):
        d.push(c, c.arr)
    assert drain(d) == [1, 3, 2, 0]


def test_ageing_lets_an_old_low_contact_ahead_of_a_recent_high_one() -> None:
    d = Ageing(RANK, [60.0, 0.0], lambda ct: None)  # class 0 ranks 60 s of waiting ahead of class 1
    low, high_late, high_early = contact(0, 0.0, seg=1), contact(1, 70.0, seg=0), contact(2, 30.0, seg=0)
    for c in (low, high_late, high_early):
        d.push(c, c.arr)
    # keys: low 0, high_early 30 - 60 = -30, high_late 70 - 60 = 10
    assert drain(d) == [2, 0, 1]


def test_weighted_shares_follow_the_weights_while_both_classes_wait() -> None:
    d = WeightedShares(RANK, [3.0, 1.0], lambda ct: None)
    for i in range(40):
        c = contact(i, float(i), seg=i % 2)
        d.push(c, c.arr)
    first = [d.pop(100.0) for _ in range(20)]
    high = sum(1 for c in first if c.seg == 0)
    assert high == 15  # 3:1 exactly
    assert [c.id for c in first if c.seg == 1] == sorted(c.id for c in first if c.seg == 1)  # FCFS in a class


def test_weighted_expires_contacts_past_their_deadline() -> None:
    expired: list[int] = []
    d = WeightedShares(RANK, [1.0, 1.0], lambda ct: expired.append(ct.id))
    d.push(contact(0, 0.0, seg=0, deadline=10.0), 0.0)
    d.push(contact(1, 1.0, seg=1), 1.0)
    assert d.pop(20.0).id == 1 and expired == [0]


def test_reserve_serves_only_reserved_contacts_when_asked_and_keeps_the_inner_order() -> None:
    reserved = [[[True, True]], [[False, False]]]  # segment 0 reserved
    inner = StrictPriority([[[1, 1]], [[0, 0]]], lambda ct: None)  # but segment 1 has priority
    d = Reserve(inner, reserved, lambda ct: None)
    cs = [contact(0, 0.0, seg=0), contact(1, 1.0, seg=1), contact(2, 2.0, seg=0)]
    for c in cs:
        d.push(c, c.arr)
    got = d.pop(10.0, reserved_only=True)
    assert got.id == 0
    got.state = SERVED
    assert d.pop(10.0).id == 1  # the inner discipline: priority first
    d.pop(10.0).state = SERVED  # contact 2
    assert d.pop(10.0, reserved_only=True) is None  # the stale reserved entry of contact 2 is skipped


@pytest.mark.parametrize("make", [lambda: Fcfs(lambda c: None), lambda: StrictPriority(RANK, lambda c: None),
                                  lambda: Ageing(RANK, [30.0, 0.0], lambda c: None),
                                  lambda: WeightedShares(RANK, [1.0, 2.0], lambda c: None)])
def test_every_discipline_hands_out_each_waiting_contact_exactly_once(make) -> None:
    d = make()
    for i in range(25):
        c = contact(i, float(i * 7 % 25), seg=i % 2)
        d.push(c, c.arr)
    assert sorted(drain(d)) == list(range(25))
    assert d.pop(1e9) is None
