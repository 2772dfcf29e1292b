"""The column contract of centre data, and reading it: CSV or Parquet into one clean, typed frame.

Two shapes are accepted (see ``LOG`` and ``INTERVALS``); ``--columns old=new`` renames first. Values that
cannot be read (timestamps, numbers, outcomes, time zones, negative durations) are errors naming the file,
the row and the column; rows that lack a required value are dropped and counted, never silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from contactsim.errors import ContactsimError, Issue
from contactsim.scenario.calendar_inputs import is_parquet, read_table

LOG = {
    "required": {
        "arrival_at": "timestamp the contact arrived (ISO 8601, local time; one offset at most)",
        "channel": "channel name, e.g. phone or chat",
        "outcome": "answered or abandoned",
        "wait_s": "seconds waited: until answered, or until the customer hung up",
        "handle_s": "talk/handle seconds of answered contacts (empty for abandoned ones)",
    },
    "optional": {
        "queue": "ACD queue / call type; used as the contact reason when there is no reason column",
        "segment": "customer segment",
        "reason": "contact reason",
        "priority": "priority class (1 = highest)",
        "customer_id": "customer key: repeated contacts give retrial and repeat rates",
        "acw_s": "after-contact work seconds",
        "agent_id": "agent who answered: staffing, shared pools and occupancy",
    },
}
"""A per-contact log: one row per contact."""

INTERVALS = {
    "required": {
        "interval_start": "start of the interval (ISO 8601 local time)",
        "offered": "contacts offered in the interval",
    },
    "optional": {
        "channel": "channel name (default phone)",
        "queue": "queue / call type, used as the contact reason",
        "answered": "contacts answered",
        "abandoned": "contacts abandoned",
        "aht_s": "average handle time of answered contacts, seconds",
        "asa_s": "average speed of answer, seconds",
        "service_level": "share answered within the threshold (0-1)",
        "sl_threshold_s": "the service-level threshold in seconds (default 20)",
        "agents": "agents staffed (or busy) on average in the interval",
    },
}
"""An interval history: one row per interval and queue, as every ACD exports."""

OUTCOMES = {"answered": "answered", "handled": "answered", "abandoned": "abandoned"}
MAX_LISTED = 5
INTERVAL_MINUTES = (5, 15, 30, 60)
"""Interval lengths a calibration supports: those of a scenario's ``horizon.interval_minutes``."""


def check_interval_minutes(minutes: int) -> None:
    """An interval length the caller chose (``--interval``, ``interval_minutes=``): the CLI and the Python API
    get the same error, before any file is read."""
    if minutes not in INTERVAL_MINUTES:
        raise ContactsimError("--interval (interval_minutes)", [Issue("<file>", "not a supported interval length",
                                                                      minutes, "use 5, 15, 30 or 60")],
                              kind="option")


@dataclass
class Data:
    """Clean centre data, whichever shape it came in."""

    kind: str
    """'log' or 'intervals'."""
    frame: pd.DataFrame
    source: str
    rows_read: int
    dropped: dict[str, int] = field(default_factory=dict)
    """Reason -> rows dropped for it."""
    interval_minutes: int = 30

    def __post_init__(self) -> None:
        check_interval_minutes(self.interval_minutes)  # also for data built by hand and given to calibrate


def parse_columns(items: list[str] | str | None) -> dict[str, str]:
    """``["Start=arrival_at", "Q=queue"]`` or ``"Start=arrival_at,Q=queue"`` -> {old: new}."""
    if not items:
        return {}
    parts = items.split(",") if isinstance(items, str) else [p for i in items for p in i.split(",")]
    out = {}
    for p in parts:
        if "=" not in p:
            raise ContactsimError("--columns", [Issue(p, "expected OLD=NEW", p, "write e.g. --columns "
                                                      "CallStart=arrival_at,Queue=queue")], kind="option")
        old, new = p.split("=", 1)
        out[old.strip()] = new.strip()
    return out


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise ContactsimError(str(path), [Issue("<file>", "no such file", None, "check the path")], kind="data")
    try:
        return read_table(path, csv_engine="pyarrow")
    except Exception as e:  # the readers raise many types for unreadable files
        what = "Parquet" if is_parquet(path) else "CSV"
        raise ContactsimError(str(path), [Issue("<file>", f"cannot be read as {what}: {e}", None,
                                                "export CSV with a header row, or Parquet")], kind="data") from None


