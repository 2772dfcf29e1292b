"""The bundled relationship-modes set (seed 004): six files, one organisation, the same customers; each
mode leaves its own mark on the per-need records and all run in seconds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from contactsim.compare import compare
from contactsim.errors import ScenarioError
from contactsim.scenario.load import load_scenario

FOLDER = Path(__file__).parents[2] / "scenarios" / "relationship_modes"
MODES = ["personal_assistance", "account_manager", "co_creation", "community", "self_service", "automated"]


@pytest.fixture(scope="module")
def comparison():
    scs = [load_scenario(FOLDER / f"{m}.yaml", {"horizon.days": 3}) for m in MODES]
    t0 = time.perf_counter()
    res = compare(scs, replications=2, workers=1)
    return res, time.perf_counter() - t0


def _kpi(run, metric: str) -> float:
    return float(run.kpi(metric)["mean"])


def test_six_modes_same_customers_each_with_its_signature(comparison) -> None:
    res, seconds = comparison
    runs = dict(zip(MODES, res.runs, strict=True))
    assert [r.scenario.name for r in res.runs] == MODES, "each file's name is its mode (results folders)"
    assert seconds < 60, "the set runs in seconds (six scenarios x 2 replications x 3 days)"
    base = runs["personal_assistance"].needs
    for mode, run in runs.items():
        n = run.needs
        assert (n["customer_id"].to_numpy() == base["customer_id"].to_numpy()).all(), f"{mode}: same customers"
    assert _kpi(runs["automated"], "needs_automated") > 0.3 * len(base) / 2
    assert _kpi(runs["community"], "community_posts") > 0
    assert _kpi(runs["co_creation"], "needs_prevented") > 0.08 * len(base) / 2
    assert _kpi(runs["self_service"], "needs_self_served") > _kpi(runs["personal_assistance"], "needs_self_served")
    am = runs["account_manager"]
    assert (am.contacts["pool"] == "advisors").any()
    assert am.needs["advisor"].between(0, 39).all()
    costs = {m: _kpi(r, "cost_per_resolved_need") for m, r in runs.items()}
    assert max(costs, key=costs.get) == "account_manager", "the most personal mode is the dearest"
    assert min(costs, key=costs.get) == "automated", "the most automated mode is the cheapest"


def test_extends_only_within_the_folder(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_text("extends: ../base.yaml\nname: v\n")
    with pytest.raises(ScenarioError, match="same folder"):
        load_scenario(tmp_path / "v.yaml")
