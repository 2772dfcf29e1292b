"""Same scenario and seed: identical results, byte for byte, whatever the number of workers; another seed:
other results; and the manifest records what is needed to reproduce a run."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from contactsim.experiment import RunResult, simulate
from contactsim.results import write_run
from contactsim.scenario.load import apply_overrides, parse_scenario, read_yaml, scenario_hash
from contactsim.scenario.schema import Scenario

ROOT = Path(__file__).parents[2]
BANK = ROOT / "scenarios" / "retail_bank.yaml"
FILES = ("summary.csv", "intervals.parquet", "kpis.parquet", "waterfall.csv", "by_reason.csv",
         "scenario.resolved.yaml")


@pytest.fixture(scope="module")
def bank() -> Scenario:
    """The bundled retail bank over 2 days (its day-3 incident moved inside the horizon)."""
    return parse_scenario(apply_overrides(read_yaml(BANK), {"horizon.days": 2, "incidents.0.day": 2}), str(BANK))


@pytest.fixture(scope="module")
def serial(bank: Scenario) -> RunResult:
    return simulate(bank, replications=4, workers=1)


def test_same_seed_gives_byte_identical_files(tmp_path: Path, bank: Scenario, serial: RunResult) -> None:
    again = simulate(bank, replications=4, workers=1)
    a = write_run(serial, results_root=tmp_path / "a")
    b = write_run(again, results_root=tmp_path / "b")
    for name in FILES:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    pd.testing.assert_frame_equal(serial.contacts, again.contacts)
    pd.testing.assert_frame_equal(serial.needs, again.needs)


def test_different_seeds_give_different_results(bank: Scenario, serial: RunResult) -> None:
    other = simulate(bank, replications=4, seed=serial.seed + 1, workers=1)
    assert not other.summary["mean"].equals(serial.summary["mean"])
    assert other.kpi("offered")["mean"] != serial.kpi("offered")["mean"]
    assert not other.contacts["arrival_at"].head(100).equals(serial.contacts["arrival_at"].head(100))


def test_worker_count_does_not_change_results(bank: Scenario, serial: RunResult) -> None:
    two = simulate(bank, replications=4, workers=2, backend="process")
    pd.testing.assert_frame_equal(serial.kpis, two.kpis)
    pd.testing.assert_frame_equal(serial.summary, two.summary)
    pd.testing.assert_frame_equal(serial.contacts, two.contacts)


def test_manifest_records_what_reproduces_the_run(tmp_path: Path, bank: Scenario, serial: RunResult) -> None:
    folder = write_run(serial, results_root=tmp_path)
    man = json.loads((folder / "manifest.json").read_text())
    assert man["scenario_sha256"] == scenario_hash(bank)
    assert man["seed"] == serial.seed and man["replications"] == 4
    for package in ("python", "contactsim", "simpy", "numpy", "pandas", "pydantic"):
        assert man["versions"][package], package
    # the resolved scenario in the folder is the same scenario (same hash) as the one simulated
    resolved = parse_scenario(read_yaml(folder / "scenario.resolved.yaml"))
    assert scenario_hash(resolved) == man["scenario_sha256"]
