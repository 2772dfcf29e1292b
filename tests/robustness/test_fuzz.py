"""Random mutations of valid scenarios: the tool runs or gives a clean validation error, nothing else."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactsim.errors import ContactsimError
from contactsim.experiment import simulate
from contactsim.scenario.load import parse_scenario
from contactsim.scenario.rules import expected_needs

ROOT = Path(__file__).parents[2]
BASES = [
    yaml.safe_load((Path(__file__).parent / "base.yaml").read_text()),
    yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text()),
]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            out += _paths(v, (*prefix, i))
    return out


WEIRD = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.integers(-5, 5), max_size=30), st.dictionaries(st.text(max_size=5),
                                                                                     st.integers(), max_size=3),
    st.sampled_from([0, -1, 1e308, -0.0, "08:00-07:00", "mon-sun", "all", "../x", "<script>", [], {}]),
)


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        parent = data
        for p in path[:-1]:
            parent = parent[p]
        action = draw(st.sampled_from(["replace", "delete", "add_key", "scale"]))
        key = path[-1]
        if action == "delete" and isinstance(parent, dict):
            parent.pop(key, None)
        elif action == "add_key" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(WEIRD)
        elif action == "scale" and isinstance(parent[key], int | float) and not isinstance(parent[key], bool):
            parent[key] = parent[key] * draw(st.sampled_from([-1, 0, 0.5, 3, 1e6]))
        else:
            parent[key] = draw(WEIRD)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_mutated_scenarios_validate_cleanly(data: dict) -> None:
    try:
        sc = parse_scenario(data, "<fuzz>")
    except ContactsimError as e:
        assert e.issues and str(e).startswith("<fuzz>")
        return
    assert sc.name


@st.composite
def rescaled(draw: st.DrawFn) -> dict:
    """The small base with numbers scaled: mostly valid scenarios in unusual corners."""
    data = copy.deepcopy(BASES[0])
    numeric = [p for p in _paths(data) if _leaf(data, p).__class__ in (int, float)]
    for path in draw(st.lists(st.sampled_from(numeric), min_size=1, max_size=3)):
        parent = data
        for p in path[:-1]:
            parent = parent[p]
        parent[path[-1]] = parent[path[-1]] * draw(st.sampled_from([0, 0.01, 0.5, 2, 7]))
    return data


def _leaf(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=rescaled())
def test_valid_mutations_simulate(data: dict) -> None:
    try:
        sc = parse_scenario(data, "<fuzz>")
    except ContactsimError:
        return
    if expected_needs(sc) > 5000:
        return
    res = simulate(sc, replications=1, workers=1)
    assert all(math.isfinite(v) or math.isnan(v) for v in res.kpis["value"])
    assert (res.values("conservation_gap") == 0).all()
