"""Random mutations of valid scenarios: the tool runs or gives a clean validation error, nothing else.

Three properties, each over a few hundred examples in CI:

- a mutated scenario mapping (keys deleted, renamed or added, types changed, NaN/inf/huge/negative numbers,
  random text, lists of the wrong length) either validates *and compiles*, or raises a ScenarioError whose
  every issue names a field path, says what is wrong and how to fix it;
- corrupted YAML text (truncated, random characters, duplicated lines) is read the same way;
- small mutated scenarios that still validate simulate one replication without an exception, with finite
  KPIs and every need accounted for.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import yaml
from helpers import examples, mmc_dict
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from contactsim.errors import ScenarioError
from contactsim.experiment import simulate
from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.load import apply_overrides, parse_scenario, parse_yaml_text, scenario_hash
from contactsim.scenario.rules import expected_needs
from contactsim.scenario.schema import Scenario

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
BASE_TEXT = (HERE / "base.yaml").read_text()
BASES: dict[str, dict[str, Any]] = {
    "base": yaml.safe_load(BASE_TEXT),
    "mmc": mmc_dict(120, 300, 12, patience_s=180, hours=24, warmup_hours=2),
    "retail_bank": yaml.safe_load((ROOT / "scenarios" / "retail_bank.yaml").read_text()),
}


def _small_bank() -> dict[str, Any]:
    """The bundled bank (policies, premium, steering, callbacks, IVR, webcare) over 2 days at 5% volume."""
    data = apply_overrides(BASES["retail_bank"], {"horizon.days": 2, "incidents.0.day": 2})
    for reason in data["reasons"].values():
        reason["volume_per_day"] *= 0.05
    return data


BASES["bank_small"] = _small_bank()
SMALL = ["base", "mmc", "bank_small"]
"""Bases cheap enough to simulate after mutation."""

WEIRD = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.lists(st.one_of(st.integers(-5, 5), st.floats(allow_nan=True)), max_size=30),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from([0, -1, 1e308, -0.0, 10**400, "08:00-07:00", "mon-sun", "all", "../x", "<script>", "24/7",
                     [], {}, {"dist": "exponential"}, {"dist": "empirical", "values": []}]),
)
FACTORS = [-1, 0, 1e-9, 0.5, 3, 1e6, 1e300]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path into a nested mapping (the first items of long lists only)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            out += _paths(v, (*prefix, i))
    return out


def _at(data: Any, path: tuple) -> Any:
    for p in path:
        data = data[p]
    return data


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


@st.composite
def mutated(draw: st.DrawFn, bases: list[str] | None = None) -> dict:
    """A base scenario with 1-4 hostile edits."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(bases or sorted(BASES)))])
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(data)))
        parent, key = _at(data, path[:-1]), path[-1]
        value = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add_key", "rename", "scale", "resize", "graft"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[key]
        elif action == "add_key" and isinstance(value, dict):
            value[draw(st.text(min_size=1, max_size=8))] = copy.deepcopy(draw(WEIRD))
        elif action == "rename" and isinstance(parent, dict):
            parent[draw(st.text(min_size=0, max_size=8))] = parent.pop(key)
        elif action == "scale" and _is_number(value):
            try:
                parent[key] = value * draw(st.sampled_from(FACTORS))
            except OverflowError:
                parent[key] = math.inf
        elif action == "resize" and isinstance(value, list):
            n = draw(st.integers(0, 2 * len(value) + 2))
            parent[key] = (value * (n // max(len(value), 1) + 1))[:n] if value else [1.0] * n
        elif action == "graft":  # a piece of the scenario pasted where something else belongs
            parent[key] = copy.deepcopy(_at(data, draw(st.sampled_from(_paths(data)))))
        else:
            # a copy: WEIRD's constants ([], {}, ...) are shared, and a later edit of this one must not
            # change what the strategy draws next time (Hypothesis' explore profile caught it as flaky)
            parent[key] = copy.deepcopy(draw(WEIRD))
    return data


def _assert_clean(err: ScenarioError, file: str) -> None:
    text = str(err)
    assert text.startswith(f"{file}: invalid scenario"), text
    assert err.issues and "Traceback" not in text
    for issue in err.issues:
        assert issue.path and issue.message and issue.fix, issue


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_mutated_scenarios_validate_cleanly(data: dict) -> None:
    try:
        sc = parse_scenario(data, "<fuzz>")
    except ScenarioError as e:
        _assert_clean(e, "<fuzz>")
        event("rejected")
        return
    event("valid")
    assert isinstance(sc, Scenario)
    assert math.isfinite(expected_needs(sc))
    assert len(scenario_hash(sc)) == 64
    compile_scenario(sc)  # what validates must also compile


@st.composite
def corrupted_text(draw: st.DrawFn) -> str:
    """The base file's text with a few random edits: YAML syntax errors, anchors, tags, stray characters."""
    text = BASE_TEXT
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate_line"]))
        if action == "truncate":
            text = text[:at]
        elif action == "insert":
            junk = draw(st.one_of(st.text(max_size=6), st.sampled_from(
                [":", "- ", "&a ", "*a", "!!python/name:os.system ", "!x ", "{", "]", "\t", "'", '"', "\n  ", "---\n",
                 "<<: *a\n", "? ", "%YAML 1.1\n"])))
            text = text[:at] + junk + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)):]
        else:
            lines = text.splitlines(keepends=True)
            if lines:
                i = draw(st.integers(0, len(lines) - 1))
                lines.insert(i, lines[i])
                text = "".join(lines)
    return text


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=corrupted_text())
def test_corrupted_yaml_text_fails_cleanly(text: str) -> None:
    try:
        parse_scenario(parse_yaml_text(text, "<text>"), "<text>")
    except ScenarioError as e:
        _assert_clean(e, "<text>")
        event("rejected: " + ("YAML" if e.issues[0].path == "<file>" else "fields"))
        return
    event("valid")


@st.composite
def plausible(draw: st.DrawFn) -> dict:
    """A small base with numbers rescaled, optional keys dropped and flags flipped: mostly valid scenarios in
    unusual corners (no staff, no patience, tiny or huge handle times, ...)."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(SMALL))])
    for path in draw(st.lists(st.sampled_from(_paths(data)), min_size=1, max_size=4)):
        try:
            parent, key = _at(data, path[:-1]), path[-1]
            value = parent[key]
        except (KeyError, IndexError, TypeError):  # removed by an earlier edit
            continue
        if isinstance(value, bool):
            parent[key] = not value
        elif _is_number(value):
            parent[key] = type(value)(value * draw(st.sampled_from([0, 0.01, 0.5, 2, 7])))
        elif isinstance(parent, dict) and draw(st.booleans()):
            del parent[key]
    return data


@settings(max_examples=examples(80), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=plausible())
def test_valid_mutations_simulate(data: dict) -> None:
    try:
        sc = parse_scenario(data, "<fuzz>")
    except ScenarioError as e:
        _assert_clean(e, "<fuzz>")
        event("rejected")
        return
    if expected_needs(sc) > 5000:
        event("too big to simulate here")
        return
    event("simulated")
    res = simulate(sc, replications=1, workers=1)
    assert not res.kpis["value"].isin([math.inf, -math.inf]).any()
    assert (res.values("conservation_gap") == 0).all()
