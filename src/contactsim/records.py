"""Per-contact and per-need records as tidy DataFrames with readable categories.

Column names follow one convention: ``*_at`` is an instant (seconds from the start of the run),
``*_s`` a duration in seconds; money columns are plain numbers in the scenario's currency.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contactsim.engine import (
    KIND_NAMES,
    NEED_ABANDONED,
    NEED_UNSERVED,
    RESOLVED,
    UNRESOLVED,
    EngineOutput,
)
from contactsim.funnel import STAGE_NAMES, FunnelResult
from contactsim.arrivals import Needs
from contactsim.scenario.compiled import Compiled
from contactsim.scenario.timespec import WEEKDAYS

FINAL_NAMES = {RESOLVED: "resolved", UNRESOLVED: "unresolved", NEED_ABANDONED: "abandoned",
               NEED_UNSERVED: "unserved"}
TERMINAL_STATES = ("prevented", "proactive_resolved", "self_served", "resolved", "unresolved", "abandoned",
                   "unserved")
DIGITAL_KINDS = {"chat", "messaging", "email", "social"}


def _cat(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=names)


def interval_labels(c: Compiled, n: int) -> list[str]:
    """'d01 Mon 08:30' for interval k from the start of the run (sortable text)."""
    per_day = int(86400 // c.interval_s)
    out = []
    for k in range(n):
        d, r = divmod(k, per_day)
        secs = int(r * c.interval_s)
        wd = WEEKDAYS[(c.start_weekday + d) % 7].capitalize()
        out.append(f"d{d + 1:02d} {wd} {secs // 3600:02d}:{secs % 3600 // 60:02d}")
    return out


def contacts_frame(c: Compiled, eng: EngineOutput, replication: int) -> pd.DataFrame:
    col = eng.contacts
    n_int = int(np.ceil(c.end_s / c.interval_s))
    interval = np.minimum((col["arrival_at"] // c.interval_s).astype(np.int64), n_int - 1)
    out_codes = np.select([col["outcome"] == 1, col["outcome"] == 2], [0, 1], 2)
    pool = col["pool"].astype(np.int64)
    df = pd.DataFrame({
        "replication": np.full(len(interval), replication, dtype=np.int32),
        "contact_id": np.arange(len(interval), dtype=np.int64),
        "need_id": col["need_id"],
        "kind": _cat(col["kind"], list(KIND_NAMES)),
        "attempt": col["attempt"],
        "segment": _cat(col["segment"], c.segments),
        "reason": _cat(col["reason"], c.reasons),
        "channel": _cat(col["channel"], c.channels),
        "pool": pd.Categorical.from_codes(pool, categories=c.pools),
        "premium": col["premium"],
        "interval": pd.Categorical.from_codes(interval, categories=interval_labels(c, n_int)),
        "arrival_at": col["arrival_at"],
        "answered_at": col["answered_at"],
        "end_at": col["end_at"],
        "wait_s": col["wait_s"],
        "handle_s": col["handle_s"],
        "acw_s": col["acw_s"],
        "ivr_s": col["ivr_s"],
        "outcome": pd.Categorical.from_codes(out_codes, categories=["handled", "abandoned", "unserved"]),
        "resolved": col["resolved"],
        "transfers": col["transfers"],
        "callback": col["callback"],
        "sl_threshold_s": c.sl_seconds[col["segment"], col["channel"]],
        "sl_target": c.sl_share[col["segment"], col["channel"]],
    })
    return df.sort_values(["arrival_at", "contact_id"], kind="stable").reset_index(drop=True)


def needs_frame(c: Compiled, needs: Needs, f: FunnelResult, eng: EngineOutput, replication: int) -> pd.DataFrame:
    """One row per need with its terminal state: every need ends in exactly one of TERMINAL_STATES."""
    n = len(needs)
    stage = f.stage.astype(np.int64)
    terminal = np.array([STAGE_NAMES[s] for s in range(3)] + ["?"])[np.minimum(stage, 3)]
    final = eng.need_final
    for code, name in FINAL_NAMES.items():
        terminal = np.where((stage == 3) & (final == code), name, terminal)
    channel = np.full(n, -1, dtype=np.int64)
    channel[f.contact_need] = f.channel
    kinds = [c.scenario.channels[ch].kind for ch in c.channels]
    level = np.array(["preventive", "proactive", "self_service"])[np.minimum(stage, 2)]
    digital = np.array([k in DIGITAL_KINDS for k in kinds] + [False])
    level = np.where(stage == 3, np.where(digital[channel], "personal_digital", "personal_non_digital"), level)
    n_int = int(np.ceil(c.end_s / c.interval_s))
    interval = np.minimum((needs.arrival_at // c.interval_s).astype(np.int64), n_int - 1)
    return pd.DataFrame({
        "replication": np.full(n, replication, dtype=np.int32),
        "need_id": np.arange(n, dtype=np.int64),
        "arrival_at": needs.arrival_at,
        "interval": pd.Categorical.from_codes(interval, categories=interval_labels(c, n_int)),
        "segment": _cat(needs.segment, c.segments),
        "reason": _cat(needs.reason, c.reasons),
        "premium": f.premium,
        "incident": needs.incident,
        "notified": f.notified,
        "self_service_attempted": f.ss_attempted,
        "steered": f.steered,
        "noncompliant": f.noncompliant,
        "channel": pd.Categorical.from_codes(channel, categories=c.channels),
        "preferred_channel": _cat(f.preferred_channel, c.channels),
        "level": pd.Categorical(level, categories=["preventive", "proactive", "self_service", "personal_digital",
                                                   "personal_non_digital"]),
        "terminal": pd.Categorical(terminal, categories=list(TERMINAL_STATES)),
        "repeats": eng.repeats,
        "complained": eng.complained,
    })
