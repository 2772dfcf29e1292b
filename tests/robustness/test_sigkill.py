"""A run killed with SIGKILL at any moment never leaves a folder that looks complete but is not.

Several ``contactsim run`` processes start together, each with its own results root, and each is killed
at a different moment: while importing, while simulating, as its hidden ``.partial`` folder appears, and
at points during the writing of its files; one is left to finish. Afterwards every visible run folder
must be complete (manifest.json present, every file it lists present and readable) and anything else
must be a hidden ``.*.partial`` folder that ``read_run`` refuses.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml

from contactsim.results import read_run

ROOT = Path(__file__).parents[2]
BANK = ROOT / "scenarios" / "retail_bank.yaml"
TIMEOUT_S = 120.0


@dataclass
class Victim:
    """A run and when to kill it: ``at_s`` after start, or ``after_files`` files into its partial folder
    (then ``delay_s`` later); neither means it runs to the end."""

    name: str
    at_s: float | None = None
    after_files: int | None = None
    delay_s: float = 0.0
    proc: subprocess.Popen | None = None
    started: float = 0.0
    trigger: float | None = None
    killed: bool = False


def _partial_files(root: Path) -> list[str]:
    """Finished files in the run's hidden partial folder (temporary files are hidden too)."""
    out = []
    for d in root.glob("retail_bank/.*.partial"):
        try:
            out += [f.name for f in d.iterdir() if not f.name.startswith(".")]
        except FileNotFoundError:  # renamed into place meanwhile
            pass
    return out


def _check_folder(folder: Path) -> None:
    """A visible run folder is complete: manifest present, every listed file present and readable."""
    run = read_run(folder)
    files = run["manifest"]["files"]
    assert "manifest.json" in files and "summary.csv" in files
    for name in files:
        path = folder / name
        assert path.is_file(), f"{folder}: {name} listed in the manifest but missing"
        if name.endswith(".csv"):
            pd.read_csv(path)
        elif name.endswith(".parquet"):
            pd.read_parquet(path)
        elif name.endswith(".json"):
            json.loads(path.read_text())
        elif name.endswith(".yaml"):
            yaml.safe_load(path.read_text())


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")
def test_killed_runs_never_leave_a_folder_that_looks_complete(tmp_path: Path) -> None:
    victims = [
        Victim("while-importing", at_s=0.3),
        Victim("while-simulating", at_s=1.5),
        Victim("first-files", after_files=1),
        Victim("mid-write", after_files=1, delay_s=0.25),
        Victim("late-write", after_files=5),
        Victim("survivor"),
    ]
    for v in victims:
        cmd = [sys.executable, "-m", "contactsim.cli", "run", str(BANK), "--results", str(tmp_path / v.name),
               "-n", "8", "-w", "1", "--set", "horizon.days=2", "--set", "incidents.0.day=2", "--no-report"]
        v.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        v.started = time.monotonic()
    try:
        while any(v.proc.poll() is None for v in victims):
            now = time.monotonic()
            assert now - victims[0].started < TIMEOUT_S, "runs did not finish"
            for v in victims:
                if v.proc.poll() is not None or v.killed:
                    continue
                if v.after_files is not None and v.trigger is None:
                    if len(_partial_files(tmp_path / v.name)) >= v.after_files:
                        v.trigger = now + v.delay_s
                due = v.started + v.at_s if v.at_s is not None else v.trigger
                if due is not None and now >= due:
                    os.kill(v.proc.pid, signal.SIGKILL)
                    v.killed = True
            time.sleep(0.005)
    finally:
        for v in victims:
            if v.proc.poll() is None:
                v.proc.kill()
            v.proc.wait()
            v.proc.stderr.close()

    interrupted_while_writing = 0
    for v in victims:
        runs = tmp_path / v.name / "retail_bank"
        entries = sorted(runs.iterdir()) if runs.exists() else []
        visible = [e for e in entries if not e.name.startswith(".")]
        for e in entries:
            if e.name.startswith("."):
                assert e.name.endswith(".partial") and e.is_dir(), e
                assert not (e / "manifest.json").exists(), "a partial folder never holds a manifest"
                with pytest.raises(FileNotFoundError):
                    read_run(e)
                interrupted_while_writing += 1
        for folder in visible:
            _check_folder(folder)
        if v.name == "survivor":
            assert v.proc.returncode == 0 and len(visible) == 1 and len(entries) == 1
    # the test must really have interrupted some runs in the middle of writing their folder
    assert interrupted_while_writing >= 2, [(v.name, v.killed, v.proc.returncode) for v in victims]


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its exit status waits to be collected


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_workers_exit_when_the_parent_is_killed(command: str, tmp_path: Path) -> None:
    """SIGKILL the main process of `run -w 2` / `sweep --backend process -w 2`: no worker survives 5 s."""
    if command == "run":
        cmd = [sys.executable, "-m", "contactsim.cli", "run", str(BANK), "--results", str(tmp_path), "-n", "40",
               "-w", "2", "--no-report"]
    else:
        base = yaml.safe_load(BANK.read_text())
        (tmp_path / "bank.yaml").write_text(yaml.safe_dump(base, sort_keys=False))  # pool order matters
        (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "s", "base": "bank.yaml", "replications": 20,
                                                         "factors": {"run.seed": [1, 2, 3]}}))
        cmd = [sys.executable, "-m", "contactsim.cli", "sweep", str(tmp_path / "s.yaml"), "--out",
               str(tmp_path / "out"), "--backend", "process", "-w", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while len(workers) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "workers never started"
            time.sleep(0.1)
            workers = [p for p in _children(proc.pid) if _alive(p)]
        time.sleep(0.5)  # let them pick up tasks
        workers = [p for p in _children(proc.pid) if _alive(p)]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        time.sleep(5)
        survivors = [p for p in workers if _alive(p)]
    finally:
        for p in _children(proc.pid):
            with contextlib.suppress(OSError):
                os.kill(p, signal.SIGKILL)
        proc.kill()
        proc.communicate(timeout=30)  # would block for ever while a worker held the pipes
    assert len(workers) >= 2
    assert survivors == []
