"""Dated inputs from files: a WFM forecast (volume per date x interval x reason/segment) and staffing per
date x interval x pool. Both cover the dates they list; the scenario's own profiles and staffing fill the
rest. Files are CSV or Parquet; a relative path is relative to the scenario file (resolved by the loader).

Columns: ``date`` (YYYY-MM-DD) and ``interval_start`` (HH:MM, the interval's length is their spacing:
5, 15, 30 or 60 minutes), or one ``interval_start`` timestamp; then ``volume`` with optional ``reason``
(or ``queue``) and ``segment`` for a forecast, ``agents`` with optional ``pool`` for staffing.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

LENGTHS = (5, 15, 30, 60)


class InputFileError(ValueError):
    """A dated input file that cannot be used; the message says what and where."""


def is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def read_table(path: Path, csv_engine: str | None = None) -> pd.DataFrame:
    """A CSV (every cell as text, an empty cell missing) or Parquet file, by its suffix: how dated inputs and
    calibration data are read. The readers raise many types for an unreadable file; callers word them."""
    if is_parquet(path):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], engine=csv_engine)


def _read(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise InputFileError(f"file {path} does not exist")
    try:
        return read_table(p)
    except Exception as e:  # the readers raise many types for unreadable files
        raise InputFileError(f"{path} cannot be read: {e}") from None


def _bad_rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)[:5]
    return ", ".join(f"line {i + 2}" for i in idx)


def _when(df: pd.DataFrame, path: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(date as datetime64[D], minute of day, interval minutes) per row."""
    if "date" in df.columns:
        stamp = pd.to_datetime(df["date"].astype(str) + " " + df["interval_start"].astype(str), errors="coerce",
                               format="mixed")
    else:
        stamp = pd.to_datetime(df["interval_start"], errors="coerce", format="mixed")
    bad = stamp.isna().to_numpy()
    if bad.any():
        raise InputFileError(f"{path}: {_bad_rows(bad)}, column date/interval_start: not a date and time "
                             "(write date 2024-03-04 and interval_start 08:30)")
    minute = (stamp.dt.hour * 60 + stamp.dt.minute).to_numpy()
    steps = np.diff(np.unique(minute))
    length = int(steps.min()) if steps.size else 60
    if length not in LENGTHS:
        raise InputFileError(f"{path}: intervals are {length} minutes apart; use 5, 15, 30 or 60")
    if np.any(minute % length):
        raise InputFileError(f"{path}: {_bad_rows(minute % length != 0)}: interval_start is not on the "
                             f"{length}-minute grid")
    return stamp.dt.normalize().to_numpy().astype("datetime64[D]"), minute, length


def _number(df: pd.DataFrame, col: str, path: str) -> np.ndarray:
    x = pd.to_numeric(df[col], errors="coerce").to_numpy(float)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        raise InputFileError(f"{path}: {_bad_rows(bad)}, column {col}: must be a number >= 0")
    return x