def _rows(idx: np.ndarray, csv: bool) -> str:
    """Row numbers as the user sees them: CSV lines (header = line 1) or 1-based Parquet rows."""
    shown = [f"{'line' if csv else 'row'} {int(i) + (2 if csv else 1)}" for i in idx[:MAX_LISTED]]
    more = f" and {len(idx) - MAX_LISTED} more" if len(idx) > MAX_LISTED else ""
    return ", ".join(shown) + more


class _Checker:
    def __init__(self, source: str, df: pd.DataFrame, csv: bool) -> None:
        self.source, self.df, self.csv, self.issues = source, df, csv, []

    def bad(self, col: str, mask: np.ndarray, message: str, fix: str) -> None:
        idx = np.flatnonzero(mask)
        if idx.size:
            first = self.df[col].iloc[idx[0]]
            self.issues.append(Issue(f"{_rows(idx, self.csv)}, column {col}", message, first, fix))

    def raise_if_any(self) -> None:
        if self.issues:
            raise ContactsimError(self.source, self.issues, kind="data")


def _timestamps(ck: _Checker, col: str, timezone: str | None) -> pd.Series:
    """Wall-clock timestamps (naive, local). Offsets: one offset is dropped; mixed ones need ``timezone``."""
    s = ck.df[col]
    if pd.api.types.is_datetime64_any_dtype(s):
        ts = s
    else:
        text = s.astype("string").str.strip()
        has_offset = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False).to_numpy()
        present = text.notna().to_numpy()
        if has_offset.any() and (present & ~has_offset).any():
            ck.bad(col, present & ~has_offset, "mixes timestamps with and without a time-zone offset "
                   f"(line/row shown has none; {int(has_offset.sum())} rows have one)",
                   "export every timestamp the same way: all local times without offset, or all with one")
            return pd.Series(pd.NaT, index=s.index)
        if has_offset.any():
            offsets = text[has_offset].str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0]
            distinct = offsets.unique()
            if len(distinct) > 1 and timezone is None:
                first_other = np.flatnonzero((offsets != offsets.iloc[0]).to_numpy())
                idx = np.zeros(len(s), bool)
                idx[np.flatnonzero(has_offset)[first_other]] = True
                ck.bad(col, idx, f"mixes time zones ({', '.join(map(str, distinct[:4]))}): profiles need one local "
                       "clock", "pass --timezone Europe/Amsterdam (the centre's zone) to convert, or export local "
                       "times without offsets")
                return pd.Series(pd.NaT, index=s.index)
            ts = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
            ts = ts.dt.tz_convert(timezone).dt.tz_localize(None) if timezone else \
                pd.to_datetime(text.str.replace(r"(?:Z|[+-]\d\d:?\d\d)$", "", regex=True), format="ISO8601",
                               errors="coerce")
        else:
            ts = pd.to_datetime(text, format="ISO8601", errors="coerce")
        unparsed = (ts.isna() & text.notna()).to_numpy()
        ck.bad(col, unparsed, "is not a timestamp", "write ISO 8601, e.g. 2024-03-04 08:15:00")
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert(timezone).dt.tz_localize(None) if timezone else ts.dt.tz_localize(None)
    return ts.astype("datetime64[ns]")


def _numbers(ck: _Checker, col: str, duration: bool = True) -> pd.Series:
    s = ck.df[col]
    x = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_numeric_dtype(s) else s.astype(float)
    ck.bad(col, (x.isna() & s.notna()).to_numpy(), "is not a number", "write plain numbers, e.g. 184.5")
    if duration:
        ck.bad(col, (x < 0).to_numpy(), "is negative", "durations and counts are >= 0; fix or remove the row")
    return x.astype(float)


