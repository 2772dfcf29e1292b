"""Sweeps: identical results on every backend and worker count; resumable after a real kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from contactsim.sweep import read_points, run_sweep

ROOT = Path(__file__).parents[2]


def _sweep_file(tmp: Path, points: int = 4, hours: float = 6.0, reps: int = 2) -> Path:
    base = yaml.safe_load((ROOT / "scenarios" / "call_centre_mmc.yaml").read_text())
    base["horizon"]["steady_state_hours"] = hours
    (tmp / "base.yaml").write_text(yaml.safe_dump(base))
    staffing = list(range(14, 14 + points))
    spec = {"name": "t", "base": "base.yaml", "factors": {"pools.agents.staffing": staffing}, "replications": reps}
    (tmp / "sweep.yaml").write_text(yaml.safe_dump(spec))
    return tmp / "sweep.yaml"


def _frame(out: Path) -> pd.DataFrame:
    return read_points(out).sort_values(["point", "replication", "segment", "channel", "pool", "metric"],
                                        kind="stable").reset_index(drop=True)


def test_same_results_serial_processes_and_dask(tmp_path: Path) -> None:
    f = _sweep_file(tmp_path)
    serial = _frame(run_sweep(f, tmp_path / "serial", backend="serial"))
    procs = _frame(run_sweep(f, tmp_path / "procs", backend="process", workers=2))
    dask = _frame(run_sweep(f, tmp_path / "dask", backend="dask", workers=2))
    assert len(serial) > 0 and serial["point"].nunique() == 4
    pd.testing.assert_frame_equal(serial, procs)
    pd.testing.assert_frame_equal(serial, dask)
    summary = pd.read_csv(tmp_path / "serial" / "sweep_summary.csv")
    sl = summary[(summary["metric"] == "service_level") & (summary["segment"] == "all")
                 & (summary["channel"] == "all") & (summary["pool"] == "all")]
    assert sl["mean"].is_monotonic_increasing  # more agents, same customers (crn): never a lower service level


def test_crn_off_gives_each_point_its_own_customers(tmp_path: Path) -> None:
    f = _sweep_file(tmp_path, points=2)
    spec = yaml.safe_load(f.read_text())
    spec["factors"] = {"pools.agents.staffing": [15, 15]}
    f.write_text(yaml.safe_dump({**spec, "crn": True}))
    same = read_points(run_sweep(f, tmp_path / "crn", backend="serial"))
    f.write_text(yaml.safe_dump({**spec, "crn": False}))
    diff = read_points(run_sweep(f, tmp_path / "nocrn", backend="serial"))
    off = lambda d, k: d[(d["point"] == k) & (d["metric"] == "offered") & (d["segment"] == "all")  # noqa: E731
                         & (d["channel"] == "all")]["value"].to_numpy()
    assert (off(same, 0) == off(same, 1)).all()
    assert (off(diff, 0) != off(diff, 1)).any()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_killed_sweep_resumes_without_recomputing(tmp_path: Path, sig: int) -> None:
    f = _sweep_file(tmp_path, points=10, hours=60.0, reps=3)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "contactsim.cli", "sweep", str(f), "--out", str(out), "--backend", "serial"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and len(list(out.glob("points/point=*/part.parquet"))) < 2:
        time.sleep(0.05)
    os.kill(proc.pid, sig)
    proc.wait(timeout=30)
    finished = sorted(out.glob("points/point=*/part.parquet"))
    assert 2 <= len(finished) < 10, "the kill must land mid-sweep"
    # a half-written point is at most a hidden temporary file, never a part.parquet
    assert all(p.name == "part.parquet" for p in out.glob("points/point=*/*.parquet"))
    stamps = {p: p.stat().st_mtime_ns for p in finished}
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert {p: p.stat().st_mtime_ns for p in finished} == stamps, "finished points were recomputed"
    assert len(list(out.glob("points/point=*/part.parquet"))) == 10
    whole = run_sweep(f, tmp_path / "whole", backend="serial")
    pd.testing.assert_frame_equal(_frame(out), _frame(whole))
