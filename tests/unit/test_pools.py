"""Agent pools as a unit: groups joining and leaving, who goes home, overtime — no SimPy."""

from __future__ import annotations

from helpers import build, mmc_dict

from contactsim.policies import Fcfs
from contactsim.pools import AgentPool
from contactsim.scenario.compiled import compile_scenario


def _pool(k: int = 1) -> AgentPool:
    d = mmc_dict(10, 300, 2, hours=10, warmup_hours=0)
    if k > 1:
        d["channels"]["phone"].update({"kind": "chat", "concurrency": k})
    cp = compile_scenario(build(d)).pool_defs[0]
    return AgentPool(cp, Fcfs(lambda ct: None))


def test_a_leaving_group_sends_home_its_own_agents_idle_ones_at_once() -> None:
    p = _pool()
    p.join(0, 2)  # early shift: agents 0, 1
    p.join(1, 2)  # late shift: agents 2, 3
    assert p.staffed == 4 and p.n_idle_agents == 4
    busy = p.groups[0][0]  # an early-shift agent in a contact at the shift end
    p.free[0].discard(busy)
    p.n_idle_agents -= 1
    p.load[busy] = 1
    early = set(p.groups[0])
    p.leave(0, 2, now=100.0)
    assert p.staffed == 2
    assert all(not p.on[a] for a in early) and all(p.on[a] for a in p.groups[1])
    free_now = set().union(*p.free)
    assert free_now.isdisjoint(early)  # nobody of the early shift takes a new contact
    assert p.n_idle_agents == 2 and busy not in p.spare  # the idle early agent left at once, the busy one not
    p.load[busy] = 0  # it finishes its contact, then leaves: that time is overtime on duty
    p.off_duty_done(busy, 160.0)
    assert p.overtime == [(100.0, 160.0)] and busy in p.spare


def test_agent_numbers_are_reused_and_a_change_touches_only_the_agents_it_moves() -> None:
    p = _pool()
    p.join(0, 3)
    p.leave(0, 3, now=10.0)
    assert sorted(p.spare) == [0, 1, 2] and p.staffed == 0 and p.n_idle_agents == 0
    p.join(1, 2)
    assert len(p.load) == 3  # no new numbers while spare ones exist
    p.join(2, 1000)
    before = {a: (p.on[a], p.load[a]) for a in p.groups[1]}
    p.leave(2, 1000, now=20.0)
    assert {a: (p.on[a], p.load[a]) for a in p.groups[1]} == before
    assert p.staffed == 2


def test_chat_agents_are_free_while_they_have_room() -> None:
    p = _pool(k=3)
    p.join(0, 1)
    a = p.take_agent()
    p.load[a] = 1
    p.free[1].add(a)
    assert p.has_free() and p.take_agent() == a
