"""Per-contact and per-need records as tidy DataFrames with readable categories.

Column names follow one convention: ``*_at`` is an instant (seconds from the start of the run),
``*_s`` a duration in seconds; money columns are plain numbers in the scenario's currency.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from contactsim import costs, satisfaction
from contactsim.arrivals import Needs
from contactsim.contact import (
    ESCALATION,
    KIND_NAMES,
    NEED_ABANDONED,
    NEED_CENSORED,
    NEED_UNSERVED,
    OUTCOME_NAMES,
    OUTREACH,
    RESOLVED,
    UNRESOLVED,
)
from contactsim.funnel import ASSISTED, FunnelResult
from contactsim.scenario import tables
from contactsim.scenario.compiled import Compiled

ENGINE_COLUMNS = (
    ("contact_id", "id", np.int64), ("need_id", "need", np.int64), ("kind", "kind", np.int8),
    ("attempt", "attempt", np.int16), ("retrial", "retr", np.int16), ("repeat", "rep", np.int16),
    ("segment", "seg", np.int16), ("reason", "rea", np.int16),
    ("channel", "ch", np.int16), ("pool", "pool", np.int16), ("agent", "agent", np.int32),
    ("profile", "prem", np.int16),
    ("arrival_at", "arr", float), ("answered_at", "ans", float), ("end_at", "end", float),
    ("wait_s", "wait", float), ("handle_s", "handle", float), ("acw_s", "acw", float), ("ivr_s", "ivr", float),
    ("state", "state", np.int8), ("resolved", "res", bool), ("transfers", "transfers", np.int8),
    ("callback", "callback", bool), ("misroute_pool", "xfer_pool", np.int16), ("misroute_at", "xfer_at", float),
    ("misroute_s", "xfer_s", float), ("balked", "balked", bool), ("escalated", "escalated", bool),
    ("advisor", "advisor", np.int32),
)
"""The contact record batch, declared once: (column, Contact attribute, dtype). The engine emits these
columns (with ``state`` turned into ``outcome``, an index into ``OUTCOME_NAMES``) plus ``INFO_FIELDS``;
``enrich`` adds the derived ones; metrics and the contact records both read the enriched batch."""
INFO_FIELDS = (("need_at", float), ("level", np.int8), ("self_service_failed", bool),
               ("channel_fit", float), ("steering_effort", float))
"""Need-level columns every contact of the need carries (``Contact.info``)."""


def enrich(c: Compiled, col: dict[str, np.ndarray], expect: np.ndarray, csat_params) -> None:
    """The one enrichment step, pure numpy on a batch: customer flag, SL threshold and target, effort, CSAT,
    non-staff cost and agent time of each contact (``expect[segment, channel]``: expected wait)."""
    col["customer"] = col["kind"] != OUTREACH
    col["tier"] = c.profile_tier[col.pop("profile").astype(np.int64)]
    col["premium"] = col["tier"] > 0
    seg, ch = col["segment"].astype(np.int64), col["channel"].astype(np.int64)
    col["sl_threshold_s"] = c.sl_seconds[seg, ch]
    col["sl_target"] = c.sl_share[seg, ch]
    fit = col["channel_fit"]
    steps = ((col["ivr_s"] > 0).astype(float) + col["transfers"] + col["self_service_failed"]
             + (col["attempt"] - 1) + (1.0 - fit) + col["steering_effort"] + (col["kind"] == ESCALATION))
    if c.rules.account_manager_pool >= 0:  # the own account manager knows the customer: fewer steps (no 'blind date')
        own = (col["advisor"] >= 0) & (col["agent"] == col["advisor"]) & (col["pool"] == c.rules.account_manager_pool)
        steps = np.where(own, np.maximum(steps - csat_params.own_advisor_effort_credit, 0.0), steps)
    outreach = ~col["customer"]
    col["effort"] = np.where(outreach, np.nan, satisfaction.effort_score(steps))
    col["csat"] = np.where(outreach, np.nan, satisfaction.csat(
        csat_params, np.nan_to_num(col["wait_s"]), expect[seg, ch], col["resolved"], steps, fit,
        col["outcome"] != 0))
    col["other_cost"] = costs.contact_other_costs(c, ch, col["ivr_s"], col["wait_s"], col["handle_s"],
                                                  col["customer"], col["callback"], col["outcome"] == 2)
    col["busy_s"] = np.where(col["pool"] >= 0, np.nan_to_num(col["handle_s"]) + col["acw_s"], 0.0)

LEVELS = ["preventive", "proactive", "self_service", "personal_digital", "personal_non_digital"]
TERMINAL_STATES = ["prevented", "proactive_resolved", "self_served", "resolved", "unresolved", "abandoned",
                   "unserved", "censored"]
"""``censored``: the need's next retrial or repeat would come after the end of the drain (not observed)."""
FINAL_TO_TERMINAL = {RESOLVED: 3, UNRESOLVED: 4, NEED_ABANDONED: 5, NEED_UNSERVED: 6, NEED_CENSORED: 7}
DIGITAL_KINDS = tables.DIGITAL_KINDS


