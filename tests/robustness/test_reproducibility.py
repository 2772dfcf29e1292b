"""Same scenario and seed: identical results, byte for byte, whatever the number of workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

from contactsim.experiment import simulate
from contactsim.results import read_run, write_run
from contactsim.scenario.load import load_scenario

ROOT = Path(__file__).parents[2]
BANK = ROOT / "scenarios" / "retail_bank.yaml"


def test_same_seed_gives_byte_identical_summary(tmp_path: Path) -> None:
    sc = load_scenario(BANK, {"horizon.days": 3})
    a = write_run(simulate(sc, replications=3), tmp_path / "a")
    b = write_run(simulate(sc, replications=3), tmp_path / "b")
    for name in ("summary.csv", "kpis.csv", "waterfall.csv", "by_reason.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    other = simulate(sc, replications=3, seed=sc.run.seed + 1)
    assert not other.summary["mean"].equals(read_run(a)["summary"]["mean"])


def test_worker_count_does_not_change_results() -> None:
    sc = load_scenario(BANK, {"horizon.days": 3})
    one = simulate(sc, replications=4, workers=1)
    two = simulate(sc, replications=4, workers=2)
    pd.testing.assert_frame_equal(one.kpis, two.kpis)
    pd.testing.assert_frame_equal(one.contacts, two.contacts)


def test_killed_run_never_leaves_a_folder_that_looks_complete(tmp_path: Path) -> None:
    root = tmp_path / "results"
    cmd = [sys.executable, "-m", "contactsim.cli", "run", str(BANK), "--results", str(root), "-n", "6", "-w", "1",
           "--set", "horizon.days=3"]
    for delay in (0.5, 1.5, 3.0):
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # and one that is killed as soon as it starts writing its folder
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and not list(root.glob("retail_bank/.*.partial/*")):
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    for folder in (root / "retail_bank").iterdir() if (root / "retail_bank").exists() else []:
        if folder.name.startswith("."):
            assert folder.name.endswith(".partial")
            continue
        run = read_run(folder)  # a visible folder is complete: its manifest lists files that all parse
        for name in run["manifest"]["files"]:
            assert (folder / name).exists(), name
        pd.read_parquet(folder / "contacts.parquet")
