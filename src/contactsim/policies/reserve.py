"""Reserved capacity: while few agents are idle, only contacts of the reserved class are served.

Wraps the pool's own discipline: every contact goes to it, reserved-class contacts also to a second
heap in the same order. ``pop(reserved_only=True)`` (the engine asks so while ``reserve.agents`` or
fewer agents are idle) serves from that heap only; a contact served from one heap leaves a stale entry
in the other, skipped later.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator

from contactsim.contact import Contact
from contactsim.policies.base import Discipline, Entry, pop_live
from contactsim.scenario.compiled import CompiledPool


class Reserve:
    def __init__(self, inner: Discipline, reserved: list, expire: Callable[[Contact], None]) -> None:
        self.inner = inner
        self.reserved = reserved
        self.heap: list[Entry] = []
        self.expire = expire
        self.seq = itertools.count()

    def is_reserved(self, ct: Contact) -> bool:
        return self.reserved[ct.seg][ct.rea][ct.prem]

    def push(self, ct: Contact, now: float) -> None:
        self.inner.push(ct, now)
        if self.is_reserved(ct):
            k1, k2 = self.inner.key(ct)  # type: ignore[attr-defined]
            heapq.heappush(self.heap, (k1, k2, next(self.seq), ct, ct.leg))

    def pop(self, now: float, reserved_only: bool = False) -> Contact | None:
        if reserved_only:
            return pop_live(self.heap, now, self.expire)
        return self.inner.pop(now)

    def waiting(self) -> Iterator[Contact]:
        yield from self.inner.waiting()
        yield from (e[3] for e in self.heap)

    @classmethod
    def from_pool(cls, cp: CompiledPool, inner: Discipline, expire: Callable[[Contact], None]) -> Reserve:
        return cls(inner, cp.reserved_for.tolist(), expire)