def _cat(codes: np.ndarray, names: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int64), dtype=_categories(tuple(names)))


@functools.lru_cache(maxsize=64)
def _categories(names: tuple[str, ...]) -> pd.CategoricalDtype:
    """One dtype per category list: building (and validating) it for every column of every chunk was a
    measurable share of writing records."""
    return pd.CategoricalDtype(list(names))


def need_levels(c: Compiled, f: FunnelResult) -> np.ndarray:
    """Funnel level code per need (index into LEVELS): the stage, or the assisted channel's kind."""
    level = np.minimum(f.stage.astype(np.int8), 2)
    digital = c.kpi.digital
    ch = np.zeros(len(f.stage), dtype=np.int64)
    ch[f.contact_need] = f.channel
    assisted = f.stage == ASSISTED
    level[assisted] = np.where(digital[ch[assisted]], 3, 4)
    return level


def interval_codes(c: Compiled, t: np.ndarray) -> np.ndarray:
    return np.minimum((t // c.interval_s).astype(np.int64), c.n_intervals - 1)


def interval_categories(c: Compiled) -> list[str]:
    return [c.interval_label(k) for k in range(c.n_intervals)]


def contacts_frame(c: Compiled, col: dict[str, np.ndarray], replication: int, labels: list[str]) -> pd.DataFrame:
    """The records of a chunk of contacts (engine columns after replication enriched them)."""
    out_codes = col["outcome"]
    return pd.DataFrame({
        "replication": np.full(len(out_codes), replication, dtype=np.int32),
        "contact_id": col["contact_id"],
        "need_id": col["need_id"],
        "kind": _cat(col["kind"], list(KIND_NAMES)),
        "attempt": col["attempt"],
        "retrial": col["retrial"],
        "repeat": col["repeat"],
        "segment": _cat(col["segment"], c.segments),
        "reason": _cat(col["reason"], c.reasons),
        "channel": _cat(col["channel"], c.channels),
        "pool": _cat(col["pool"], c.pools),
        "agent": col["agent"],
        "premium": col["premium"],
        "tier": col["tier"].astype(np.int8),
        "interval": _cat(interval_codes(c, col["arrival_at"]), labels),
        "need_at": col["need_at"],
        "arrival_at": col["arrival_at"],
        "answered_at": col["answered_at"],
        "end_at": col["end_at"],
        "wait_s": col["wait_s"],
        "handle_s": col["handle_s"],
        "acw_s": col["acw_s"],
        "ivr_s": col["ivr_s"],
        "outcome": _cat(out_codes, list(OUTCOME_NAMES)),
        "resolved": col["resolved"],
        "transfers": col["transfers"],
        "callback": col["callback"],
        "misroute_pool": _cat(col["misroute_pool"], c.pools),
        "misroute_at": col["misroute_at"],
        "misroute_s": col["misroute_s"],
        "balked": col["balked"],
        "escalated": col["escalated"],
        "sl_threshold_s": col["sl_threshold_s"],
        "effort": col["effort"],
        "csat": col["csat"],
        "other_cost": col["other_cost"],
        "busy_s": col["busy_s"],
    })


def needs_frame(c: Compiled, needs: Needs, f: FunnelResult, level: np.ndarray, terminal: np.ndarray,
                repeats: np.ndarray, complained: np.ndarray, offset: int, replication: int,
                labels: list[str]) -> pd.DataFrame:
    """One row per need with its terminal state: every need ends in exactly one of TERMINAL_STATES."""
    n = len(needs)
    channel = np.full(n, -1, dtype=np.int64)
    channel[f.contact_need] = f.channel
    return pd.DataFrame({
        "replication": np.full(n, replication, dtype=np.int32),
        "need_id": offset + np.arange(n, dtype=np.int64),
        "arrival_at": needs.arrival_at,
        "interval": _cat(interval_codes(c, needs.arrival_at), labels),
        "segment": _cat(needs.segment, c.segments),
        "reason": _cat(needs.reason, c.reasons),
        "premium": f.premium,
        "tier": f.customers.tier.astype(np.int8),
        "customer_id": f.customers.customer,
        "identified": f.customers.identified,
        "tenure_years": f.customers.attrs["tenure_years"],
        "products": f.customers.attrs["products"].astype(np.int32),
        "customer_value": f.customers.attrs["value_per_year"],
        "advisor": f.customers.advisor.astype(np.int32),
        "automated": f.automated,
        "community_posted": f.community_posted,
        "community_solved": f.community_solved,
        "about_notification": f.about_notification,
        "incident": needs.incident,
        "notified": f.notified,
        "self_service_attempted": f.ss_attempted,
        "steered": f.steered,
        "noncompliant": f.noncompliant,
        "channel": _cat(channel, c.channels),
        "preferred_channel": _cat(f.preferred_channel, c.channels),
        "level": _cat(level, LEVELS),
        "terminal": _cat(terminal, TERMINAL_STATES),
        "repeats": repeats,
        "complained": complained,
    })
