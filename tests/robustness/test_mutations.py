"""Every leaf field of every bundled scenario, set to a hostile value: no traceback, no hang, KPIs in range.

Each leaf (a scalar, a list of scalars and its first item; the first three items of lists of mappings) is
set to 0, -1, 1e308, NaN, inf, a string, a list, a bool, or deleted. Every mutant is validated: it is
valid, or refused with issues that each name a field, a problem and a fix. A fixed sample of the valid
mutants is then run for one replication of one short day, under an alarm (a hang fails the test), and
every KPI must be finite and inside its feasible range (shares in [0, 1], times and counts >= 0).

CI keeps this to seconds: mutants of the near-identical variants (``*_equal``, ``*_off``) are skipped where
the leaf holds the same value as in the main scenario, each leaf gets three of the nine mutations (rotating,
so every kind is used on a third of the leaves), and 12 valid mutants are run. ``CONTACTSIM_MUTATIONS=all``
applies all nine mutations to every leaf and runs every valid mutant.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from contactsim.errors import ScenarioError
from contactsim.experiment import simulate
from contactsim.metrics import feasible_range
from contactsim.resources import estimate
from contactsim.scenario.load import parse_scenario

ROOT = Path(__file__).parents[2]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
FULL = os.environ.get("CONTACTSIM_MUTATIONS") == "all"
DELETE = object()
MUTATIONS: list[Any] = [0, -1, 1e308, math.nan, math.inf, "hostile text", [1, 2, 3], True, DELETE]
SAMPLE = 12
HANG_S = 120


def _leaves(node: Any, prefix: tuple = ()) -> Iterator[tuple]:
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*prefix, k))
    elif isinstance(node, list):
        if node and all(not isinstance(v, dict | list) for v in node):
            yield prefix
            yield (*prefix, 0)
        else:
            for i, v in enumerate(node[:3]):
                yield from _leaves(v, (*prefix, i))
        if not node:
            yield prefix
    else:
        yield prefix


def _get(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


@contextlib.contextmanager
def _mutated(data: dict, path: tuple, value: Any) -> Iterator[dict]:
    """Set (or delete) the leaf in place and restore it afterwards: no copy of the scenario per mutant."""
    parent, key = _get(data, path[:-1]), path[-1]
    old = parent[key]
    if value is DELETE:
        if isinstance(parent, list):
            parent.pop(key)
        else:
            del parent[key]
    else:
        parent[key] = value
    try:
        yield data
    finally:
        if value is DELETE and isinstance(parent, list):
            parent.insert(key, old)
        else:
            parent[key] = old


@contextlib.contextmanager
def _alarm(seconds: int, what: str) -> Iterator[None]:
    def hang(signum: int, frame: object) -> None:
        raise TimeoutError(f"hang: {what} took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _main_of(path: Path) -> Path | None:
    for suffix in ("_equal", "_off"):
        if path.stem.endswith(suffix):
            return path.with_name(path.stem.removesuffix(suffix) + ".yaml")
    return None


def _mutants(path: Path) -> Iterator[tuple[tuple, Any]]:
    data = yaml.safe_load(path.read_text())
    main = _main_of(path)
    twin = yaml.safe_load(main.read_text()) if main and not FULL else None
    for i, leaf in enumerate(_leaves(data)):
        if twin is not None:
            try:
                if _get(twin, leaf) == _get(data, leaf):
                    continue
            except (KeyError, IndexError, TypeError):
                pass
        kinds = MUTATIONS if FULL else [MUTATIONS[(i + k) % len(MUTATIONS)] for k in (0, 3, 6)]
        for value in kinds:
            yield leaf, value


def _short(data: dict) -> dict:
    """One day (or a 2-hour steady state), one replication, at most 2,000 needs a day."""
    out = yaml.safe_load(yaml.safe_dump(data, sort_keys=False))
    h = out.get("horizon")
    if isinstance(h, dict):
        if "days" in h:
            h["days"] = 1
            for inc in out.get("incidents") or []:
                if isinstance(inc, dict):
                    inc["day"] = 1
        elif "steady_state_hours" in h:
            h["steady_state_hours"], h["warmup_hours"] = 2, 1
        h["drain_hours"] = 6
    total = sum(r.get("volume_per_day") or 0 for r in (out.get("reasons") or {}).values() if isinstance(r, dict))
    if total > 2000:
        for r in out["reasons"].values():
            if isinstance(r, dict) and isinstance(r.get("volume_per_day"), int | float):
                r["volume_per_day"] = r["volume_per_day"] * 2000 / total
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_leaf_mutation_validates_cleanly_and_a_sample_runs(path: Path) -> None:
    data = yaml.safe_load(path.read_text())
    valid: list[tuple[tuple, Any]] = []
    rejected = 0
    with _alarm(HANG_S, f"validating the mutants of {path.name}"):
        for leaf, value in _mutants(path):
            with _mutated(data, leaf, value) as mutant:
                try:
                    sc = parse_scenario(mutant, path.name)
                except ScenarioError as e:
                    rejected += 1
                    assert e.issues, (leaf, value)
                    for issue in e.issues:
                        assert issue.path and issue.message and issue.fix, (leaf, value, issue)
                    continue
                est = estimate(sc)
                assert math.isfinite(est.memory_bytes) and math.isfinite(est.cpu_seconds), (leaf, value)
                valid.append((leaf, value))
    assert rejected > 0
    step = max(1, len(valid) // SAMPLE)
    sample = valid if FULL else valid[::step][:SAMPLE]
    for leaf, value in sample:
        with _mutated(data, leaf, value) as mutant:
            short = _short(mutant)
        try:
            sc = parse_scenario(short, path.name)
        except ScenarioError:
            continue  # shortening made it invalid (e.g. a profile that only works over a week)
        if estimate(sc, replications=1).cpu_seconds > 60:
            continue
        with _alarm(HANG_S, f"running {path.name} with {leaf} = {value!r}"):
            res = simulate(sc, replications=1, workers=1)
        k = res.kpis
        values = k["value"].to_numpy(float)
        assert not np.isinf(values).any(), (leaf, value)
        for metric, g in k.groupby("metric"):
            lo, hi = feasible_range(str(metric))
            v = g["value"].to_numpy(float)
            v = v[np.isfinite(v)]
            assert (v >= lo - 1e-9).all() and (v <= hi + 1e-9).all(), (leaf, value, metric, v.min(), v.max())
