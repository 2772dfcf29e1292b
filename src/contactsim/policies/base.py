"""What a queue discipline is: a unit that keeps its own waiting contacts and hands out the next one.

Entries are ``(key1, key2, seq, contact, leg)``: the discipline's order, then arrival order, then the
contact and the queue leg it was pushed for. An entry is *live* while its contact still waits on that
leg; a contact served or abandoned elsewhere, or requeued (a new leg), leaves stale entries behind that
``pop`` skips — lazy deletion, one integer comparison each. A live contact past its patience deadline
(``deadline < now``: a wait that reaches patience exactly is still served) is handed to ``expire`` and
skipped: the discipline settles lazy abandonment itself.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from typing import Protocol

from contactsim.contact import WAITING, Contact

Entry = tuple[float, float, int, Contact, int]


class Discipline(Protocol):
    """push/pop over waiting contacts; O(log n) each."""

    def push(self, ct: Contact, now: float) -> None: ...

    def pop(self, now: float, reserved_only: bool = False) -> Contact | None: ...

    def waiting(self) -> Iterator[Contact]:
        """Contacts of live-looking entries (for the end of the run)."""
        ...


def pop_live(heap: list[Entry], now: float, expire: Callable[[Contact], None]) -> Contact | None:
    """Pop the first live entry that is not past its deadline (expiring those that are)."""
    pop = heapq.heappop
    while heap:
        _, _, _, ct, leg = pop(heap)
        if ct.state == WAITING and ct.leg == leg:
            if ct.deadline < now:
                expire(ct)
                continue
            return ct
    return None


class HeapDiscipline:
    """A discipline that is one heap ordered by ``key(contact)``: FCFS, strict priority, ageing.

    ``heap`` keeps its identity for the queue's life (the engine's lean release path pops it directly for
    the classes listed in ``engine._HEAP_RELEASE``): re-key in place (``heapify``), never rebind it.
    """

    def __init__(self, expire: Callable[[Contact], None]) -> None:
        self.heap: list[Entry] = []
        self.expire = expire
        self.seq = itertools.count()

    def key(self, ct: Contact) -> tuple[float, float]:
        raise NotImplementedError

    def push(self, ct: Contact, now: float) -> None:
        k1, k2 = self.key(ct)
        heapq.heappush(self.heap, (k1, k2, next(self.seq), ct, ct.leg))

    def pop(self, now: float, reserved_only: bool = False) -> Contact | None:
        return pop_live(self.heap, now, self.expire)

    def waiting(self) -> Iterator[Contact]:
        return (e[3] for e in self.heap)

    def __len__(self) -> int:
        """Entries held, stale ones included (an upper bound on the contacts waiting)."""
        return len(self.heap)