def _require(df: pd.DataFrame, cols: tuple[str, ...], path: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputFileError(f"{path}: missing column(s) {', '.join(missing)}; has {', '.join(map(str, df.columns))}")


@lru_cache(maxsize=16)
def _forecast(path: str, mtime: float) -> tuple[pd.DataFrame, int]:
    df = _read(path)
    _require(df, ("interval_start", "volume"), path)
    day, minute, length = _when(df, path)
    reason = df["reason"] if "reason" in df.columns else df["queue"] if "queue" in df.columns else None
    out = pd.DataFrame({"date": day, "slot": minute // length, "volume": _number(df, "volume", path),
                        "reason": reason.astype(str) if reason is not None else "",
                        "segment": df["segment"].astype(str) if "segment" in df.columns else ""})
    return out, length


def read_forecast(path: str) -> tuple[pd.DataFrame, int]:
    """Rows (date, slot, volume, reason, segment) and the interval length of a forecast file."""
    return _forecast(path, Path(path).stat().st_mtime if Path(path).exists() else 0.0)


def check_forecast(path: str, reasons: list[str], segments: list[str]) -> None:
    df, _ = read_forecast(path)
    for col, known in (("reason", reasons), ("segment", segments)):
        vals = set(df[col]) - {""}
        unknown = sorted(vals - set(known))
        if unknown:
            raise InputFileError(f"{path}: column {col} names {', '.join(unknown[:5])}, not in the scenario's "
                                 f"{col}s ({', '.join(known)})")
    if (df["reason"] == "").any() and len(reasons) > 1:
        raise InputFileError(f"{path}: no reason (or queue) column, but the scenario has {len(reasons)} reasons; "
                             "add the column")


def forecast_arrays(path: str, start: dt.date, days: int, reasons: list[str], segments: list[str],
                    segment_weights: np.ndarray) -> dict[tuple[int, int, int], np.ndarray]:
    """(day index, segment, reason) -> expected needs per interval of that day, for the dated rows.

    Rows without a segment are split by ``segment_weights[segment, reason]`` (shares x segment_mix)."""
    df, length = read_forecast(path)
    per_day = 1440 // length
    day = (df["date"].to_numpy().astype("datetime64[D]") - np.datetime64(start, "D")).astype(int)
    df = df.assign(day=day)
    df = df[(df["day"] >= 0) & (df["day"] < days)]
    out: dict[tuple[int, int, int], np.ndarray] = {}
    for (d, r, s), g in df.groupby(["day", "reason", "segment"], sort=True):
        j = reasons.index(r) if r else 0
        v = np.zeros(per_day)
        np.add.at(v, g["slot"].to_numpy(), g["volume"].to_numpy())
        if s:
            targets = [(segments.index(s), 1.0)]
        else:
            w = segment_weights[:, j]
            targets = [(i, w[i] / w.sum()) for i in range(len(segments)) if w.sum() > 0 and w[i] > 0]
        for i, share in targets:
            key = (int(d), i, j)
            out[key] = out.get(key, np.zeros(per_day)) + v * share
    return out


@lru_cache(maxsize=16)
def _staffing(path: str, mtime: float) -> tuple[pd.DataFrame, int]:
    df = _read(path)
    _require(df, ("interval_start", "agents"), path)
    day, minute, length = _when(df, path)
    agents = _number(df, "agents", path)
    if np.any(agents != np.round(agents)):
        raise InputFileError(f"{path}: {_bad_rows(agents != np.round(agents))}, column agents: whole agents only")
    return pd.DataFrame({"date": day, "slot": minute // length, "agents": agents.astype(np.int64),
                         "pool": df["pool"].astype(str) if "pool" in df.columns else ""}), length


def read_staffing(path: str) -> tuple[pd.DataFrame, int]:
    return _staffing(path, Path(path).stat().st_mtime if Path(path).exists() else 0.0)


def dated_staffing(path: str, pool: str, start: dt.date, times: np.ndarray, agents: np.ndarray,
                   end_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Overlay the file's dates on a pool's staffing change points (times from the run's start)."""
    df, length = read_staffing(path)
    if (df["pool"] != "").any():
        df = df[df["pool"] == pool]
    day = (df["date"].to_numpy().astype("datetime64[D]") - np.datetime64(start, "D")).astype(int)
    slot_s = length * 60.0
    covered = sorted({int(d) for d in day if 0 <= d * 86_400.0 < end_s})
    if not covered:
        return times, agents
    t, a = list(times), list(agents)
    for d in covered:
        lo, hi = d * 86_400.0, (d + 1) * 86_400.0
        after = a[max(np.searchsorted(t, hi, side="right") - 1, 0)]
        keep = [(x, y) for x, y in zip(t, a, strict=True) if x < lo or x >= hi]
        rows = df[day == d]
        level = np.zeros(1440 // length, dtype=np.int64)
        level[rows["slot"].to_numpy()] = rows["agents"].to_numpy()
        new = [(lo + k * slot_s, int(v)) for k, v in enumerate(level)]
        if hi < end_s and not any(x == hi for x, _ in keep):
            new.append((hi, int(after)))
        merged = sorted(keep + new)
        t, a = [x for x, _ in merged], [y for _, y in merged]
    t_arr, a_arr = np.array(t), np.array(a, dtype=np.int64)
    keep = (t_arr < end_s) & np.concatenate([[True], a_arr[1:] != a_arr[:-1]])
    return t_arr[keep], a_arr[keep]
