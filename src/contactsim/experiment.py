"""Running replications: serially, on a local process pool or on a Dask cluster, always the same numbers.

Every replication draws from streams keyed by (seed, replication, name), so the result of a
replication does not depend on which worker ran it or in what order; results are sorted by
replication before anything is aggregated. All backends go through ``concurrent.futures.Executor``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from contactsim import metrics
from contactsim.replication import ReplicationResult, run_replication
from contactsim.scenario.compiled import Compiled, compile_scenario
from contactsim.scenario.schema import Scenario

Backend = str  # "serial" | "process" | "dask"
_COMPILED: dict[str, Compiled] = {}


def _compiled(scenario_json: str) -> Compiled:
    """Compile once per worker process and scenario."""
    c = _COMPILED.get(scenario_json)
    if c is None:
        if len(_COMPILED) > 16:
            _COMPILED.clear()
        c = _COMPILED[scenario_json] = compile_scenario(Scenario.model_validate_json(scenario_json))
    return c


def run_chunk(scenario_json: str, seed: int, reps: Sequence[int], keep_records: bool) -> list[ReplicationResult]:
    """Worker entry point (importable, picklable): a batch of replications of one scenario."""
    c = _compiled(scenario_json)
    return [run_replication(c, seed, r, keep_records) for r in reps]


@dataclass
class RunResult:
    """Everything a run produced, as tidy DataFrames."""

    scenario: Scenario
    seed: int
    replications: int
    kpis: pd.DataFrame
    summary: pd.DataFrame
    waterfall: pd.DataFrame
    contacts: pd.DataFrame | None
    needs: pd.DataFrame | None
    by_reason: pd.DataFrame | None = None
    """KPIs by contact reason per replication: replication, segment, reason, channel, metric, value."""
    timings: dict[str, float] = field(default_factory=dict)
    n_needs: int = 0
    n_contacts: int = 0

    def kpi(self, metric: str, segment: str = "all", channel: str = "all", pool: str = "all",
            interval: str = "all") -> pd.Series:
        """The summary row (mean, ci_low, ci_high, n) of one KPI."""
        s = self.summary
        row = s[(s["metric"] == metric) & (s["segment"] == segment) & (s["channel"] == channel)
                & (s["pool"] == pool) & (s["interval"] == interval)]
        if row.empty:
            raise KeyError(f"no KPI {metric} for segment={segment} channel={channel} pool={pool} interval={interval}")
        return row.iloc[0]

    def values(self, metric: str, segment: str = "all", channel: str = "all", pool: str = "all",
               interval: str = "all") -> pd.Series:
        """Per-replication values of one KPI, indexed by replication (0 where a count had no events)."""
        k = self.kpis
        sel = k[(k["metric"] == metric) & (k["segment"] == segment) & (k["channel"] == channel)
                & (k["pool"] == pool) & (k["interval"] == interval)].set_index("replication")["value"]
        reps = pd.Index(range(self.replications), name="replication")
        fill = 0.0 if metric in metrics.COUNT_METRICS else float("nan")
        return sel.reindex(reps, fill_value=fill)


def _watch_parent(parent_pid: int, every_s: float = 0.5) -> None:
    """Pool initializer: end this worker when the process that started it is gone (even SIGKILLed).

    Without it a killed ``contactsim run -w 2`` leaves its workers running for ever, holding the caller's
    stdout/stderr pipes open. A daemon thread polls the parent pid (portable, unlike PR_SET_PDEATHSIG,
    which also fires when the *thread* that forked the worker ends).
    """
    import threading

    def watch() -> None:
        while True:
            time.sleep(every_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="contactsim-parent-watch", daemon=True).start()


def process_pool(workers: int) -> ProcessPoolExecutor:
    """A local process pool whose workers exit when this process dies."""
    return ProcessPoolExecutor(max_workers=workers, initializer=_watch_parent, initargs=(os.getpid(),))


def make_executor(backend: Backend, workers: int | None,
                  scheduler: str | None = None) -> tuple[Executor | None, Callable[[], None]]:
    """An executor for the backend and a function that shuts it down."""
    if backend == "serial" or (backend == "process" and (workers or 0) == 1):
        return None, lambda: None
    if backend == "process":
        ex = process_pool(workers or os.cpu_count() or 1)
        return ex, lambda: ex.shutdown(cancel_futures=True)
    if backend == "dask":
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as e:  # pragma: no cover - depends on the extra
            raise RuntimeError("the dask backend needs the optional extra: pip install 'contactsim[dask]'") from e
        if scheduler:
            client = Client(scheduler)
            return client.get_executor(pure=False), client.close
        import dask

        # Measured on the simulation's allocation-heavy pure-Python work: distributed's default
        # MALLOC_TRIM_THRESHOLD_=65536 for nanny-spawned workers makes every task ~10% slower, and the
        # worker's stack-sampling profiler costs a little more; local clusters run without both (None
        # unsets the variable). Remote workers keep their own settings.
        with dask.config.set({"distributed.worker.profile.enabled": False,
                              "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                                   dashboard_address=None, processes=True)
        client = Client(cluster)

        def close() -> None:
            client.close()
            cluster.close()

        return client.get_executor(pure=False), close
    raise ValueError(f"unknown backend '{backend}': use serial, process or dask")


def chunks(reps: Sequence[int], size: int) -> list[list[int]]:
    return [list(reps[i:i + size]) for i in range(0, len(reps), size)]


def map_tasks(fn: Callable[..., Any], tasks: Iterable[tuple], executor: Executor | None,
              on_done: Callable[[Any], None] | None = None) -> list[Any]:
    """Run ``fn(*task)`` for every task; results in task order whatever the completion order."""
    tasks = list(tasks)
    if executor is None:
        out = []
        for t in tasks:
            r = fn(*t)
            if on_done:
                on_done(r)
            out.append(r)
        return out
    futures = [executor.submit(fn, *t) for t in tasks]
    results: list[Any] = [None] * len(futures)
    index = {f: i for i, f in enumerate(futures)}
    from concurrent.futures import as_completed

    for fut in as_completed(futures):
        r = fut.result()
        results[index[fut]] = r
        if on_done:
            on_done(r)
    return results


def simulate(scenario: Scenario, *, replications: int | None = None, seed: int | None = None,
             workers: int | None = 1, backend: Backend = "process", scheduler: str | None = None,
             keep_records: bool | None = None,
             progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Run all replications of a scenario and summarise them (mean and 95% CI per KPI)."""
    t0 = time.perf_counter()
    n = replications or scenario.run.replications
    seed = scenario.run.seed if seed is None else seed
    keep = scenario.run.record_contacts if keep_records is None else keep_records
    reps = run_replications(scenario, list(range(n)), seed, keep, workers=workers, backend=backend,
                            scheduler=scheduler, progress=progress)
    return assemble(scenario, seed, reps, time.perf_counter() - t0)


