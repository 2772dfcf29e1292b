"""The bundled scenarios: each validates and runs, each baseline twin is a fair comparison, and the bank pair
shows what priority does (issue 5's acceptance).

Every scenario file in ``scenarios/`` (sweep files excluded) is run for 2 replications of a 2-day horizon
(incidents moved inside it): needs are conserved, and the funnel waterfall has every level the scenario
uses and no level it does not. Each no-differentiation twin must see the same customers and pay the same
agent hours as its differentiated scenario, so a comparison isolates the policy.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from contactsim.compare import compare
from contactsim.costs import DAYS_PER_MONTH
from contactsim.experiment import RunResult, simulate
from contactsim.records import DIGITAL_KINDS, LEVELS
from contactsim.scenario.compiled import weekly_staffing
from contactsim.scenario.load import load_scenario, read_yaml
from contactsim.scenario.schema import Scenario
from contactsim.scenario.timespec import WEEK_S

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SHORT_DAYS = 2
TWINS = [("retail_bank_equal", "retail_bank"), ("insurer_equal", "insurer"), ("telecom_plus_off", "telecom_plus")]
"""(baseline without the policy, scenario with it)."""


def _is_sweep(path: Path) -> bool:
    """Sweep files live next to the scenarios but describe a design over one, not a contact centre."""
    return "sweep" in path.stem.lower() or "horizon" not in read_yaml(path)


BUNDLED = sorted(p for p in SCENARIOS.glob("*.yaml") if not _is_sweep(p))
WITH_PREMIUM = [p for p in BUNDLED if read_yaml(p).get("policies", {}).get("premium")]
"""Scenarios with a paid tier (or its fee-free twin), whose fee revenue is known from the file alone."""


def _load(name: str, overrides: dict | None = None) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.yaml", overrides)


def _short(name: str) -> Scenario:
    """The scenario cut to SHORT_DAYS days, with any later incident moved to the last day."""
    data = read_yaml(SCENARIOS / f"{name}.yaml")
    if "steady_state_hours" in data["horizon"]:  # a steady-state scenario: shorten its run instead
        return _load(name, {"horizon.steady_state_hours": 24 * SHORT_DAYS})
    overrides: dict = {"horizon.days": SHORT_DAYS}
    for i, inc in enumerate(data.get("incidents", [])):
        if inc.get("day", 1) > SHORT_DAYS:
            overrides[f"incidents.{i}.day"] = SHORT_DAYS
    return _load(name, overrides)


@cache
def _short_run(name: str) -> RunResult:
    return simulate(_short(name), replications=2, workers=1, keep_records=False)


def _used_levels(sc: Scenario) -> set[str]:
    """Funnel levels this scenario can reach, read from its definition."""
    reasons = sc.reasons.values()
    used = set()
    if any(r.prevention and (r.prevention.share > 0 or any(r.prevention.by_segment.values())) for r in reasons):
        used.add("preventive")
    if any(r.proactive and r.proactive.detected_share * r.proactive.satisfied_probability > 0 for r in reasons):
        used.add("proactive")
    tries = any(s.self_service_propensity > 0 for s in sc.segments.values()) or any(
        rule.self_service_first for rule in sc.policies.steering)
    if tries and any(r.self_service and r.self_service.suitability * r.self_service.containment > 0 for r in reasons):
        used.add("self_service")
    kinds = {sc.channels[ch].kind for s in sc.segments.values() for ch, w in s.channel_preference.items() if w > 0}
    if kinds & DIGITAL_KINDS:
        used.add("personal_digital")
    if kinds - DIGITAL_KINDS:
        used.add("personal_non_digital")
    return used


def _paid_hours_per_week(sc: Scenario) -> float:
    """Paid agent hours of a standard week over all pools: on-duty hours / (1 - shrinkage)."""
    total = 0.0
    for pool in sc.pools.values():
        times, agents = weekly_staffing(pool, sc.horizon.interval_minutes * 60.0)
        spans = np.diff(np.append(times, WEEK_S))
        total += float((agents * spans).sum()) / 3600.0 / (1.0 - pool.shrinkage)
    return total


def test_the_bundled_examples_are_all_there() -> None:
    names = {p.stem for p in BUNDLED}
    assert {n for pair in TWINS for n in pair} <= names


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_scenario_validates(path: Path) -> None:
    sc = _load(path.stem)
    assert sc.name == path.stem  # results folders and comparison columns carry the file's name


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_short_run_conserves_needs_and_reaches_every_level_it_uses(path: Path) -> None:
    run = _short_run(path.stem)
    sc = run.scenario
    gaps = run.kpis[run.kpis["metric"] == "conservation_gap"]
    assert len(gaps) == run.replications * (len(sc.segments) + 1)
    assert (gaps["value"] == 0).all()

    used = _used_levels(sc)
    assert used, "a scenario with no funnel level serves nobody"
    needs = run.waterfall.pivot_table(index="replication", columns="level", values="needs", observed=False)
    for level in LEVELS:
        per_rep = needs[level] if level in needs else np.zeros(run.replications)
        if level in used:
            assert (per_rep > 0).all(), f"{path.stem}: no needs end at the {level} level"
        else:
            assert (per_rep == 0).all(), f"{path.stem}: needs end at the {level} level it does not use"


@pytest.mark.parametrize("path", WITH_PREMIUM, ids=lambda p: p.stem)
def test_premium_revenue_is_members_times_the_monthly_fee(path: Path) -> None:
    run = _short_run(path.stem)
    prem = run.scenario.policies.premium
    assert prem is not None and prem.fee_per_contact == 0  # a per-contact fee would depend on the simulation
    months = SHORT_DAYS / DAYS_PER_MONTH
    for name, seg in run.scenario.segments.items():
        expected = (seg.customers or 0) * prem.take_up.get(name, 0.0) * prem.fee_per_month * months
        assert run.values("revenue", segment=name).to_numpy() == pytest.approx(expected, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize(("baseline", "policy"), TWINS, ids=[p for _, p in TWINS])
def test_baseline_twin_has_the_same_customers_and_paid_hours(baseline: str, policy: str) -> None:
    a, b = _short_run(baseline), _short_run(policy)
    for seg in a.scenario.segments:
        assert a.values("needs", segment=seg).tolist() == b.values("needs", segment=seg).tolist()
    assert _paid_hours_per_week(a.scenario) == pytest.approx(_paid_hours_per_week(b.scenario), rel=1e-12)


def test_priority_helps_private_banking_on_the_phone_at_the_cost_of_standard_customers() -> None:
    """Issue 5: the prioritised segment waits less and scores a higher CSAT proxy; the others wait longer."""
    three_days = {"horizon.days": 3}
    cmp = compare([_load("retail_bank_equal", three_days), _load("retail_bank", three_days)], replications=6,
                  workers=1, keep_records=False)
    d = cmp.differences.set_index(["segment", "channel", "pool", "interval", "metric"])

    def phone(segment: str, metric: str) -> pd.Series:
        return d.loc[(segment, "phone", "all", "all", metric)]

    assert phone("private_banking", "mean_wait_s")["ci_high"] < 0
    assert phone("private_banking", "csat")["ci_low"] > 0
    assert phone("standard", "mean_wait_s")["ci_low"] > 0


def test_the_equal_service_bank_is_staffed_to_its_targets_at_sensible_occupancy() -> None:
    """Issue 15: the baseline bank, planned by `contactsim staff`, meets 80/20 on the phone and 80/60 s in
    chat with low abandonment and its agents neither idle nor overrun (before: 45% occupancy, 11% abandon)."""
    res = simulate(_load("retail_bank_equal", {"horizon.days": 3}), replications=3, seed=4242, workers=1,
                   keep_records=False)
    for ch in ("phone", "chat"):
        assert res.kpi("service_level", channel=ch)["mean"] >= 0.8, ch
        assert res.kpi("abandon_rate", channel=ch)["mean"] <= 0.06, ch
    for pool in ("general_phone", "chat_team"):
        assert 0.55 <= res.kpi("occupancy", pool=pool)["mean"] <= 0.85, pool
