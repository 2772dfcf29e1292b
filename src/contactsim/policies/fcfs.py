"""First come, first served: the contact that entered the queue (leg) first is served first."""

from __future__ import annotations

from collections.abc import Callable

from contactsim.contact import Contact
from contactsim.policies.base import HeapDiscipline
from contactsim.scenario.compiled import CompiledPool


class Fcfs(HeapDiscipline):
    def key(self, ct: Contact) -> tuple[float, float]:
        return 0, ct.arr

    @classmethod
    def from_pool(cls, cp: CompiledPool, expire: Callable[[Contact], None]) -> Fcfs:
        return cls(expire)
