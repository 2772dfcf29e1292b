"""Sweeps: identical results on every backend and worker count; resumable after real signals; designs."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from contactsim.cli import main
from contactsim.errors import SweepError
from contactsim.sweep import SweepSpec, design_points, read_points, run_sweep

ROOT = Path(__file__).parents[2]
KEYS = ["point", "replication", "segment", "channel", "pool", "metric"]


def _sweep_file(tmp: Path, points: int = 4, hours: float = 6.0, reps: int = 2, **extra: object) -> Path:
    base = yaml.safe_load((ROOT / "scenarios" / "call_centre_mmc.yaml").read_text())
    base["horizon"]["steady_state_hours"] = hours
    (tmp / "base.yaml").write_text(yaml.safe_dump(base))
    spec = {"name": "t", "base": "base.yaml", "replications": reps,
            "factors": {"pools.agents.staffing": list(range(14, 14 + points))}, **extra}
    (tmp / "sweep.yaml").write_text(yaml.safe_dump(spec))
    return tmp / "sweep.yaml"


def _frame(out: Path) -> pd.DataFrame:
    return read_points(out).sort_values(KEYS, kind="stable").reset_index(drop=True)


def test_same_results_serial_processes_and_dask(tmp_path: Path) -> None:
    f = _sweep_file(tmp_path)
    serial = _frame(run_sweep(f, tmp_path / "serial", backend="serial"))
    procs = _frame(run_sweep(f, tmp_path / "procs", backend="process", workers=2))
    dask = _frame(run_sweep(f, tmp_path / "dask", backend="dask", workers=2))
    assert len(serial) > 0 and serial["point"].nunique() == 4 and serial["replication"].nunique() == 2
    pd.testing.assert_frame_equal(serial, procs)
    pd.testing.assert_frame_equal(serial, dask)
    # the points folder is a Hive-partitioned dataset: point comes from the folder names
    whole = pd.read_parquet(tmp_path / "serial" / "points")
    assert sorted(whole["point"].astype(int).unique()) == [0, 1, 2, 3] and len(whole) == len(serial)
    assert (serial.groupby("point")["pools.agents.staffing"].first() == [14, 15, 16, 17]).all()
    summary = pd.read_csv(tmp_path / "serial" / "sweep_summary.csv")
    sl = summary[(summary["metric"] == "service_level") & (summary["segment"] == "all")
                 & (summary["channel"] == "all") & (summary["pool"] == "all")]
    assert sl["mean"].is_monotonic_increasing  # more agents, same customers (crn): never a lower service level
    assert (sl["ci_low"] < sl["mean"]).all() and (sl["n"] == 2).all()
    m = json.loads((tmp_path / "serial" / "manifest.json").read_text())
    assert m["sweep_file_sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    assert m["base_scenario_sha256"] == hashlib.sha256((tmp_path / "base.yaml").read_bytes()).hexdigest()
    assert [p["pools.agents.staffing"] for p in m["design"]["points"]] == [14, 15, 16, 17]
    assert m["complete"] and m["points_done"] == 4 and m["crn"] and "contactsim" in m["versions"]


def test_crn_off_gives_each_point_its_own_customers(tmp_path: Path) -> None:
    f = _sweep_file(tmp_path, points=2)
    spec = yaml.safe_load(f.read_text())
    spec["factors"] = {"pools.agents.staffing": [15, 15]}
    f.write_text(yaml.safe_dump({**spec, "crn": True}))
    same = read_points(run_sweep(f, tmp_path / "crn", backend="serial"))
    f.write_text(yaml.safe_dump({**spec, "crn": False}))
    diff = read_points(run_sweep(f, tmp_path / "nocrn", backend="serial"))

    def offered(d: pd.DataFrame, k: int) -> np.ndarray:
        return d[(d["point"] == k) & (d["metric"] == "offered") & (d["segment"] == "all")
                 & (d["channel"] == "all")]["value"].to_numpy()

    assert (offered(same, 0) == offered(same, 1)).all()
    assert (offered(diff, 0) != offered(diff, 1)).any()


def test_designs_and_the_output_folder_of_the_file(tmp_path: Path) -> None:
    lhs = SweepSpec.model_validate({"name": "l", "base": "b.yaml", "design": "lhs", "points": 10, "design_seed": 3,
                                    "factors": {"a": {"low": 0, "high": 10}, "b": {"low": 1, "high": 5,
                                                                                  "integer": True}}})
    pts = design_points(lhs)
    a = sorted(p["a"] for p in pts)
    assert [int(x) for x in a] == list(range(10))  # exactly one point in each tenth of the range
    assert all(isinstance(p["b"], int) and 1 <= p["b"] <= 5 for p in pts)
    assert design_points(lhs) == pts  # the design seed fixes the points
    grid = SweepSpec.model_validate({"name": "g", "base": "b.yaml", "factors": {"x": [1, 2], "y": ["p", "q"]}})
    assert design_points(grid) == [{"x": 1, "y": "p"}, {"x": 1, "y": "q"}, {"x": 2, "y": "p"}, {"x": 2, "y": "q"}]
    # 'out' in the file is relative to it; unknown keys and points on a grid are errors (exit 2)
    f = _sweep_file(tmp_path, points=1, hours=2.0, reps=2, out="here")
    assert run_sweep(f, backend="serial") == tmp_path / "here"
    assert (tmp_path / "here" / "points" / "point=00000" / "part.parquet").exists()
    spec = yaml.safe_load(f.read_text())
    for bad in ({"colour": 1}, {"points": 3}):
        f.write_text(yaml.safe_dump({**spec, **bad}))
        assert main(["sweep", str(f), "--backend", "serial"]) == 2
    # the same folder with another design is refused, not mixed
    f.write_text(yaml.safe_dump({**spec, "factors": {"pools.agents.staffing": [20]}}))
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(f, backend="serial")
    # ... and refused before anything of the other study is touched
    assert (tmp_path / "here" / "points" / "point=00000" / "part.parquet").exists()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """A 10-point sweep file (each point ~0.3 s) and its uninterrupted result."""
    tmp = tmp_path_factory.mktemp("ref")
    f = _sweep_file(tmp, points=10, hours=60.0, reps=3)
    return f, _frame(run_sweep(f, tmp / "whole", backend="serial"))


def _start(f: Path, out: Path, *args: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "contactsim.cli", "sweep", str(f), "--out", str(out), *args]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)


def _wait_for_points(out: Path, n: int) -> list[Path]:
    deadline = time.time() + 60
    while time.time() < deadline and len(found := list(out.glob("points/point=*/part.parquet"))) < n:
        time.sleep(0.02)
    return found


@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT"])
def test_interrupted_sweep_resumes_without_recomputing(tmp_path: Path, reference: tuple[Path, pd.DataFrame],
                                                       how: str) -> None:
    """SIGKILL: the process dies at once (serial). SIGINT: Ctrl-C to the process group (2 worker processes)."""
    f, whole = reference
    out = tmp_path / "out"
    if how == "SIGKILL":
        proc = _start(f, out, "--backend", "serial")
        _wait_for_points(out, 2)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    else:
        proc = _start(f, out, "--backend", "process", "--workers", "2")
        _wait_for_points(out, 2)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=30) == 130
        assert b"run the same command again" in proc.stderr.read()
    finished = sorted(out.glob("points/point=*/part.parquet"))
    assert 2 <= len(finished) < 10, "the signal must land mid-sweep"
    # a half-written point is at most a hidden temporary file, never a part.parquet
    assert all(p.name == "part.parquet" for p in out.glob("points/point=*/*.parquet"))
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in finished}
    subprocess.run([sys.executable, "-m", "contactsim.cli", "sweep", str(f), "--out", str(out), "--backend",
                    "serial"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in finished} == stamps, "finished points were recomputed"
    pd.testing.assert_frame_equal(_frame(out), whole)


def test_a_killed_worker_is_replaced_and_the_sweep_completes(tmp_path: Path,
                                                             reference: tuple[Path, pd.DataFrame]) -> None:
    f, whole = reference
    out = tmp_path / "out"
    proc = _start(f, out, "--backend", "process", "--workers", "2")
    _wait_for_points(out, 1)
    workers = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert workers, "the sweep should run on worker processes"
    os.kill(int(workers[0]), signal.SIGKILL)
    assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()[-2000:]
    pd.testing.assert_frame_equal(_frame(out), whole)


def test_sweep_file_out_cannot_escape_its_folder(tmp_path: Path) -> None:
    from contactsim.errors import ContactsimError
    from contactsim.sweep import load_sweep

    f = _sweep_file(tmp_path, points=2)
    for bad in ("../../elsewhere", "/tmp/absolute"):
        spec = yaml.safe_load(f.read_text())
        f.write_text(yaml.safe_dump({**spec, "out": bad}))
        with pytest.raises(ContactsimError, match="inside the sweep file's folder"):
            load_sweep(f)
