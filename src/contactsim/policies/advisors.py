"""Named advisors (the account-manager relationship, seed 004): each waiting contact waits for one agent.

One FCFS heap per advisor: ``push`` files a contact under its customer's advisor (``Contact.advisor``,
an agent number of the pool); ``pop_for(agent)`` gives that advisor the longest-waiting of their own
customers. There is no "any agent" ``pop``: the engine asks per agent (on release, at shift start).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator

from contactsim.contact import Contact
from contactsim.policies.base import Entry, pop_live
from contactsim.scenario.compiled import CompiledPool


class AdvisorQueues:
    named_agents = True

    def __init__(self, expire: Callable[[Contact], None]) -> None:
        self.heaps: dict[int, list[Entry]] = {}
        self.expire = expire
        self.seq = itertools.count()

    def push(self, ct: Contact, now: float) -> None:
        heapq.heappush(self.heaps.setdefault(ct.advisor, []), (0, ct.arr, next(self.seq), ct, ct.leg))

    def pop_for(self, agent: int, now: float) -> Contact | None:
        heap = self.heaps.get(agent)
        return pop_live(heap, now, self.expire) if heap else None

    def pop(self, now: float, reserved_only: bool = False) -> Contact | None:
        return None  # a contact waits for its own advisor only: see pop_for

    def waiting(self) -> Iterator[Contact]:
        return (e[3] for heap in self.heaps.values() for e in heap)

    @classmethod
    def from_pool(cls, cp: CompiledPool, expire: Callable[[Contact], None]) -> AdvisorQueues:
        return cls(expire)
