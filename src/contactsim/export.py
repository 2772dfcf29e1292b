"""Exports for the tools planners live in: a wide per-interval CSV and an Excel workbook of a run folder.

Built from the run folder's own files (summary.csv and friends), so an export can be made again at any
time (``contactsim export RESULTS_DIR``). Intervals carry clock-time columns (day, weekday, start, end)
instead of one text label, so a spreadsheet can filter and pivot on them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from contactsim import io
from contactsim.metrics import interval_table

WIDE_METRICS = ["offered", "handled", "abandoned", "service_level", "sl_target_met", "asa_s", "mean_wait_s",
                "wait_p90_s", "abandon_rate", "aht_s", "fcr", "csat", "cost_per_contact"]
"""Per interval x channel x segment columns of the wide export, in this order."""


def clock_columns(rows: pd.DataFrame, interval_minutes: int) -> pd.DataFrame:
    """day, weekday, start, end columns of per-interval rows, from their numeric interval columns
    (``interval_start_s``, ``weekday``): day 1 is the first day of the run (of the week for
    time-of-week rows)."""
    start_s = rows["interval_start_s"].to_numpy(dtype=float)
    known = np.isfinite(start_s)
    day = np.where(known, start_s // 86400 + 1, np.nan)
    minute = np.where(known, start_s % 86400 // 60, 0).astype(int)
    end = minute + interval_minutes

    def clock(m: int) -> str:
        return f"{m // 60 % 24:02d}:{m % 60:02d}" if m < 1440 else "24:00"

    return pd.DataFrame({
        "day": pd.array([int(d) if k else None for d, k in zip(day, known, strict=True)], dtype="Int64"),
        "weekday": [w if k else None for w, k in zip(rows["weekday"], known, strict=True)],
        "start": [clock(m) if k else None for m, k in zip(minute, known, strict=True)],
        "end": [clock(e) if k else None for e, k in zip(end, known, strict=True)],
    }, index=rows.index)


def _interval_rows(frame: pd.DataFrame, intervals: pd.DataFrame) -> pd.DataFrame:
    """The numeric interval columns (``intervals``: :func:`metrics.interval_table` of the summary) for each
    row of ``frame`` (by its interval label)."""
    return intervals.reindex(frame["interval"]).set_axis(frame.index)


def wide_intervals(summary: pd.DataFrame, interval_minutes: int, intervals: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """One row per interval x channel x segment with the KPI means as columns, then the staffing of every
    pool in that interval (``agents <pool>``, ``occupancy <pool>``). ``intervals``: the summary's
    :func:`metrics.interval_table`, when the caller has it already."""
    s = summary[(summary["interval"].astype(str) != "all")]
    contacts = s[(s["pool"] == "all") & s["metric"].isin(WIDE_METRICS)]
    wide = contacts.pivot_table(index=["interval", "channel", "segment"], columns="metric", values="mean",
                                aggfunc="first", observed=True)
    wide = wide[[m for m in WIDE_METRICS if m in wide.columns]].reset_index()
    pools = s[(s["pool"] != "all") & s["metric"].isin(["agents", "occupancy"])]
    if not pools.empty:
        staff = pools.pivot_table(index="interval", columns=["metric", "pool"], values="mean", aggfunc="first",
                                  observed=True)
        staff.columns = [f"{m} {p}" for m, p in staff.columns]
        staff = staff[sorted(staff.columns, key=lambda c: (c.split(" ", 1)[1], c))]
        wide = wide.merge(staff.reset_index(), on="interval", how="left")
    mixed = wide["channel"].astype(str) == "all"  # live and deferred waits are never averaged together
    for col in ("asa_s", "mean_wait_s", "wait_p90_s"):
        if col in wide:
            wide.loc[mixed, col] = float("nan")
    if intervals is None:
        intervals = interval_table(summary)
    clock = clock_columns(_interval_rows(wide, intervals), interval_minutes)
    wide = pd.concat([clock, wide], axis=1)
    order = {"all": 0}
    wide = wide.sort_values(["day", "start", "channel", "segment"],
                            key=lambda c: c.map(lambda v: (order.get(v, 1), v)) if c.name in ("channel", "segment")
                            else c, kind="stable")
    return wide.reset_index(drop=True)


def staffing_sheet(summary: pd.DataFrame, interval_minutes: int, intervals: pd.DataFrame | None = None
                   ) -> pd.DataFrame:
    """Agents on duty per interval (rows, with clock columns) and pool (columns); ``intervals`` as for
    :func:`wide_intervals`."""
    s = summary[(summary["pool"] != "all") & (summary["metric"] == "agents") & (summary["interval"] != "all")]
    if s.empty:
        return pd.DataFrame()
    w = s.pivot_table(index="interval", columns="pool", values="mean", aggfunc="first", observed=True)
    w = w.reset_index()
    if intervals is None:
        intervals = interval_table(summary)
    return pd.concat([clock_columns(_interval_rows(w, intervals), interval_minutes), w], axis=1)


def write_exports(folder: Path, excel: bool = True, csv: bool = True) -> list[Path]:
    """Write ``intervals_wide.csv`` and ``contactsim.xlsx`` into a run folder; returns the files written."""
    from contactsim.results import read_run

    run = read_run(folder)
    sc, summary = run["scenario"], run["summary"]
    minutes = sc.horizon.interval_minutes
    intervals = interval_table(summary)  # once for both sheets
    wide = wide_intervals(summary, minutes, intervals)
    written = []
    if csv:
        io.write_csv(folder / "intervals_wide.csv", wide)
        written.append(folder / "intervals_wide.csv")
    if excel:
        target = folder / "contactsim.xlsx"
        top = summary[(summary["interval"] == "all")]
        sheets = {
            "summary": top.drop(columns=["interval"]),
            "intervals": wide,
            "staffing": staffing_sheet(summary, minutes, intervals),
        }
        acd = folder / "acd_summary.csv"
        if acd.exists():
            sheets["acd_kpis"] = pd.read_csv(acd)
        plan = folder / "plan.csv"
        if plan.exists():
            sheets["plan"] = pd.read_csv(plan)
        with io.atomic_path(target) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, df in sheets.items():
                if not df.empty:
                    df.to_excel(xl, sheet_name=name, index=False, freeze_panes=(1, 0))
        written.append(target)
    return written
