"""The run folder on disk: what a run writes, and reading it back for reports.

Layout of ``results/<scenario>/<run-id>/``::

    manifest.json           scenario hash, seed, replications, versions, timings, argv
    scenario.resolved.yaml  the scenario with every default filled in
    summary.csv             tidy: scenario, segment, channel, pool, interval, interval_start_s, weekday, metric,
                            mean, ci_low, ci_high, n (interval_start_s, weekday: metrics.INTERVAL_COLUMNS):
                            the whole-horizon rows (interval ``all``), what a person reads
    intervals.parquet       the same columns, every row: the per-interval rows (machine-read: report, export,
                            staffing) and an exact copy of the whole-horizon rows, so ``read_run`` gives the
                            summary back exactly (:func:`write_rows` / :func:`read_rows`)
    kpis.parquet            tidy per replication: replication, segment, channel, pool, interval, interval_start_s,
                            weekday, metric, value
                            (Parquet: machine-read, ~10x smaller and faster than CSV; CSV where a person reads)
    waterfall.csv           volume and cost per funnel level: mean and CI over replications
    by_reason.csv           KPIs by contact reason: scenario, segment, reason, channel, metric, mean, CI, n
    acd_summary.csv         ACD-style KPIs as the scenario's ``kpis`` section defines them (docs/KPIS.md)
    contacts.parquet        one row per contact (when record_contacts is on)
    needs.parquet           one row per customer need with its terminal state
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata as md
import json
import platform
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from contactsim import io
from contactsim.experiment import RunResult
from contactsim.kpis import acd_kpis
from contactsim.metrics import INTERVAL_COLUMNS, interval_columns, summarise, with_interval_columns
from contactsim.scenario.load import scenario_hash
from contactsim.scenario.schema import Scenario

PACKAGES = ("contactsim", "simpy", "numpy", "scipy", "pandas", "pydantic", "pyarrow", "plotly", "openpyxl")


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    for p in PACKAGES:
        try:
            out[p] = md.version(p)
        except md.PackageNotFoundError:
            out[p] = "not installed"
    return out


def waterfall_summary(wf: pd.DataFrame, scenario: str) -> pd.DataFrame:
    long = wf.melt(id_vars=["replication", "level"], value_vars=["needs", "cost"], var_name="metric")
    long = long.rename(columns={"level": "segment"})
    for k in ("channel", "pool", "interval"):
        long[k] = "all"
    s = summarise(long, scenario=scenario).rename(columns={"segment": "level"})
    order = {lv: i for i, lv in enumerate(["preventive", "proactive", "self_service", "personal_digital",
                                          "personal_non_digital"])}
    s = s.drop(columns=["channel", "pool", "interval"])
    return s.sort_values(["metric", "level"], key=lambda col: col.map(order) if col.name == "level" else col
                         ).reset_index(drop=True)


def run_id(scenario: Scenario, seed: int) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{scenario_hash(scenario)[:8]}-s{seed}"


def write_run(result: RunResult, out: Path | None = None, results_root: Path = Path("results"),
              argv: list[str] | None = None, source: str | None = None, replace: bool = False) -> Path:
    """Write a run folder atomically (built under a hidden name, renamed when complete).

    ``replace``: an existing non-empty ``out`` is swapped for the new folder once it is complete (the CLI's
    --force, after :func:`io.check_new_dir`); otherwise the folder lands beside it as ``out-2``.
    """
    sc = result.scenario
    final = out if out is not None else results_root / io.safe_name(sc.name) / run_id(sc, result.seed)
    with io.staged_dir(final, replace=replace) as (partial, published):
        io.write_text(partial / "scenario.resolved.yaml",
                      yaml.safe_dump(sc.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
        write_rows(partial, "summary.csv", "intervals.parquet", result.summary)
        io.write_parquet(partial / "kpis.parquet", result.kpis)
        io.write_csv(partial / "waterfall.csv", waterfall_summary(result.waterfall, sc.name))
        if result.by_reason is not None:
            io.write_csv(partial / "by_reason.csv", summarise(result.by_reason, scenario=sc.name,
                                                              keys=["segment", "reason", "channel"]))
        if result.contacts is not None:
            io.write_parquet(partial / "contacts.parquet", result.contacts)
            acd = acd_kpis(result.contacts, sc)
            if not acd.empty:
                io.write_csv(partial / "acd_summary.csv", summarise(
                    acd, scenario=sc.name, keys=["segment", "channel"]))
        if result.needs is not None:
            io.write_parquet(partial / "needs.parquet", result.needs)
        manifest = {
            "kind": "run",
            "scenario": sc.name,
            "scenario_file": source,
            "scenario_sha256": scenario_hash(sc),
            "seed": result.seed,
            "replications": result.replications,
            "currency": sc.currency,
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "argv": argv or sys.argv,
            "versions": versions(),
            "timings": result.timings,
            "needs": result.n_needs,
            "contacts": result.n_contacts,
            "files": [*sorted(p.name for p in partial.iterdir()), "manifest.json"],
        }
        io.write_json(partial / "manifest.json", manifest)  # written last: its presence marks a complete run
    return published[0]


_OLD_LABEL = re.compile(r"^d?(\d+) (\w{3}) (\d\d):(\d\d)$")
"""Interval labels of run folders written before KPI rows carried ``INTERVAL_COLUMNS``: 'd03 Wed 08:30' (day
of the run) or '3 Wed 08:30' (day of the week)."""


def with_interval_columns_of_old_folder(frame: pd.DataFrame) -> pd.DataFrame:
    """A table read from a run folder written before the numeric interval columns, with them derived once from
    its labels (the only place a label is parsed); tables that have them are returned as they are."""
    if "interval" not in frame.columns or all(k in frame.columns for k in INTERVAL_COLUMNS):
        return frame
    labels = pd.unique(frame["interval"].astype(str))
    starts, weekdays = [], []
    for lab in labels:
        m = _OLD_LABEL.match(lab)
        starts.append((int(m[1]) - 1) * 86400.0 + int(m[3]) * 3600.0 + int(m[4]) * 60.0 if m else np.nan)
        weekdays.append(m[2] if m else None)
    return with_interval_columns(frame, interval_columns(list(labels), np.array(starts), weekdays))


def write_rows(folder: Path, csv_name: str, parquet_name: str, table: pd.DataFrame) -> None:
    """A summary-like table (run summary, comparison differences) split where it is read: the whole-horizon
    rows (interval ``all``) to ``csv_name`` for a person, the whole table to ``parquet_name`` (machine-read,
    exact: the per-interval rows live only there, the whole-horizon rows are an exact copy of the CSV's)."""
    io.write_csv(folder / csv_name, table[(table["interval"] == "all").to_numpy()])
    io.write_parquet(folder / parquet_name, table)


def read_rows(folder: Path, csv_name: str, parquet_name: str) -> pd.DataFrame:
    """The table :func:`write_rows` wrote, exactly as it was. Folders written before the Parquet copy have
    every row in the CSV (10 significant digits)."""
    path = folder / parquet_name
    if not path.exists():
        return pd.read_csv(folder / csv_name, keep_default_na=False, na_values=[""])
    return pd.read_parquet(path)


def read_summary(folder: Path) -> pd.DataFrame:
    """A run's whole summary (summary.csv's whole-horizon rows, intervals.parquet's per-interval ones)."""
    return read_rows(folder, "summary.csv", "intervals.parquet")


def read_run(folder: Path) -> dict:
    """Read a run folder back (manifest, summary, kpis, waterfall; records lazily by path).

    Folders written before KPI rows carried their numeric interval columns get them here, derived from the
    labels (:func:`with_interval_columns_of_old_folder`), so every reader sees the same columns.
    """
    folder = Path(folder)
    man = folder / "manifest.json"
    if not man.exists():
        raise FileNotFoundError(f"{folder}: not a complete contactsim run (no manifest.json)")
    return {
        "manifest": json.loads(man.read_text()),
        "summary": with_interval_columns_of_old_folder(read_summary(folder)),
        "kpis": with_interval_columns_of_old_folder(
            pd.read_parquet(folder / "kpis.parquet") if (folder / "kpis.parquet").exists()
            else pd.read_csv(folder / "kpis.csv", keep_default_na=False, na_values=[""])),
        "waterfall": pd.read_csv(folder / "waterfall.csv", keep_default_na=False, na_values=[""]),
        "scenario": Scenario.model_validate(yaml.safe_load((folder / "scenario.resolved.yaml").read_text())),
        "folder": folder,
    }
