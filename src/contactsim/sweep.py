"""Parameter sweeps: a design over dotted scenario fields, run point x replication, resumable.

A sweep file names a base scenario and factors (dotted paths with values, or ranges for random and
Latin-hypercube designs). Each point is one scenario; its replications use streams keyed by the
sweep seed (``crn: true``: every point sees the same customers, so differences between points are
not noise) or by a seed derived from the point (``crn: false``). Each finished point is written
atomically to ``points/point=NNNNN/part.parquet``; a point is done exactly when its file exists, so
re-running the same command after Ctrl-C, a killed worker or a killed process computes only what is
missing, and nothing half-written is ever read as done.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contactsim import io
from contactsim.errors import ContactsimError, Issue, SweepError
from contactsim.experiment import assemble, make_executor, map_tasks, run_chunk
from contactsim.metrics import summarise
from contactsim.scenario.load import apply_overrides, issues_from_validation, parse_scenario, read_yaml
from contactsim.scenario.schema import Scenario

POINT_FILE = "part.parquet"


class Range(BaseModel):
    """A numeric range sampled by the random and lhs designs."""

    model_config = ConfigDict(extra="forbid")
    low: float = Field(allow_inf_nan=False)
    high: float = Field(allow_inf_nan=False)
    integer: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.high < self.low:
            raise ValueError("high must be >= low")
        return self


class SweepSpec(BaseModel):
    """A sweep file."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
    base: str
    """Scenario file, relative to the sweep file."""
    design: Literal["grid", "random", "lhs"] = "grid"
    factors: dict[str, list[Any] | Range] = Field(min_length=1, max_length=20)
    """Dotted scenario paths: a list of values (grid) or a range {low, high, integer} (random, lhs)."""
    points: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """Number of points of a random or lhs design."""
    design_seed: Annotated[int, Field(ge=0)] = 0
    replications: Annotated[int, Field(ge=1, le=100_000)] | None = None
    seed: Annotated[int, Field(ge=0)] | None = None
    crn: bool = True
    """Common random numbers: every point uses the same seed (the same customers)."""

    @model_validator(mode="after")
    def _design(self) -> SweepSpec:
        ranges = [k for k, v in self.factors.items() if isinstance(v, Range)]
        if self.design == "grid" and ranges:
            raise ValueError(f"a grid needs lists of values; {ranges} are ranges (use design: random or lhs)")
        if self.design != "grid" and self.points is None:
            raise ValueError(f"a {self.design} design needs 'points'")
        n = 1
        for v in self.factors.values():
            n *= len(v) if isinstance(v, list) else 1
        if self.design == "grid" and n > 100_000:
            raise ValueError(f"the grid has {n:,} points; the limit is 100,000")
        return self


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The points of the design, in a fixed order."""
    names = list(spec.factors)
    if spec.design == "grid":
        lists = [spec.factors[k] for k in names]
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*lists)]
    rng = np.random.default_rng(spec.design_seed)
    n = spec.points or 1
    cols = []
    for k in names:
        f = spec.factors[k]
        if spec.design == "lhs":  # one draw in each of n equal strata, strata shuffled per factor
            u = (rng.permutation(n) + rng.random(n)) / n
        else:
            u = rng.random(n)
        if isinstance(f, Range):
            v = f.low + u * (f.high - f.low)
            cols.append([round(x) for x in v] if f.integer else [float(x) for x in v])
        else:
            cols.append([f[int(x)] for x in np.minimum((u * len(f)).astype(int), len(f) - 1)])
    return [dict(zip(names, vals, strict=True)) for vals in zip(*cols, strict=True)]


def load_sweep(path: str | Path) -> tuple[SweepSpec, dict[str, Any], Path]:
    """Read and validate a sweep file and its base scenario; every point is validated too."""
    file = str(path)
    data = read_yaml(path, kind="sweep")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as e:
        raise SweepError(file, issues_from_validation(e)) from None
    base_path = (Path(path).parent / spec.base).resolve()
    base = read_yaml(base_path)
    issues = []
    for k, point in enumerate(design_points(spec)):
        try:
            parse_scenario(apply_overrides(base, point, file=str(base_path)), str(base_path))
        except ContactsimError as e:
            issues += [Issue(f"point {k} {point}: {i.path}", i.message, i.value, i.fix) for i in e.issues]
        if len(issues) > 20:
            break
    if issues:
        raise SweepError(file, issues)
    return spec, base, base_path


def point_seed(seed: int, point: int, crn: bool) -> int:
    """The seed of a point: the sweep's (common random numbers) or one derived from the point index."""
    if crn:
        return seed
    return int(np.random.SeedSequence(seed, spawn_key=(point,)).generate_state(1, dtype=np.uint64)[0] >> 1)


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def run_sweep(path: str | Path, out: Path | None = None, backend: str = "process", workers: int | None = None,
              scheduler: str | None = None,
              progress: Callable[[int, int], None] | None = None) -> Path:
    """Run (or resume) a sweep; returns the output folder."""
    spec, base, base_path = load_sweep(path)
    points = design_points(spec)
    scenarios = [parse_scenario(apply_overrides(base, p), str(base_path)) for p in points]
    reps = spec.replications or scenarios[0].run.replications
    seed = scenarios[0].run.seed if spec.seed is None else spec.seed
    out = Path(out) if out is not None else Path("results") / "sweeps" / io.safe_name(spec.name)
    sweep_hash = _digest({"spec": spec.model_dump(mode="json"), "base": base})
    (out / "points").mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("sweep_sha256") != sweep_hash:
            raise SweepError(str(path), [Issue("<file>", f"{out} holds a different sweep (its file or base "
                                               "scenario changed)", None, "use another --out folder, or delete it")])
    from contactsim.results import versions

    io.write_json(manifest_path, {
        "kind": "sweep", "name": spec.name, "sweep_file": str(path), "base_scenario": str(base_path),
        "sweep_sha256": sweep_hash, "design": spec.design, "factors": list(spec.factors), "points": len(points),
        "replications": reps, "seed": seed, "crn": spec.crn, "versions": versions(),
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    })
    todo = [k for k in range(len(points)) if not (out / "points" / f"point={k:05d}" / POINT_FILE).exists()]
    done = [len(points) - len(todo)]
    if progress:
        progress(done[0], len(points))
    tasks = [(scenarios[k].model_dump_json(), point_seed(seed, k, spec.crn), list(range(reps)), False, k)
             for k in todo]

    def finished(result: tuple[int, list]) -> None:
        k, replications = result
        kpis = pd.concat([r.kpis for r in replications], ignore_index=True)
        kpis = kpis[kpis["interval"] == "all"]
        for name, value in points[k].items():
            kpis.insert(0, name, json.dumps(value) if isinstance(value, dict | list) else value)
        kpis.insert(0, "point", k)
        io.write_parquet(out / "points" / f"point={k:05d}" / POINT_FILE, kpis.reset_index(drop=True))
        done[0] += 1
        if progress:
            progress(done[0], len(points))

    executor, close = make_executor(backend, workers, scheduler)
    try:
        map_tasks(_run_point, tasks, executor, finished)
    finally:
        close()
    write_summary(out, points)
    return out


