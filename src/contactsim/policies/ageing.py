"""Priority with ageing: class r ranks ``ageing_s`` x (classes below it) seconds of waiting ahead.

A contact is served in order of arrival time minus its class's head start, so a low-priority contact
can be overtaken only by a higher one that arrived less than ``ageing_s`` x the rank difference after
it: nobody starves.
"""

from __future__ import annotations

from collections.abc import Callable

from contactsim.contact import Contact
from contactsim.policies.base import HeapDiscipline
from contactsim.scenario.compiled import CompiledPool


class Ageing(HeapDiscipline):
    def __init__(self, rank: list, headstart: list[float], expire: Callable[[Contact], None]) -> None:
        super().__init__(expire)
        self.rank = rank
        self.headstart = headstart

    def key(self, ct: Contact) -> tuple[float, float]:
        return 0, ct.arr - self.headstart[self.rank[ct.seg][ct.rea][ct.prem]]

    @classmethod
    def from_pool(cls, cp: CompiledPool, expire: Callable[[Contact], None]) -> Ageing:
        return cls(cp.rank.tolist(), cp.headstart.tolist(), expire)
