"""Guard for the engine's lean copies (``_arrive_plain`` of ``_arrive_now``, ``_start_lean`` of ``_start`` +
``_handled``, ``_release``'s heap path of ``policies.base.pop_live``): every bundled scenario gives the same
contacts, needs and KPIs with the lean paths forced off (``Engine.lean = False``) as with them on, so a rule
added to one path and not its copy fails here. And the heap path serves only the disciplines it was written
for: any other queue is served through its own ``pop``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from helpers import build, mmc_dict

from contactsim.engine import Engine
from contactsim.policies import DISCIPLINES, Fcfs
from contactsim.replication import run_replication
from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.load import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BUNDLED = sorted([*SCENARIOS.glob("*.yaml"), *SCENARIOS.glob("relationship_modes/*.yaml")])
DAYS = 2
"""Two days: follow-ups (retrials, repeats, webcare, callbacks) come back within the run."""


def _short(path: Path):
    sc = load_scenario(path)  # extends resolved
    if sc.horizon.steady_state_hours:
        return load_scenario(path, {"horizon.steady_state_hours": 24})
    over: dict = {"horizon.days": DAYS}
    over.update({f"incidents.{i}.day": min(inc.day, DAYS) for i, inc in enumerate(sc.incidents)})
    return load_scenario(path, over)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_lean_paths_give_the_same_results_as_the_general_ones(path: Path, monkeypatch) -> None:
    c = compile_scenario(_short(path))
    lean = run_replication(c, 11, 0, keep_records=True)
    monkeypatch.setattr(Engine, "lean", False)
    eng = Engine(c, 11, 0)
    assert not eng._plain_arrive and all(p.start == eng._start and p.heap is None for p in eng.pools)
    general = run_replication(c, 11, 0, keep_records=True)
    assert lean.n_contacts > 0
    for attr in ("contacts", "needs", "kpis"):
        pd.testing.assert_frame_equal(getattr(lean, attr), getattr(general, attr), check_exact=True, obj=attr)


class _Rebuilding(Fcfs):
    """FCFS that rebuilds its heap list on every push (a legal re-key): the inherited ``pop`` reads the new
    list, a copy of the list taken at construction would go stale."""

    def push(self, ct, now: float) -> None:
        super().push(ct, now)
        self.heap = list(self.heap)


def _served(monkeypatch, discipline: type[Fcfs]) -> tuple[Engine, list[float], list[tuple[int, int, float]]]:
    """One agent, five callers 10 s apart, 100 s each (four wait): the engine, the times its pool's queue was
    asked for the next contact through ``pop``, and each caller's (need, outcome, answered at)."""
    monkeypatch.setitem(DISCIPLINES, "fcfs", discipline.from_pool)
    eng = Engine(compile_scenario(build(mmc_dict(1, 50, 1, hours=1, warmup_hours=0, patience_s=1000))), 1, 0)
    queue, pops = eng.pools[0].queue, []
    own_pop = queue.pop

    def counting_pop(now: float, reserved_only: bool = False):
        pops.append(now)
        return own_pop(now, reserved_only)

    queue.pop = counting_pop  # on the instance: the class keeps the inherited pop the engine checked
    for k in range(5):
        eng.add_contact(k, 0, 0, 0, 10.0 * k, 1000.0, 100.0, key=k + 1)
    eng.run_until(3600.0)
    eng.finish()
    col = eng.flush().contacts
    return eng, pops, sorted(zip(col["need_id"].tolist(), col["outcome"].tolist(), col["answered_at"].tolist(),
                                 strict=True))


def test_the_heap_release_path_is_only_for_its_own_disciplines(monkeypatch) -> None:
    """A subclass of Fcfs keeps the inherited pop but is not a class the heap path was written for: its
    agents are handed contacts by ``pool.queue.pop`` (so its rebuilt heap is read), with FCFS's results."""
    eng, pops, fcfs = _served(monkeypatch, Fcfs)
    assert eng.pools[0].heap is eng.pools[0].queue.heap
    assert pops == [0.0]  # FCFS itself: asked once when the agent came on duty, then releases pop the heap
    assert [a for _, _, a in fcfs] == [0.0, 100.0, 200.0, 300.0, 400.0]
    eng, pops, rebuilt = _served(monkeypatch, _Rebuilding)
    assert eng.pools[0].heap is None and eng.pools[0].start == eng._start_lean
    assert pops == [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]  # and each freed agent asked the discipline
    assert rebuilt == fcfs
