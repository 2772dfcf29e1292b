"""``calibrate()``: estimate the scenario (core) and write it with its observed KPIs and report beside it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from contactsim.calibration.contract import Data
from contactsim.calibration.core import Calibration, build


def calibrate(data: str | Path | Data, out: str | Path | None = None, columns: Mapping[str, str] | None = None,
              timezone: str | None = None, interval_minutes: int | None = None, name: str | None = None,
              sl_threshold_s: float = 20.0, seed: int = 1, report: bool = True) -> Calibration:
    """Calibrate a scenario from a per-contact log or an interval history (CSV or Parquet).

    With ``out``, writes the scenario YAML there, ``<stem>.observed.csv`` (observed KPIs per interval)
    and ``<stem>.calibration.html`` (the fit diagnostics) beside it.
    """
    t = time.perf_counter()
    cal = build(data, columns, timezone, interval_minutes, name, sl_threshold_s, seed)
    if out is not None:
        write_outputs(cal, Path(out), report=report)
    cal.seconds = time.perf_counter() - t
    return cal


def write_outputs(cal: Calibration, out: Path, report: bool = True) -> dict[str, Path]:
    """The scenario, the observed KPIs per interval and the calibration report, written atomically."""
    from contactsim import io

    stem = out.with_suffix("")
    paths = {"scenario": out, "observed": stem.with_name(stem.name + ".observed.csv")}
    io.write_text(out, cal.text)
    obs = cal.observed.copy()
    obs["interval_start"] = obs["interval_start"].dt.strftime("%Y-%m-%d %H:%M")
    io.write_csv(paths["observed"], obs)
    if report:
        from contactsim.calibration.report import write_calibration_report

        paths["report"] = write_calibration_report(cal, stem.with_name(stem.name + ".calibration.html"))
    return paths
