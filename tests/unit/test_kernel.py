"""The SimPy internals the kernel adapter relies on, pinned for the supported simpy versions."""

from __future__ import annotations

import itertools

import simpy

from contactsim.kernel import LATE, Kernel


def test_simpy_internals_the_adapter_relies_on() -> None:
    env = simpy.Environment()
    assert isinstance(env._eid, itertools.count)
    assert env._now == 0 and env._queue == []
    ev = env.timeout(5, value="x")
    t, prio, eid, event = env._queue[0]
    assert (t, event) == (5, ev) and isinstance(eid, int) and isinstance(prio, int)
    assert ev._value == "x" and ev._ok is True and isinstance(ev.callbacks, list)
    env.step()
    assert env._now == 5 and ev.callbacks is None


def test_kernel_runs_events_in_time_then_priority_then_scheduling_order() -> None:
    k = Kernel()
    log = []
    cb = lambda arg: log.append((k.now, arg)) if k.now == k.env.now else None  # noqa: E731
    k.at(10, cb, "late", LATE)
    k.at(10, cb, "a")
    k.at(5, cb, "first")
    k.at(10, cb, "b")

    class Arr:
        def __init__(self, t: float) -> None:
            self.arr = t

    arrivals = [Arr(5.0), Arr(7.0), Arr(20.0)]
    nxt = k.run(12.0, arrivals, 0, lambda a: log.append((k.now, f"arrival {a.arr:g}")))
    assert log == [(5, "first"), (5, "arrival 5"), (7, "arrival 7"), (10, "a"), (10, "b"), (10, "late")]
    assert nxt == 2 and k.now == 12.0 == k.env.now
    assert list(k.pending()) == []


def test_a_reusable_timer_fires_again_and_keeps_scheduling_order() -> None:
    """A Timer re-armed inside its own callback fires again; at equal times it runs in the order it was
    armed among other events (it takes a new eid each time, like a Call)."""
    k = Kernel()
    log = []
    timer = None

    def fire(arg) -> None:
        log.append((k.now, arg))
        if k.now < 20:
            timer.arm(10)
            k.at(10, lambda arg: log.append((k.now, arg)), "call")

    timer = k.timer(fire, "timer")
    timer.arm(10)
    k.run(100.0, [], 0, lambda a: None)
    assert log == [(10, "timer"), (20, "timer"), (20, "call")]
    assert list(k.pending()) == []


def test_no_module_but_the_kernel_touches_simpy_internals() -> None:
    """The engine reads the clock as ``Kernel.now``; SimPy's private fields appear only in kernel.py."""
    import re
    from pathlib import Path

    import contactsim

    private = re.compile(r"\.(_now|_queue|_eid|_value|_ok|_defused)\b|\benv\.now\b")
    offenders = [f"{p.name}:{i}" for p in Path(contactsim.__file__).parent.rglob("*.py") if p.name != "kernel.py"
                 for i, line in enumerate(p.read_text().splitlines(), 1) if private.search(line)]
    assert offenders == []
