"""The one adapter to SimPy's event queue: the only module that touches SimPy internals.

The engine schedules bare callbacks (no generator process per contact) and runs its own loop, which
interleaves SimPy's event heap with a sorted list of known arrivals. That needs four facts about
``simpy.Environment`` that are not public API, pinned by tests/unit/test_kernel.py for the supported
versions (pyproject bounds simpy): ``_queue`` is a heap of ``(time, priority, eid, event)``; ``_eid``
is an ``itertools.count``; ``_now`` is the clock; an event's ``callbacks`` list runs when it is
processed and ``_value``/``_ok`` carry its payload. Everything else in contactsim uses this module: its
callbacks get the payload (``fn(arg)``) and read the clock as ``Kernel.now``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from typing import Any

import simpy
from simpy.core import NORMAL
from simpy.events import Event

LATE = NORMAL + 1
"""Priority after SimPy's NORMAL: such an event runs after every other event at the same instant."""


class Call(Event):
    """A bare scheduled callback: cheaper than a Timeout plus a closure per event."""

    __slots__ = ()

    def __init__(self, env: simpy.Environment, delay: float, fn: Callable[[Any], None], arg: Any,
                 priority: int = NORMAL) -> None:
        self.env = env
        self.callbacks = [fn]
        self._value = arg
        self._ok = True
        # what env.schedule(self, priority, delay) does, without the extra call on the hot path
        heapq.heappush(env._queue, (env._now + delay, priority, next(env._eid), self))


class Timer(Event):
    """A reusable callback event for something that is pending at most once at a time (an agent's release):
    armed again after it fired, so the hot path allocates no event object. It takes its place in SimPy's
    queue like a ``Call`` (a new ``eid`` each time), so the order of events is the same as with ``Call``."""

    def __init__(self, env: simpy.Environment, fn: Callable[[Any], None], arg: Any) -> None:
        self.env = env
        self.callbacks = None
        self._cbs = [fn]
        self._value = arg
        self._ok = True
        self._queue, self._eid = env._queue, env._eid

    def arm(self, delay: float, priority: int = NORMAL) -> None:
        """Schedule the callback ``delay`` seconds from now (the timer must not be pending)."""
        self.callbacks = self._cbs
        heapq.heappush(self._queue, (self.env._now + delay, priority, next(self._eid), self))


class Kernel:
    """SimPy's environment, seen through the few operations the engine needs."""

    __slots__ = ("env", "now")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.now: float = 0.0
        """The simulation clock (SimPy's ``env.now``), kept as a plain attribute by ``run`` beside SimPy's own:
        the engine reads it several times per contact, and a property costs ~40 ns more per read."""

    def at(self, delay: float, fn: Callable[[Any], None], arg: Any, priority: int = NORMAL) -> None:
        """Call ``fn(arg)`` after ``delay`` seconds."""
        Call(self.env, delay, fn, arg, priority)

    def timer(self, fn: Callable[[Any], None], arg: Any) -> Timer:
        """A reusable ``Timer`` calling ``fn(arg)`` each time it is armed."""
        return Timer(self.env, fn, arg)

    def run(self, until: float, arrivals: list, next_arrival: int, arrive: Callable[[Any], None]) -> int:
        """Process events and known arrivals (``arrivals[k].arr``, sorted) in time order up to ``until``
        (events first at equal times); return the index of the next arrival not yet taken."""
        env = self.env
        queue = env._queue
        n_arr = len(arrivals)
        pop = heapq.heappop
        inf = float("inf")
        k = next_arrival
        while True:
            t_arr = arrivals[k].arr if k < n_arr else inf
            lim = t_arr if t_arr < until else until
            # events first: every event at or before the next arrival (and the end), in SimPy's order;
            # simpy.Environment.step, inlined: pop the next event, set the clock, run its callbacks
            while queue and queue[0][0] <= lim:
                now, _, _, event = pop(queue)
                env._now = self.now = now
                callbacks, event.callbacks = event.callbacks, None
                for callback in callbacks:
                    callback(event._value)  # the kernel's own events: the callback gets the payload
                if not event._ok and not hasattr(event, "_defused"):
                    raise event._value
            if t_arr > until:
                break
            env._now = self.now = t_arr
            k += 1
            arrive(arrivals[k - 1])
        if until > env._now:
            env._now = self.now = until
        return k

    def pending(self) -> Iterator[Any]:
        """Payloads of the events still scheduled."""
        for entry in self.env._queue:
            yield getattr(entry[3], "_value", None)
