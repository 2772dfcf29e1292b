"""Comparing scenarios on the same customers: paired differences with confidence intervals.

All scenarios run with the same seed and replication numbers, so replication r of every scenario
sees the same needs (common random numbers, see :mod:`contactsim.rng`). The difference of a KPI
between a scenario and the baseline is then taken replication by replication, and its Student-t
interval is far tighter than comparing two independent intervals would allow.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from contactsim import io
from contactsim.experiment import RunResult, simulate
from contactsim.metrics import COUNT_METRICS, INTERVAL_COLUMNS, KEYS, interval_table, with_interval_columns
from contactsim.scenario.schema import Scenario
from contactsim.stats import mean_ci_rows


@dataclass
class Comparison:
    runs: list[RunResult]
    differences: pd.DataFrame
    """baseline, scenario, segment, channel, pool, interval, metric, baseline_mean, scenario_mean,
    diff_mean, ci_low, ci_high, n, significant."""

    @property
    def names(self) -> list[str]:
        return [r.scenario.name for r in self.runs]

    @property
    def summary(self) -> pd.DataFrame:
        return pd.concat([r.summary for r in self.runs], ignore_index=True)


def paired_differences(base: pd.DataFrame, other: pd.DataFrame, base_name: str, other_name: str,
                       confidence: float = 0.95) -> pd.DataFrame:
    """Per-KPI paired difference (other - base) over replications present in both runs.

    As in the summary (``metrics.summarise``), a count KPI missing in a replication is 0 (nothing happened
    in that cell), in either run; a rate or mean missing there is undefined and its pair drops out.
    """
    idx = [*KEYS, "metric"]
    a = base.pivot_table(index=idx, columns="replication", values="value", aggfunc="first", observed=True)
    b = other.pivot_table(index=idx, columns="replication", values="value", aggfunc="first", observed=True)
    both = a.index.intersection(b.index)
    a, b = a.align(b, join="outer", axis=0)
    count = a.index.get_level_values("metric").isin(list(COUNT_METRICS))
    keep = count | a.index.isin(both)
    reps = a.columns.intersection(b.columns)
    a, b = a.loc[keep, reps], b.loc[keep, reps]
    count = count[keep]
    a.loc[count], b.loc[count] = a.loc[count].fillna(0.0), b.loc[count].fillna(0.0)
    av, bv = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
    d = bv - av
    mean, half, n = mean_ci_rows(d, confidence)  # the same t-interval as every summary (stats.py)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        base_mean, other_mean = np.nanmean(av, axis=1), np.nanmean(bv, axis=1)
    out = a.index.to_frame(index=False)
    out.insert(0, "scenario", other_name)
    out.insert(0, "baseline", base_name)
    out["baseline_mean"], out["scenario_mean"] = base_mean, other_mean
    out["diff_mean"], out["ci_low"], out["ci_high"], out["n"] = mean, mean - half, mean + half, n
    out["significant"] = (out["ci_low"] > 0) | (out["ci_high"] < 0)
    if all(k in base.columns for k in INTERVAL_COLUMNS):
        out = with_interval_columns(out, interval_table(base))
    return out


def unique_names(scenarios: list[Scenario]) -> list[Scenario]:
    """Scenarios with distinct names (a repeated name gets -2, -3 ...), so results never collide."""
    seen: dict[str, int] = {}
    out = []
    for sc in scenarios:
        k = seen.get(sc.name, 0) + 1
        seen[sc.name] = k
        out.append(sc if k == 1 else sc.model_copy(update={"name": f"{sc.name}-{k}"}))
    return out


def compare(scenarios: list[Scenario], *, seed: int | None = None, replications: int | None = None,
            workers: int | None = 1, backend: str = "process", keep_records: bool | None = None,
            progress: Callable[[str, int, int], None] | None = None) -> Comparison:
    """Run every scenario on the same customers; the first is the baseline."""
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    scenarios = unique_names(scenarios)
    seed = scenarios[0].run.seed if seed is None else seed
    n = replications or max(s.run.replications for s in scenarios)
    runs = []
    for sc in scenarios:
        cb = (lambda done, total, name=sc.name: progress(name, done, total)) if progress else None
        runs.append(simulate(sc, replications=n, seed=seed, workers=workers, backend=backend,
                             keep_records=keep_records, progress=cb))
    base = runs[0]
    diffs = pd.concat([paired_differences(base.kpis, r.kpis, base.scenario.name, r.scenario.name)
                       for r in runs[1:]], ignore_index=True)
    return Comparison(runs=runs, differences=diffs)


def write_comparison(cmp: Comparison, out: Path | None = None, results_root: Path = Path("results"),
                     replace: bool = False) -> Path:
    """Write each run folder plus comparison tables under one folder (built under a hidden name).

    summary.csv / differences.csv hold the whole-horizon rows; intervals.parquet / differences_intervals.parquet
    every row (read back with ``results.read_rows``)."""
    from contactsim.results import versions, write_rows, write_run

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = io.safe_name("-vs-".join(cmp.names))[:60]
    final = out if out is not None else results_root / "comparisons" / f"{stamp}-{name}"
    with io.staged_dir(final, replace=replace) as (partial, published):
        for r in cmp.runs:
            write_run(r, partial / "runs" / io.safe_name(r.scenario.name))
        # as in a run folder: the whole-horizon rows in CSV for a person, every row exact in Parquet
        write_rows(partial, "summary.csv", "intervals.parquet", cmp.summary)
        write_rows(partial, "differences.csv", "differences_intervals.parquet", cmp.differences)
        io.write_json(partial / "manifest.json", {
            "kind": "comparison",
            "scenarios": cmp.names,
            "baseline": cmp.names[0],
            "seed": cmp.runs[0].seed,
            "replications": cmp.runs[0].replications,
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "versions": versions(),
            "runs": {r.scenario.name: f"runs/{io.safe_name(r.scenario.name)}" for r in cmp.runs},
        })
    return published[0]
