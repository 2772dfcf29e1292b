"""Parameter sweeps: a design over dotted scenario fields, run point x replication, resumable.

A sweep file names a base scenario and factors (dotted paths with lists of values for a grid, or
ranges for random and Latin-hypercube designs). Each point of the design is one scenario, validated
before anything runs.

Random numbers: replication ``r`` of point ``k`` draws from the streams of (point seed, r). With
``crn: true`` (the default) the point seed is the sweep's seed for every point, so every point sees
the same customers (common random numbers) and differences between points are the factors' effect,
not noise. With ``crn: false`` the point seed is derived from ``SeedSequence(seed, spawn_key=(k,))``,
so points are statistically independent (and stay so when points are added to the design).

Tasks are point x replication, so a few long points still spread over many workers. A point is
written, atomically, to ``points/point=NNNNN/part.parquet`` once all its replications are in; a point
is done exactly when that file exists. Re-running the same command after Ctrl-C, a killed worker or a
killed process computes only the missing points, and nothing half-written is ever read as done.
``points/`` is a Hive-partitioned Parquet dataset: ``point`` comes from the folder name
(``pandas.read_parquet(out / "points")`` works), the files hold the factor values and the tidy KPIs
(interval ``all``) of every replication.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contactsim import io
from contactsim.errors import ContactsimError, Issue, SweepError
from contactsim.experiment import make_executor, map_tasks, run_chunk
from contactsim.metrics import summarise
from contactsim.results import versions
from contactsim.scenario.load import apply_overrides, issues_from_validation, parse_scenario, read_yaml
from contactsim.scenario.schema import Scenario

POINT_FILE = "part.parquet"
WAVE = 1024
"""Tasks handed to the executor at a time: bounds the results held in memory on huge sweeps."""


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
    factors: dict[str, Annotated[list[Any], Field(min_length=1)] | Range] = Field(min_length=1, max_length=20)
    """Dotted scenario paths: a list of values (grid; random/lhs pick among them) or a range
    {low, high, integer} (random, lhs)."""
    points: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """Number of points of a random or lhs design."""
    design_seed: Annotated[int, Field(ge=0)] = 0
    """Seed of the random / lhs sampling of points (not of the simulation)."""
    replications: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """Replications per point (default: the scenario's run.replications)."""
    seed: Annotated[int, Field(ge=0)] | None = None
    """Simulation seed (default: the scenario's run.seed)."""
    crn: bool = True
    """Common random numbers: every point uses the same seed (the same customers)."""
    out: str | None = None
    """Output folder, relative to the sweep file (default results/sweeps/NAME; --out overrides)."""

    @model_validator(mode="after")
    def _design(self) -> SweepSpec:
        if self.out is not None and (Path(self.out).is_absolute() or ".." in Path(self.out).parts):
            raise ValueError("out must be a folder inside the sweep file's folder (no absolute path, no '..'); "
                             "use --out on the command line to write elsewhere")
        ranges = [k for k, v in self.factors.items() if isinstance(v, Range)]
        if self.design == "grid" and ranges:
            raise ValueError(f"a grid needs lists of values; {ranges} are ranges (use design: random or lhs)")
        if self.design == "grid" and self.points is not None:
            raise ValueError("'points' is for random and lhs designs; a grid has every combination of the values")
        if self.design != "grid" and self.points is None:
            raise ValueError(f"a {self.design} design needs 'points' (how many points to sample)")
        n = 1
        for v in self.factors.values():
            n *= len(v) if isinstance(v, list) else 1
        if self.design == "grid" and n > 100_000:
            raise ValueError(f"the grid has {n:,} points; the limit is 100,000")
        return self


@dataclass(frozen=True)
class Sweep:
    """A validated sweep: the design expanded to points, each with its scenario, seed and replications."""

    spec: SweepSpec
    file: Path
    base_path: Path
    base: dict[str, Any]
    points: list[dict[str, Any]]
    scenarios: list[Scenario]
    seeds: list[int]
    replications: list[int]
    out: Path

    @property
    def digest(self) -> str:
        """Identity of the study (spec without its output folder, base scenario content): resume guard."""
        return _digest({"spec": self.spec.model_dump(mode="json", exclude={"out"}), "base": self.base})


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The points of the design, in a fixed order (grid: the last factor varies fastest)."""
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


def point_seed(seed: int, point: int, crn: bool) -> int:
    """The seed of a point: the sweep's (common random numbers) or one derived from the point index."""
    if crn:
        return seed
    return int(np.random.SeedSequence(seed, spawn_key=(point,)).generate_state(1, dtype=np.uint64)[0] >> 1)


def load_sweep(path: str | Path, out: str | Path | None = None) -> Sweep:
    """Read and validate a sweep file and its base scenario; every point is validated too."""
    file = str(path)
    data = read_yaml(path, kind="sweep")
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as e:
        raise SweepError(file, issues_from_validation(e)) from None
    base_path = (Path(path).parent / spec.base).resolve()
    try:
        base = read_yaml(base_path)
    except ContactsimError as e:  # name the sweep file, its field and the path it resolved to
        raise SweepError(file, [Issue("base", f"{spec.base!r} -> {base_path}: {i.message}", None,
                                      i.fix if "not found" not in i.message else
                                      "give the base scenario's path relative to the sweep file's folder")
                                for i in e.issues[:10]]) from None
    points = design_points(spec)
    scenarios, issues = [], []
    for k, point in enumerate(points):
        try:
            scenarios.append(parse_scenario(apply_overrides(base, point, file=str(base_path)), str(base_path)))
        except ContactsimError as e:
            issues += [Issue(f"point {k} {point}: {i.path}", i.message, i.value, i.fix) for i in e.issues]
        if len(issues) > 20:
            break
    if issues:
        raise SweepError(file, issues)
    seeds = [point_seed(spec.seed if spec.seed is not None else sc.run.seed, k, spec.crn)
             for k, sc in enumerate(scenarios)]
    reps = [spec.replications or sc.run.replications for sc in scenarios]
    if out is None:
        out = Path(path).parent / spec.out if spec.out else Path("results") / "sweeps" / io.safe_name(spec.name)
    return Sweep(spec, Path(path), base_path, base, points, scenarios, seeds, reps, Path(out))


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def point_file(out: Path, point: int) -> Path:
    return out / "points" / f"point={point:05d}" / POINT_FILE


def _refuse_another_study(sw: Sweep, manifest: dict) -> None:
    """A folder whose manifest belongs to another study is refused, so a resume never mixes or deletes it."""
    if manifest.get("sweep_sha256") != sw.digest:
        raise SweepError(str(sw.file), [Issue("<file>", f"{sw.out} holds a different sweep (its design or "
                                              "base scenario changed)", None,
                                              "use another --out folder, or delete that one")])


def _write_manifest(sw: Sweep, done: int, complete: bool) -> None:
    """manifest.json: what the study is (file hashes, design, seeds) and which software ran it.

    Refuses a folder that holds another study, so a resume never mixes two designs.
    """
    path = sw.out / "manifest.json"
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    old = _read_manifest(path)
    if old is not None:
        _refuse_another_study(sw, old)
        created = old.get("created_utc", created)
    io.write_json(path, {
        "kind": "sweep", "name": sw.spec.name, "sweep_file": str(sw.file), "base_scenario": str(sw.base_path),
        "sweep_file_sha256": _file_sha256(sw.file), "base_scenario_sha256": _file_sha256(sw.base_path),
        "sweep_sha256": sw.digest,
        "design": {"type": sw.spec.design, "design_seed": sw.spec.design_seed, "factors": list(sw.spec.factors),
                   "points": [{"point": k, **p} for k, p in enumerate(sw.points)]},
        "crn": sw.spec.crn, "seeds": sorted(set(sw.seeds)) if sw.spec.crn else sw.seeds,
        "replications": sw.replications[0] if len(set(sw.replications)) == 1 else sw.replications,
        "points_done": done, "complete": complete, "versions": versions(),
        "created_utc": created, "updated_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    })


def _read_manifest(path: Path) -> dict[str, Any] | None:
    """The sweep folder's manifest, or None when there is none or it cannot be read (then rewritten)."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return old if isinstance(old, dict) else None


def check_resume(sw: Sweep, notes: list[str]) -> list[int]:
    """Points still to compute; unreadable point files and a corrupt manifest are noted, not trusted.

    A point file is trusted when Parquet can read its footer and it holds this point's factor values
    (so a folder whose manifest was lost cannot mix in another design's points); anything else is
    deleted and computed again.
    """
    import pyarrow.parquet as pq

    man = sw.out / "manifest.json"
    if man.exists():
        old = _read_manifest(man)
        if old is None:
            notes.append(f"{man}: unreadable (corrupt?); rewritten, finished points checked against the design")
            man.unlink()
        else:
            _refuse_another_study(sw, old)  # before any point file is touched
    conv = _factor_columns(sw.points)
    todo = []
    for k, point in enumerate(sw.points):
        f = point_file(sw.out, k)
        if not f.exists():
            todo.append(k)
            continue
        try:
            table = pq.read_table(f, columns=list(point))
            ok = table.num_rows > 0 and all(table.column(n)[0].as_py() == conv[n](v) for n, v in point.items())
        except Exception:
            ok = False
        if not ok:
            notes.append(f"{f}: unreadable or from another design; point {k} is computed again")
            f.unlink()
            todo.append(k)
    return todo


def _factor_columns(points: list[dict[str, Any]]) -> dict[str, Callable[[Any], Any]]:
    """One column type per factor across the whole design, so every point file has the same schema."""
    conv: dict[str, Callable[[Any], Any]] = {}
    for name in points[0]:
        vals = [p[name] for p in points]
        if all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
            conv[name] = int
        elif all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            conv[name] = float
        elif all(isinstance(v, str) for v in vals) or all(isinstance(v, bool) for v in vals):
            conv[name] = lambda v: v
        else:  # lists, mappings, mixed types: one JSON text column
            conv[name] = lambda v: json.dumps(v, sort_keys=True)
    return conv


def _run_replication(scenario_json: str, seed: int, replication: int, point: int) -> tuple[int, int, pd.DataFrame]:
    """Worker entry point (importable, picklable): one replication of one point, its interval-'all' KPIs."""
    (rep,) = run_chunk(scenario_json, seed, [replication], False)
    k = rep.kpis
    return point, replication, k[k["interval"] == "all"].reset_index(drop=True)


def _worker_died() -> tuple[type[BaseException], ...]:
    """Exceptions meaning a worker process died (killed, out of memory), not that a task failed."""
    died: list[type[BaseException]] = [BrokenProcessPool]
    try:
        from distributed import KilledWorker

        died.append(KilledWorker)
    except ImportError:  # pragma: no cover - dask is an optional extra
        pass
    return tuple(died)


def run_points(scenarios: Sequence[Scenario], seeds: Sequence[int], replications: Sequence[int],
               todo: Sequence[int], on_point: Callable[[int, pd.DataFrame], None], *, backend: str = "process",
               workers: int | None = None, scheduler: str | None = None,
               on_replication: Callable[[], None] | None = None, retries: int = 2) -> None:
    """Run every replication of the points ``todo`` as separate tasks; ``on_point(k, kpis)`` once a point is whole.

    ``kpis`` holds the point's replications in replication order, whatever the order tasks finished in.
    When a worker process dies, a new pool runs the replications not yet received (up to ``retries``
    times); replications already received are kept.
    """
    payloads = {k: scenarios[k].model_dump_json() for k in todo}
    tasks = [(payloads[k], seeds[k], r, k) for k in todo for r in range(replications[k])]
    pending: dict[int, dict[int, pd.DataFrame]] = {}
    received: set[tuple[int, int]] = set()

    def finished(result: tuple[int, int, pd.DataFrame]) -> None:
        k, r, kpis = result
        received.add((k, r))
        got = pending.setdefault(k, {})
        got[r] = kpis
        if on_replication:
            on_replication()
        if len(got) == replications[k]:
            del pending[k]
            on_point(k, pd.concat([got[i] for i in sorted(got)], ignore_index=True))

    for attempt in range(retries + 1):
        left = [t for t in tasks if (t[3], t[2]) not in received]
        executor, close = make_executor(backend, workers, scheduler)
        try:
            for start in range(0, len(left), WAVE):
                map_tasks(_run_replication, left[start:start + WAVE], executor, finished)
            return
        except _worker_died() as e:
            if attempt == retries:
                raise SweepError("<workers>", [Issue(
                    "<workers>", f"a worker process died {retries + 1} times ({type(e).__name__}); finished "
                    "points are kept", None, "check memory (each worker holds one replication), then run the "
                    "same command again to compute only the missing points")]) from None
        finally:
            close()


def check_resources(sw: Sweep, max_memory_gb: float | None = None, max_cpu_hours: float | None = None) -> None:
    """Refuse a sweep whose largest point needs more memory, or whose points together need more CPU time,
    than the limits of :mod:`contactsim.resources` (estimated for up to 2,000 points spread over the design)."""
    from contactsim import resources

    n = len(sw.scenarios)
    picked = sorted({round(i * (n - 1) / 1999) for i in range(2000)}) if n > 2000 else range(n)
    ests = [resources.estimate(sw.scenarios[k], sw.replications[k], keep_records=False) for k in picked]
    worst = max(range(len(ests)), key=lambda i: ests[i].memory_bytes)
    cpu = sum(e.cpu_seconds for e in ests) * n / len(ests)
    mem_limit = (resources.DEFAULT_MEMORY_GB if max_memory_gb is None else max_memory_gb) * 1e9
    cpu_limit = (resources.DEFAULT_CPU_HOURS if max_cpu_hours is None else max_cpu_hours) * 3600.0
    issues = []
    if ests[worst].memory_bytes > mem_limit:
        issues.append(Issue(f"point {list(picked)[worst]}", f"estimated memory {ests[worst].memory_bytes / 1e9:,.1f} "
                            f"GB per process is over the limit of {mem_limit / 1e9:,.1f} GB ({ests[worst].describe()})",
                            None, "narrow the factors or raise the limit with --max-memory-gb"))
    if cpu > cpu_limit:
        issues.append(Issue("<file>", f"estimated CPU time {cpu / 3600:,.1f} h for {n:,} points is over the limit "
                            f"of {cpu_limit / 3600:,.1f} h", None,
                            "use fewer points or replications, or raise the limit with --max-cpu-hours"))
    if issues:
        raise SweepError(str(sw.file), issues)


def run_sweep(path: str | Path, out: str | Path | None = None, backend: str = "process", workers: int | None = None,
              scheduler: str | None = None, progress: Callable[[int, int], None] | None = None,
              notes: list[str] | None = None, max_memory_gb: float | None = None,
              max_cpu_hours: float | None = None) -> Path:
    """Run (or resume) a sweep file; returns the output folder.

    ``progress(done, total)`` counts runs (point x replication), finished ones from earlier included.
    ``notes`` receives what a resume found and repaired (corrupt files recomputed).
    """
    sw = load_sweep(path, out)
    io.check_writable_dir(sw.out, "sweep output folder")
    check_resources(sw, max_memory_gb, max_cpu_hours)
    (sw.out / "points").mkdir(parents=True, exist_ok=True)
    todo = check_resume(sw, notes if notes is not None else [])
    _write_manifest(sw, len(sw.points) - len(todo), complete=not todo)
    conv = _factor_columns(sw.points)
    total = sum(sw.replications)
    done = [total - sum(sw.replications[k] for k in todo)]
    if progress:
        progress(done[0], total)

    def tick() -> None:
        done[0] += 1
        if progress:
            progress(done[0], total)

    def write_point(k: int, kpis: pd.DataFrame) -> None:
        for i, (name, value) in enumerate(sw.points[k].items()):
            kpis.insert(i, name, conv[name](value))
        io.write_parquet(point_file(sw.out, k), kpis)

    run_points(sw.scenarios, sw.seeds, sw.replications, todo, write_point, backend=backend, workers=workers,
               scheduler=scheduler, on_replication=tick)
    write_summary(sw.out)
    _write_manifest(sw, len(sw.points), complete=True)
    return sw.out


def read_points(out: str | Path) -> pd.DataFrame:
    """Every finished point's per-replication KPIs (interval 'all'), with ``point`` first, in point order."""
    files = sorted((Path(out) / "points").glob(f"point=*/{POINT_FILE}"))
    frames = []
    for f in files:
        d = pd.read_parquet(f).drop(columns="point", errors="ignore")  # files of early versions held it too
        d.insert(0, "point", int(f.parent.name.split("=", 1)[1]))
        frames.append(d)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def write_summary(out: str | Path) -> pd.DataFrame:
    """sweep_summary.csv: per point, its factors and mean / 95% CI of every KPI (interval all)."""
    data = read_points(out)
    kpi_cols = ["replication", "segment", "channel", "pool", "interval", "metric", "value"]
    frames = []
    for k, g in data.groupby("point", sort=True):
        s = summarise(g[kpi_cols]).drop(columns=["scenario"])
        factors = [c for c in g.columns if c not in kpi_cols and c != "point"]
        for i, name in enumerate(factors):
            s.insert(i, name, g[name].iloc[0])
        s.insert(0, "point", int(k))
        frames.append(s)
    summary = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    io.write_csv(Path(out) / "sweep_summary.csv", summary)
    return summary


def simulate_grid(base: Scenario, factors: dict[str, list[Any]], replications: int | None = None,
                  seed: int | None = None, workers: int | None = None, backend: str = "process",
                  crn: bool = True) -> pd.DataFrame:
    """Python API: run a grid in memory and return one tidy summary with the factors as columns.

    ``crn`` as in sweep files: True runs every point on the same customers. Nothing is written to disk;
    use a sweep file (``run_sweep``) for studies worth resuming.
    """
    data = base.model_dump(mode="json")
    names = list(factors)
    points = [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(factors[k] for k in names))]
    scenarios = [parse_scenario(apply_overrides(data, p), f"<{base.name}>") for p in points]
    seed = base.run.seed if seed is None else seed
    seeds = [point_seed(seed, k, crn) for k in range(len(points))]
    reps = [replications or sc.run.replications for sc in scenarios]
    frames: dict[int, pd.DataFrame] = {}

    def collect(k: int, kpis: pd.DataFrame) -> None:
        s = summarise(kpis, scenario=base.name)
        for i, (name, value) in enumerate(points[k].items()):
            s.insert(1 + i, name, value)
        frames[k] = s

    run_points(scenarios, seeds, reps, range(len(points)), collect, backend=backend,
               workers=workers or os.cpu_count() or 1)
    return pd.concat([frames[k] for k in sorted(frames)], ignore_index=True)

