"""Weighted shares: smooth weighted round robin over the classes that have someone waiting.

Every class with a contact waiting earns its weight; the richest is served and pays the total, so the
classes' shares of freed agents follow the weights exactly while they all wait; FCFS within a class.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator

from contactsim.contact import WAITING, Contact
from contactsim.policies.base import Entry
from contactsim.scenario.compiled import CompiledPool


class WeightedShares:
    def __init__(self, rank: list, weights: list[float], expire: Callable[[Contact], None]) -> None:
        self.rank = rank
        self.weights = weights
        self.heaps: list[list[Entry]] = [[] for _ in weights]
        self.credit = [0.0] * len(weights)
        self.expire = expire
        self.seq = itertools.count()

    def key(self, ct: Contact) -> tuple[float, float]:
        return self.rank[ct.seg][ct.rea][ct.prem], ct.arr

    def push(self, ct: Contact, now: float) -> None:
        k1, k2 = self.key(ct)
        heapq.heappush(self.heaps[int(k1)], (k1, k2, next(self.seq), ct, ct.leg))

    def pop(self, now: float, reserved_only: bool = False) -> Contact | None:
        busy = []
        for k, heap in enumerate(self.heaps):
            while heap:
                entry = heap[0]
                ct = entry[3]
                live = ct.state == WAITING and ct.leg == entry[4]
                if live and ct.deadline >= now:
                    busy.append(k)
                    break
                heapq.heappop(heap)
                if live:
                    self.expire(ct)
        if not busy:
            return None
        total = 0.0
        for k in busy:
            self.credit[k] += self.weights[k]
            total += self.weights[k]
        best = max(busy, key=self.credit.__getitem__)
        self.credit[best] -= total
        return heapq.heappop(self.heaps[best])[3]

    def waiting(self) -> Iterator[Contact]:
        return (e[3] for heap in self.heaps for e in heap)

    def __len__(self) -> int:
        return sum(len(h) for h in self.heaps)

    @classmethod
    def from_pool(cls, cp: CompiledPool, expire: Callable[[Contact], None]) -> WeightedShares:
        return cls(cp.rank.tolist(), list(cp.weights), expire)