def _run_point(scenario_json: str, seed: int, reps: list[int], keep: bool, point: int) -> tuple[int, list]:
    """Worker entry point (importable, picklable): all replications of one point."""
    return point, run_chunk(scenario_json, seed, reps, keep)


def read_points(out: Path) -> pd.DataFrame:
    """Every finished point's per-replication KPIs (interval 'all'), as one DataFrame."""
    files = sorted((out / "points").glob(f"point=*/{POINT_FILE}"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)


def write_summary(out: Path, points: list[dict[str, Any]]) -> pd.DataFrame:
    """sweep_summary.csv: per point, its factors and mean / 95% CI of every KPI (interval all)."""
    data = read_points(out)
    frames = []
    for k, g in data.groupby("point", sort=True):
        s = summarise(g[["replication", "segment", "channel", "pool", "interval", "metric", "value"]])
        for name, value in reversed(list(points[int(k)].items())):
            s.insert(0, name, json.dumps(value) if isinstance(value, dict | list) else value)
        s.insert(0, "point", int(k))
        frames.append(s.drop(columns=["scenario"]))
    summary = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    io.write_csv(out / "sweep_summary.csv", summary)
    return summary


def sweep_scenarios(base: Scenario, factors: dict[str, list[Any]]) -> list[Scenario]:
    """A grid of scenarios from Python: every combination of the factors' values applied to ``base``."""
    data = base.model_dump(mode="json")
    names = list(factors)
    out = []
    for combo in itertools.product(*(factors[k] for k in names)):
        over = dict(zip(names, combo, strict=True))
        out.append(parse_scenario(apply_overrides(data, over), f"<{base.name}>"))
    return out


def simulate_grid(base: Scenario, factors: dict[str, list[Any]], replications: int | None = None,
                  seed: int | None = None, workers: int | None = None, backend: str = "process") -> pd.DataFrame:
    """Python API: run a grid on the same customers and return one tidy summary with the factors as columns."""
    scenarios = sweep_scenarios(base, factors)
    n = replications or base.run.replications
    seed = base.run.seed if seed is None else seed
    names = list(factors)
    combos = list(itertools.product(*(factors[k] for k in names)))
    tasks = [(sc.model_dump_json(), seed, list(range(n)), False, k) for k, sc in enumerate(scenarios)]
    executor, close = make_executor(backend, workers or os.cpu_count() or 1)
    try:
        results = map_tasks(_run_point, tasks, executor)
    finally:
        close()
    frames = []
    for (k, reps), combo in zip(results, combos, strict=True):
        s = assemble(scenarios[k], seed, reps, 0.0).summary
        for name, value in zip(names, combo, strict=True):
            s[name] = value
        frames.append(s)
    return pd.concat(frames, ignore_index=True)
