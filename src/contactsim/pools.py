"""Agent pools: who is on duty, who is free (by load, for chat concurrency), and the pool's queue.

Staffing arrives as groups joining and leaving (``CompiledPool.staff_events``): a change costs time in
proportion to the agents it moves. An agent whose group leaves finishes what it holds, then goes (its
overtime is recorded as on-duty time). Agent numbers of agents gone home are reused.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from contactsim.contact import Contact
from contactsim.policies.base import Discipline
from contactsim.scenario.compiled import CompiledPool


class AgentPool:
    """Agents of one pool: who is on duty, who is free (by load, for chat concurrency) and who waits."""

    def __init__(self, cp: CompiledPool, queue: Discipline) -> None:
        self.cp = cp
        self.k = cp.concurrency
        self.staffed = 0
        self.load: list[int] = []
        self.on: list[bool] = []
        """on[agent]: on duty (an agent whose shift ended finishes the contacts in hand, then leaves)."""
        self.left_at: list[float] = []
        self.spare: list[int] = []
        """Agent numbers off duty with nothing in hand, reused by the next group that joins."""
        self.groups: dict[int, list[int]] = {}
        self.overtime: list[tuple[float, float]] = []
        """(shift end, last contact done) of agents who finished contacts after their shift ended."""
        self.free: list[set[int]] = [set() for _ in range(self.k)]
        self.n_idle_agents = 0
        self.queue = queue
        """The pool's queue discipline (``policies``): push/pop of waiting contacts."""
        self.shared = self.k > 1 and cp.stretch > 0
        """Chats share their agent: each runs at 1 / (1 + stretch x (chats in talk - 1)) of full speed."""
        self.inhand: list[list[Contact]] = []
        self.since: list[float] = []
        self.reserve = cp.reserve_agents
        self.n_waiting = 0
        self.busy_sum = cp.expected_busy_s
        self.busy_n = 1
        """Running mean agent time per contact of this pool (seeded with its expected value): callback predictions."""
        # set by the engine: its start path for this pool, the handle-time factor by reason, the first-contact
        # resolution by reason and channel, and for a lean one-contact-per-agent pool with a single heap, that
        # heap and a reusable release timer per agent
        self.start: Callable[[AgentPool, int, Contact], None] | None = None
        self.hfac: list[float] = []
        self.fcr: list[list[float]] = []
        self.heap: list | None = None
        self.timers: list = []

    def take_agent(self) -> int:
        for level, bucket in enumerate(self.free):
            if bucket:
                a = bucket.pop()
                if level == 0:
                    self.n_idle_agents -= 1
                return a
        return -1

    def has_free(self) -> bool:
        return any(self.free)

    def join(self, group: int, n: int) -> None:
        """``n`` agents of a new group come on duty (cost O(n))."""
        members = self.groups.setdefault(group, [])
        if self.cp.discipline == "advisors":  # advisors keep their numbers: agent a is advisor a when on duty
            self.spare.sort(reverse=True)
        for _ in range(n):
            if self.spare:
                a = self.spare.pop()
            else:
                a = len(self.load)
                self.load.append(0)
                self.on.append(False)
                self.left_at.append(math.nan)
                self.inhand.append([])
                self.since.append(0.0)
            self.on[a] = True
            members.append(a)
            self.free[0].add(a)
        self.n_idle_agents += n
        self.staffed += n

    def leave(self, group: int, n: int, now: float) -> None:
        """``n`` agents of a group go off duty (idle ones first); busy ones finish what they hold (O(n))."""
        members = self.groups[group]
        members.sort(key=self.load.__getitem__, reverse=True)  # idle (load 0) at the end
        for _ in range(n):
            a = members.pop()
            self.on[a] = False
            ld = self.load[a]
            if ld < self.k:
                self.free[ld].discard(a)
            if ld == 0:
                self.n_idle_agents -= 1
                self.spare.append(a)
            else:
                self.left_at[a] = now
        if not members:
            del self.groups[group]
        self.staffed -= n

    def off_duty_done(self, agent: int, now: float) -> None:
        """An agent whose shift had ended put down its last contact: it leaves now."""
        self.overtime.append((self.left_at[agent], now))
        self.spare.append(agent)

    def reserved_only(self) -> bool:
        """Reserve policy: with this few agents idle, only the reserved class may be served."""
        return self.reserve > 0 and self.n_idle_agents <= self.reserve

    def admits(self, ct: Contact) -> bool:
        """May a free agent of this pool take ``ct`` now (the reserve permitting)?"""
        return not self.reserved_only() or self.queue.is_reserved(ct)  # type: ignore[attr-defined]
