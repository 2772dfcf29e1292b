"""Policies as small units the engine acts on: queue disciplines (push/pop) and follow-up rules (actions).

Each unit owns its data structure and is unit-tested on hand-made contacts without SimPy
(tests/unit/test_disciplines.py, tests/unit/test_follow_ups.py). ``make_discipline`` is the one place that
maps a pool's compiled discipline to its unit; adding a discipline is one module here, one line in
``DISCIPLINES`` and its test.
"""

from __future__ import annotations

from collections.abc import Callable

from contactsim.contact import Contact
from contactsim.policies.advisors import AdvisorQueues
from contactsim.policies.ageing import Ageing
from contactsim.policies.base import Discipline
from contactsim.policies.fcfs import Fcfs
from contactsim.policies.reserve import Reserve
from contactsim.policies.strict import StrictPriority
from contactsim.policies.weighted import WeightedShares
from contactsim.scenario.compiled import CompiledPool

DISCIPLINES: dict[str, Callable[[CompiledPool, Callable[[Contact], None]], Discipline]] = {
    "fcfs": Fcfs.from_pool,
    "priority": StrictPriority.from_pool,
    "ageing": Ageing.from_pool,
    "weighted": WeightedShares.from_pool,
    "advisors": AdvisorQueues.from_pool,
}


def make_discipline(cp: CompiledPool, expire: Callable[[Contact], None]) -> Discipline:
    """The pool's queue discipline (wrapped in its reserve, if it has one); ``expire(contact)`` settles a
    contact found past its patience deadline (lazy abandonment)."""
    inner = DISCIPLINES[cp.discipline](cp, expire)
    return Reserve.from_pool(cp, inner, expire) if cp.reserve_agents else inner


__all__ = ["DISCIPLINES", "AdvisorQueues", "Ageing", "Discipline", "Fcfs", "Reserve", "StrictPriority",
           "WeightedShares", "make_discipline"]
