"""First come, first served: the contact that entered the queue (leg) first is served first."""

from __future__ import annotations

import heapq
from collections.abc import Callable

from contactsim.contact import Contact
from contactsim.policies.base import HeapDiscipline
from contactsim.scenario.compiled import CompiledPool


class Fcfs(HeapDiscipline):
    def key(self, ct: Contact) -> tuple[float, float]:
        return 0, ct.arr

    def push(self, ct: Contact, now: float) -> None:
        """``HeapDiscipline.push`` with the key inlined (the most common discipline, once per queued contact)."""
        heapq.heappush(self.heap, (0, ct.arr, next(self.seq), ct, ct.leg))

    @classmethod
    def from_pool(cls, cp: CompiledPool, expire: Callable[[Contact], None]) -> Fcfs:
        return cls(expire)