def run_replications(scenario: Scenario, replications: list[int], seed: int, keep_records: bool, *,
                     workers: int | None = 1, backend: Backend = "process", scheduler: str | None = None,
                     progress: Callable[[int, int], None] | None = None) -> list[ReplicationResult]:
    """The given replication numbers of a scenario, sorted by replication whatever the worker order."""
    n = len(replications)
    payload = scenario.model_dump_json()
    n_workers = max(1, min(workers if workers is not None else (os.cpu_count() or 1), n))
    # one replication per task in a single process (the bar moves per replication); a few per task across
    # processes, capped so the bar and its ETA still move in small steps
    size = min(max(1, n // (4 * n_workers)), 4) if n_workers > 1 else 1
    tasks = [(payload, seed, ch, keep_records) for ch in chunks(replications, size)]
    done = [0]

    def tick(batch: list[ReplicationResult]) -> None:
        done[0] += len(batch)
        if progress:
            progress(done[0], n)

    executor, close = make_executor(backend, n_workers, scheduler)
    try:
        batches = map_tasks(run_chunk, tasks, executor, tick)
    finally:
        close()
    return sorted((r for b in batches for r in b), key=lambda r: r.replication)


def assemble(scenario: Scenario, seed: int, reps: list[ReplicationResult], wall: float) -> RunResult:
    kpis = pd.concat([r.kpis for r in reps], ignore_index=True)
    summary = metrics.summarise(kpis, scenario=scenario.name)
    wf = pd.concat([r.waterfall for r in reps], ignore_index=True)
    by_reason = pd.concat([r.by_reason for r in reps], ignore_index=True)
    keep = bool(reps) and reps[0].contacts is not None
    contacts = pd.concat([r.contacts for r in reps], ignore_index=True) if keep else None
    needs = pd.concat([r.needs for r in reps], ignore_index=True) if keep else None
    return RunResult(
        scenario=scenario, seed=seed, replications=len(reps), kpis=kpis, summary=summary, waterfall=wf,
        contacts=contacts, needs=needs, by_reason=by_reason,
        timings={"wall_s": wall, "simulate_s": sum(r.seconds for r in reps)},
        n_needs=sum(r.n_needs for r in reps), n_contacts=sum(r.n_contacts for r in reps),
    )

