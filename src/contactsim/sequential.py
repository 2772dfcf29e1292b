"""Sequential replication control: add replications until the confidence intervals are narrow enough.

Replications are added in batches; each replication keeps its own streams (seed, replication), so the
first n replications of a sequential run are exactly those of a fixed run with n replications, and
nothing already simulated is run again.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from contactsim.errors import ContactsimError, Issue
from contactsim.experiment import RunResult, assemble, run_replications
from contactsim.scenario.schema import Scenario
from contactsim.stats import mean_ci


def simulate_until(scenario: Scenario, targets: dict[str, float], *, segment: str = "all", channel: str = "all",
                   min_replications: int = 5, max_replications: int = 200, batch: int = 5,
                   confidence: float = 0.95, workers: int | None = 1, seed: int | None = None,
                   keep_records: bool = False,
                   progress: Callable[[int, int, dict[str, float]], None] | None = None) -> RunResult:
    """Run until every target KPI's CI half-width is at most its target, e.g. ``{"service_level": 0.01}``.

    Stops at ``max_replications`` even if a target is not met; ``timings`` records ``converged`` (1 or 0)
    and the final half-widths. ``progress(replications done, max_replications, half-widths so far)`` is
    called after every replication.
    """
    bad = [Issue(m, "the half-width target must be a positive number", w, "e.g. service_level=0.01")
           for m, w in targets.items() if not w > 0]
    if bad or not targets:
        raise ContactsimError("--until", bad or [Issue("<targets>", "no KPI to control", None,
                                                       "e.g. service_level=0.01")], kind="option")
    t0 = time.perf_counter()
    seed = scenario.run.seed if seed is None else seed
    widths: dict[str, float] = {}

    def tick(done: int, _total: int, base: int = 0) -> None:
        if progress:
            progress(base + done, max_replications, widths)

    reps = run_replications(scenario, list(range(min(min_replications, max_replications))), seed, keep_records,
                            workers=workers, progress=tick)
    while True:
        res = assemble(scenario, seed, reps, time.perf_counter() - t0)
        k = res.kpis
        known = set(k.loc[(k["segment"] == segment) & (k["channel"] == channel) & (k["pool"] == "all")
                          & (k["interval"] == "all"), "metric"])
        unknown = [m for m in targets if m not in known]
        if unknown:
            raise ContactsimError("--until", [Issue(m, f"no such KPI for segment={segment} channel={channel}", None,
                                                    "use one of " + ", ".join(sorted(known)))
                                              for m in unknown], kind="option")
        widths = {m: mean_ci(res.values(m, segment=segment, channel=channel).to_numpy(), confidence).half_width
                  for m in targets}
        ok = all(w <= targets[m] for m, w in widths.items())
        if ok or len(reps) >= max_replications:
            res.timings.update({"converged": float(ok), **{f"half_width_{m}": w for m, w in widths.items()}})
            return res
        more = list(range(len(reps), min(len(reps) + batch, max_replications)))
        done_before = len(reps)
        reps += run_replications(scenario, more, seed, keep_records, workers=workers,
                                 progress=lambda d, t, b=done_before: tick(d, t, b))
