"""Strict non-preemptive priority: the best class waiting first, FCFS within a class.

``rank[segment][reason][profile]`` is the contact's class (0 = highest; the last class holds the
unmatched contacts), precomputed from the pool's class rules when the scenario is compiled.
"""

from __future__ import annotations

from collections.abc import Callable

from contactsim.contact import Contact
from contactsim.policies.base import HeapDiscipline
from contactsim.scenario.compiled import CompiledPool


class StrictPriority(HeapDiscipline):
    def __init__(self, rank: list, expire: Callable[[Contact], None]) -> None:
        super().__init__(expire)
        self.rank = rank

    def key(self, ct: Contact) -> tuple[float, float]:
        return self.rank[ct.seg][ct.rea][ct.prem], ct.arr

    @classmethod
    def from_pool(cls, cp: CompiledPool, expire: Callable[[Contact], None]) -> StrictPriority:
        return cls(cp.rank.tolist(), expire)