def read_data(path: str | Path, columns: Mapping[str, str] | None = None, timezone: str | None = None,
              interval_minutes: int | None = None) -> Data:
    """Read a log or an interval history, check it against the contract and return clean columns."""
    if interval_minutes is not None:
        check_interval_minutes(interval_minutes)
    path = Path(path)
    raw = _read(path)
    csv = not is_parquet(path)
    columns = dict(columns or {})
    missing_map = [k for k in columns if k not in raw.columns]
    if missing_map:
        raise ContactsimError(str(path), [Issue(f"--columns {k}={columns[k]}", "no such column in the file", k,
                                                f"columns are: {', '.join(map(str, raw.columns[:20]))}")
                                          for k in missing_map], kind="data")
    df = raw.rename(columns=columns)
    df.columns = [str(c).strip() for c in df.columns]
    if "arrival_at" in df.columns:
        kind, contract = "log", LOG
    elif "interval_start" in df.columns:
        kind, contract = "intervals", INTERVALS
    else:
        raise ContactsimError(str(path), [Issue("<header>", "has neither an arrival_at column (a per-contact log) "
                                                "nor an interval_start column (an interval history)",
                                                list(map(str, df.columns[:12])),
                                                "rename with --columns, e.g. --columns CallStart=arrival_at")],
                              kind="data")
    need = list(contract["required"])
    if kind == "intervals" and "channel" not in df.columns and "queue" not in df.columns:
        need.append("channel")
    missing = [c for c in need if c not in df.columns]
    if missing:
        shape = "log" if kind == "log" else "interval history"
        raise ContactsimError(str(path), [
            Issue(f"column {c}", f"missing: a {shape} needs it ({contract['required'].get(c) or 'channel or queue'})",
                  None, f"add it, or map your column: --columns YOURNAME={c}") for c in missing], kind="data")
    ck = _Checker(str(path), df.reset_index(drop=True), csv)
    n = len(df)
    out = pd.DataFrame(index=ck.df.index)
    dropped: dict[str, int] = {}
    if kind == "log":
        out["arrival_at"] = _timestamps(ck, "arrival_at", timezone)
        for c in ("wait_s", "handle_s", "acw_s"):
            if c in ck.df.columns:
                out[c] = _numbers(ck, c)
        o = ck.df["outcome"].astype("string").str.strip().str.lower()
        out["outcome"] = o.map(OUTCOMES)
        ck.bad("outcome", (out["outcome"].isna() & o.notna()).to_numpy(), "is not a known outcome",
               "use answered or abandoned (handled is read as answered)")
        for c in ("channel", "queue", "segment", "reason", "priority", "customer_id", "agent_id"):
            if c in ck.df.columns:
                out[c] = ck.df[c].astype("string").str.strip()
        ck.raise_if_any()
        keep = out["arrival_at"].notna() & out["channel"].notna() & out["outcome"].notna() & out["wait_s"].notna()
        dropped["a required value (arrival_at, channel, outcome or wait_s) is empty"] = int((~keep).sum())
        no_handle = keep & (out["outcome"] == "answered") & out["handle_s"].isna()
        dropped["answered but handle_s is empty"] = int(no_handle.sum())
        keep &= ~no_handle
        out = out[keep]
        dup = out.duplicated()
        dropped["exact duplicate of an earlier row"] = int(dup.sum())
        out = out[~dup].sort_values("arrival_at", kind="stable").reset_index(drop=True)
        if "reason" not in out.columns:
            out["reason"] = out["queue"] if "queue" in out.columns else "general"
        out["reason"] = out["reason"].fillna("general")
        minutes = interval_minutes or 30
    else:
        out["interval_start"] = _timestamps(ck, "interval_start", timezone)
        for c in ("offered", "answered", "abandoned", "aht_s", "asa_s", "service_level", "sl_threshold_s", "agents"):
            if c in ck.df.columns:
                out[c] = _numbers(ck, c)
        if "service_level" in out.columns:
            ck.bad("service_level", (out["service_level"] > 1).to_numpy(), "is above 1",
                   "give the service level as a share 0-1 (e.g. 0.8 for 80%)")
        for c in ("channel", "queue"):
            if c in ck.df.columns:
                out[c] = ck.df[c].astype("string").str.strip()
        ck.raise_if_any()
        if "channel" not in out.columns:
            out["channel"] = "phone"
        out["reason"] = out["queue"] if "queue" in out.columns else "general"
        keep = out["interval_start"].notna() & out["offered"].notna()
        dropped["interval_start or offered is empty"] = int((~keep).sum())
        out = out[keep]
        dup = out.duplicated(["interval_start", "channel", "reason"])
        dropped["a second row for the same interval and queue"] = int(dup.sum())
        out = out[~dup].sort_values("interval_start", kind="stable").reset_index(drop=True)
        steps = np.diff(np.unique(out["interval_start"].to_numpy().astype("datetime64[s]").astype(np.int64)))
        minutes = interval_minutes or (int(np.min(steps) // 60) if steps.size else 30)
        if minutes not in INTERVAL_MINUTES:
            raise ContactsimError(str(path), [Issue("column interval_start", f"intervals are {minutes} minutes "
                                                    "apart; supported lengths are 5, 15, 30 and 60", minutes,
                                                    "aggregate to 15, 30 or 60 minutes")], kind="data")
    out = out.reset_index(drop=True)
    if out.empty:
        raise ContactsimError(str(path), [Issue("<file>", "no usable rows", n, "check the export")], kind="data")
    return Data(kind, out, str(path), n, {k: v for k, v in dropped.items() if v}, minutes)
