"""What a report needs from a results folder on disk, as the tidy frames the figures take.

Only files are read (never engine objects), so ``contactsim report DIR`` rebuilds exactly the report the
run or comparison wrote. Records are read with column subsets, and only needs/contacts arriving inside
the measured window count, as in the KPIs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contactsim import io
from contactsim.errors import ContactsimError, Issue
from contactsim.results import read_rows, read_run, with_interval_columns_of_old_folder
from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.schema import Scenario

FOLDER_FIX = (
    "give a run folder (results/<scenario>/<run-id>) or a comparison folder "
    "(results/comparisons/<id>) written by `contactsim run` or `contactsim compare`"
)


@dataclass
class RunData:
    """One run folder, read back."""

    name: str
    folder: Path
    manifest: dict[str, Any]
    summary: pd.DataFrame
    waterfall: pd.DataFrame
    scenario: Scenario

    @property
    def currency(self) -> str:
        return str(self.manifest.get("currency") or self.scenario.currency)

    @property
    def replications(self) -> int:
        return int(self.manifest.get("replications") or 1)

    def window(self) -> tuple[float, float]:
        """[start, end) of the measured arrivals in seconds (warm-up excluded)."""
        c = compile_scenario(self.scenario)
        return c.warmup_s, c.horizon_s

    @property
    def interval_s(self) -> float:
        return self.scenario.horizon.interval_minutes * 60.0

    @property
    def pool_channels(self) -> dict[str, list[str]]:
        return {p: list(pool.channels) for p, pool in self.scenario.pools.items()}

    @property
    def live_channels(self) -> list[str]:
        """Channels where customers wait on the line (they can abandon), in scenario order: the ones whose
        speed of answer means something (an e-mail backlog's 'ASA' is hours and would swamp the mean)."""
        s = self.summary
        used = set(s.loc[(s["metric"] == "offered") & (s["channel"] != "all"), "channel"].astype(str))
        return [c for c, ch in self.scenario.channels.items() if ch.abandonment and c in used]

    @property
    def concurrency(self) -> dict[str, int]:
        return {c: ch.concurrency for c, ch in self.scenario.channels.items()}


@dataclass
class ComparisonData:
    manifest: dict[str, Any]
    runs: list[RunData]
    differences: pd.DataFrame

    @property
    def baseline(self) -> str:
        return self.runs[0].name


def _not_results(folder: Path, message: str, value: object = None) -> ContactsimError:
    return ContactsimError(
        str(folder), [Issue("<folder>", message, value, FOLDER_FIX)], kind="results folder"
    )


def read_manifest(folder: Path) -> dict[str, Any]:
    """The folder's manifest.json, or a clear user error when it is not a finished results folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise _not_results(folder, "no such folder")
    man = folder / "manifest.json"
    if not man.is_file():
        raise _not_results(
            folder,
            "not a finished contactsim results folder (no manifest.json; an interrupted "
            "run leaves only a hidden .partial folder)",
        )
    try:
        data = json.loads(man.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise _not_results(folder, f"manifest.json is not valid JSON ({e})") from None
    if not isinstance(data, dict) or data.get("kind") not in ("run", "comparison"):
        kind = data.get("kind") if isinstance(data, dict) else None
        raise _not_results(folder, "manifest.json 'kind' must be 'run' or 'comparison'", kind)
    return data


def load_run(folder: Path) -> RunData:
    """A run folder's tables (summary, waterfall), manifest and resolved scenario."""
    folder = Path(folder)
    read_manifest(folder)
    try:
        r = read_run(folder)
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise _not_results(folder, f"incomplete run folder: {e}") from None
    name = str(r["manifest"].get("scenario") or r["scenario"].name)
    summary = r["summary"]
    if "scenario" not in summary.columns or summary["scenario"].isna().all():
        summary = summary.assign(scenario=name)
    summary = summary.assign(scenario=summary["scenario"].astype(str))
    wf = r["waterfall"].assign(scenario=name)
    return RunData(
        name=name,
        folder=folder,
        manifest=r["manifest"],
        summary=summary,
        waterfall=wf,
        scenario=r["scenario"],
    )


def load_comparison(folder: Path) -> ComparisonData:
    """Each scenario's run folder (baseline first, in the manifest's order) and the paired differences."""
    folder = Path(folder)
    man = read_manifest(folder)
    runs_map = man.get("runs") or {}
    names = man.get("scenarios") or list(runs_map)
    runs = []
    for name in names:
        rel = runs_map.get(name, f"runs/{io.safe_name(name)}")
        path = folder / str(rel)
        if not io.within(folder, path):
            raise _not_results(folder, "manifest.json points a run outside the comparison folder", rel)
        runs.append(load_run(path))
    if not runs:
        raise _not_results(folder, "manifest.json lists no scenarios")
    diffs = (
        read_rows(folder, "differences.csv", "differences_intervals.parquet")
        if (folder / "differences.csv").is_file()
        else pd.DataFrame(
            columns=[
                "baseline",
                "scenario",
                "segment",
                "channel",
                "pool",
                "interval",
                "metric",
                "diff_mean",
                "ci_low",
                "ci_high",
                "significant",
            ]
        )
    )
    diffs = with_interval_columns_of_old_folder(diffs)
    if "significant" in diffs.columns:
        diffs["significant"] = diffs["significant"].astype(str).str.lower().isin(["true", "1"])
    return ComparisonData(manifest=man, runs=runs, differences=diffs)


def _records(run: RunData, file: str, columns: list[str]) -> pd.DataFrame | None:
    path = run.folder / file
    if not path.is_file():
        return None
    df = pd.read_parquet(path, columns=columns)
    start, end = run.window()
    return df[(df["arrival_at"] >= start) & (df["arrival_at"] < end)]


def needs_flows(runs: list[RunData]) -> pd.DataFrame:
    """scenario, segment, level, terminal, needs (mean per replication) from needs.parquet."""
    out = []
    for r in runs:
        nd = _records(r, "needs.parquet", ["replication", "arrival_at", "segment", "level", "terminal"])
        if nd is None or nd.empty:
            continue
        reps = max(int(nd["replication"].nunique()), 1)
        g = nd.groupby(["segment", "level", "terminal"], observed=True).size().rename("needs").reset_index()
        g["needs"] = g["needs"] / reps
        g.insert(0, "scenario", r.name)
        out.append(g.astype({"segment": str, "level": str, "terminal": str}))
    return (
        pd.concat(out, ignore_index=True)
        if out
        else pd.DataFrame(columns=["scenario", "segment", "level", "terminal", "needs"])
    )


def handled_waits(runs: list[RunData]) -> pd.DataFrame:
    """scenario, segment, channel, wait_s, sl_threshold_s per handled customer contact (contacts.parquet)."""
    out = []
    for r in runs:
        c = _records(
            r,
            "contacts.parquet",
            ["kind", "segment", "channel", "outcome", "arrival_at", "wait_s", "sl_threshold_s"],
        )
        if c is None or c.empty:
            continue
        c = c[(c["outcome"] == "handled") & (c["kind"] != "outreach")]
        out.append(
            pd.DataFrame(
                {
                    "scenario": r.name,
                    "segment": c["segment"].astype(str),
                    "channel": c["channel"].astype(str),
                    "wait_s": c["wait_s"].to_numpy(float),
                    "sl_threshold_s": c["sl_threshold_s"].to_numpy(float),
                }
            )
        )
    return (
        pd.concat(out, ignore_index=True)
        if out
        else pd.DataFrame(columns=["scenario", "segment", "channel", "wait_s", "sl_threshold_s"])
    )


def sl_targets(run: RunData) -> dict[str, float]:
    """Each segment's target share across channels, weighted by its offered contacts per channel.

    The all-channel service level counts each contact against its own channel's threshold, so the fair
    line to draw against it is the offered-weighted mix of the channels' target shares.
    """
    sc = run.scenario
    s = run.summary
    off = s[
        (s["metric"] == "offered") & (s["pool"] == "all") & (s["interval"] == "all") & (s["channel"] != "all")
    ]
    out: dict[str, float] = {}
    for seg, g in off.groupby("segment"):
        w, t = [], []
        for ch, vol in zip(g["channel"].astype(str), g["mean"].astype(float), strict=True):
            if ch not in sc.channels:
                continue
            target = sc.service_level_target(ch, str(seg))
            w.append(vol)
            t.append(target.share)
        if w and sum(w) > 0:
            out[str(seg)] = float(np.average(t, weights=w))
    return out
