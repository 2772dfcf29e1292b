"""Scenarios the FCFS recursion can simulate exactly: the qualification, the engine's own draws, and KPIs.

Why: staffing searches and sweeps of the textbook queue (M/M/c, M/M/c+M and their general-distribution
cousins) spend their time in the event engine although a plain FCFS pool needs none of it. Here a scenario
qualifies only when the engine would run it as one FCFS queue (:func:`why_not`); its contacts are drawn
by replication.py's own draws (``replication.draw_days``: named streams, arrivals, funnel), so the recursion
and the engine see the same customers and give the same per-contact outcomes and waits (:func:`draw_contacts`).
The recursion's contacts then go back through replication.py's bookkeeping as the engine's record batch
(:func:`replication_results`), so every KPI is metrics.py's, by construction: nothing here defines one.
:func:`mmc_sweep` is the researchers' entry point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from contactsim import customers
from contactsim.arrivals import U
from contactsim.contact import (
    FIRST,
    NEED_ABANDONED,
    NEED_UNSERVED,
    RESOLVED,
    UNRESOLVED,
    Contact,
)
from contactsim.engine import Flushed
from contactsim.fcfs_recursion import ABANDONED, HANDLED, FcfsResult, simulate_fcfs
from contactsim.metrics import KpiAccumulator
from contactsim.policies.omnichannel import build_queue_caps
from contactsim.policies.skills import build_skills
from contactsim.records import ENGINE_COLUMNS, INFO_FIELDS, LEVELS, TERMINAL_STATES, enrich, need_levels
from contactsim.replication import ReplicationResult, draw_days, without_engine
from contactsim.scenario.compiled import Compiled, compile_scenario
from contactsim.scenario.load import parse_scenario
from contactsim.scenario.schema import Scenario


def why_not(c: Compiled) -> list[str]:
    """Why the recursion would not reproduce the engine on this scenario (empty: it qualifies).

    One pool, FCFS, one contact per agent, no reserve, staffing constant from the start, and nothing that
    makes a contact come back, move or arrive from an agent: no retrials, repeats, webcare, callbacks, IVR,
    escalation, queue cap, account managers or proactive agent outreach. Read from the compiled tables.
    """
    out = []
    if len(c.pool_defs) != 1:
        out.append(f"{len(c.pool_defs)} pools (the recursion is one pool: no overflow)")
        return out
    cp = c.pool_defs[0]
    if cp.discipline != "fcfs":
        out.append(f"discipline {cp.discipline} (FCFS only)")
    if cp.concurrency != 1:
        out.append(f"concurrency {cp.concurrency} (one contact per agent only)")
    if cp.reserve_agents:
        out.append("reserved agents")
    if len(cp.staff_events) != 1 or cp.staff_events[0][0] != 0.0 or cp.staff_events[0][2] < 1:
        out.append("staffing changes during the run (constant staffing only)")
    rules = c.rules
    if any(r is not None for r in rules.retrial):
        out.append("retrials")
    if not build_skills(c).always_resolved and any(r.probability > 0 and r.max_repeats > 0 for r in rules.repeat):
        out.append("repeat contacts (first-contact resolution below 1)")
    present = {"webcare": rules.webcare is not None, "callbacks": rules.callback is not None,
               "IVR": rules.ivr is not None, "escalation": cp.escalation is not None,
               "queue cap": build_queue_caps(c).any, "account managers": rules.account_manager is not None,
               "proactive agent outreach": bool(c.funnel.outreach)}
    out += [name for name, yes in present.items() if yes]
    return out


@dataclass(frozen=True)
class Draws:
    """Per replication (rows, padded with NaN), contacts in the engine's arrival order."""

    arrival_at: np.ndarray
    patience_s: np.ndarray
    handle_s: np.ndarray
    """Talk time with the pool's handle-time factors applied, as the engine does."""
    acw_s: np.ndarray
    segment: np.ndarray
    """Segment index of each contact (-1 on padding)."""
    reason: np.ndarray
    """Reason index of each contact (-1 on padding)."""
    channel: np.ndarray
    """Channel index of each contact (-1 on padding)."""
    agents: int
    end_at: float
    seed: int = 0
    replications: tuple[int, ...] = ()
    born: tuple = ()
    """Per replication: the other record columns fixed at arrival (``_born``), in arrival order."""


def draw_contacts(c: Compiled, seed: int, replications: Iterable[int]) -> Draws:
    """The assisted contacts of each replication: the needs and funnel replication.py draws for the engine
    (``replication.draw_days``), each contact's talk, after-contact work and patience as the engine derives
    them, in the engine's arrival order."""
    problems = why_not(c)
    if problems:
        raise ValueError(f"not a plain FCFS pool: {'; '.join(problems)}")
    reps = tuple(replications)
    born = [_born(c, draw_days(c, seed, rep, customers.draw_population(c, seed, rep))) for rep in reps]
    n = max((b["arrival_at"].size for b in born), default=0)

    def pad(name: str, fill: float = math.nan) -> np.ndarray:
        out = np.full((len(born), n), fill)
        for i, b in enumerate(born):
            x = b.pop(name)  # kept once: in the padded rows
            out[i, : x.size] = x
        return out

    drawn = [pad(k) for k in ("arrival_at", "patience_s", "work_s", "acw0_s")]
    seg, rea, ch = (pad(k, -1.0).astype(np.int64) for k in ("segment", "reason", "channel"))
    return Draws(*drawn, seg, rea, ch, int(c.pool_defs[0].staff_events[0][2]), c.end_s, seed, reps, tuple(born))


def _born(c: Compiled, days: Iterable) -> dict[str, np.ndarray]:
    """A replication's assisted contacts with what they carry from birth (``Engine.feed``), in arrival order:
    ids, need, segment, reason, channel, routing profile, the need's info (``records.INFO_FIELDS``), the
    first-contact-resolution uniform, patience (inf where the channel does not abandon: the engine sets no
    deadline), talk with the pool's and the proficiency's handle-time factors (``Engine._start_lean``) and the
    first-choice pool's after-contact work."""
    cp = c.pool_defs[0]
    hfac = np.array(build_skills(c).handle_factor[0])
    abandons = np.array(c.channel_abandons, dtype=bool)
    parts: dict[str, list[np.ndarray]] = {}
    offset = 0
    for needs, f in days:
        if f.outreach_need.size or f.misrouted.any() or (f.ivr_s > 0).any():
            raise ValueError("agent outreach or IVR contacts (not a plain FCFS pool)")
        at = f.contact_at + f.ivr_s
        order = np.argsort(at, kind="stable")  # the engine's arrival (and contact id) order within the day
        idx, ch = f.contact_need[order], f.channel[order].astype(np.int64)
        rea = needs.reason[idx].astype(np.int64)
        cols = {
            "need_id": idx + offset, "segment": needs.segment[idx], "reason": rea, "channel": ch,
            "profile": f.customers.profile[idx], "arrival_at": at[order],
            "patience_s": np.where(abandons[ch], f.patience_s[order], math.inf),
            "work_s": f.handle_s[order] * cp.handle_time_factor * hfac[rea],
            "acw0_s": cp.acw.ppf(needs.u[idx, U["acw"]]) if cp.acw is not None else np.zeros(idx.size),
            "u_fcr": needs.u[idx, U["fcr"]], "need_at": needs.arrival_at[idx], "level": need_levels(c, f)[idx],
            "self_service_failed": f.ss_attempted[idx], "channel_fit": f.channel_fit[idx],
            "steering_effort": f.steering_effort[idx],
        }
        for k, v in cols.items():
            parts.setdefault(k, []).append(np.asarray(v))
        offset += len(needs)
    out = {k: np.concatenate(v) for k, v in parts.items()}
    out["contact_id"] = np.arange(out["arrival_at"].size)  # ids in feeding order: by day, then arrival
    order = np.argsort(out["arrival_at"], kind="stable")
    return {k: v[order] for k, v in out.items()}


def simulate_draws(d: Draws, agents: int | None = None) -> FcfsResult:
    """The recursion on these draws (with ``agents`` instead of the scenario's, for sweeps on the same draws)."""
    return simulate_fcfs(d.arrival_at, d.patience_s, d.handle_s, d.agents if agents is None else agents,
                         acw_s=d.acw_s, end_at=d.end_at)


def _flushed(c: Compiled, d: Draws, res: FcfsResult, row: int) -> Flushed:
    """One replication's contacts as the engine flushes them: the record batch (``records.ENGINE_COLUMNS``,
    ``outcome``, ``INFO_FIELDS``) and each need's final state (one contact per need: no follow-ups). A
    contact's agent is not tracked (-1): the recursion knows when an agent frees up, not the engine's agent
    numbering."""
    b = d.born[row]
    n = b["contact_id"].size
    v = slice(0, n)
    outcome = res.outcome[row, v].astype(np.int8)
    handled = outcome == HANDLED
    sk = build_skills(c)
    seg, rea, ch = d.segment[row, v], d.reason[row, v], d.channel[row, v]
    fcr = np.array(sk.fcr[0])[rea, ch] * np.array(sk.segment_factor)[seg]
    resolved = handled & (sk.always_resolved | (b["u_fcr"] < fcr))  # Skills.resolves, as the engine decides
    arr, ans = d.arrival_at[row, v], res.answered_at[row, v]
    handle = np.where(handled, d.handle_s[row, v], math.nan)
    mine = {
        "contact_id": b["contact_id"], "need_id": b["need_id"], "kind": np.full(n, FIRST), "attempt": np.ones(n),
        "retrial": np.zeros(n), "repeat": np.zeros(n), "segment": seg, "reason": rea, "channel": ch,
        "pool": np.where(handled, c.pool_defs[0].index, -1), "agent": np.full(n, -1), "profile": b["profile"],
        "arrival_at": arr, "answered_at": ans,
        "end_at": np.where(handled, ans + handle, np.where(outcome == ABANDONED, arr + d.patience_s[row, v],
                                                           math.nan)),
        "wait_s": res.wait_s[row, v], "handle_s": handle, "acw_s": np.where(handled, d.acw_s[row, v], 0.0),
        "resolved": resolved,
    }
    col = {name: np.asarray(mine[name], dtype=dt) if name in mine else np.full(n, getattr(Contact, attr), dtype=dt)
           for name, attr, dt in ENGINE_COLUMNS if name != "state"}
    col["outcome"] = outcome
    for name, dt in INFO_FIELDS:
        col[name] = b[name].astype(dt)
    final = np.select([resolved, handled, outcome == ABANDONED], [RESOLVED, UNRESOLVED, NEED_ABANDONED],
                      NEED_UNSERVED).astype(np.int8)
    return Flushed(col, b["need_id"].astype(np.int64), final, np.zeros(n, np.int16), np.zeros(n, bool), [])


def _with_agents(c: Compiled, agents: int) -> Compiled:
    """The compiled scenario with ``agents`` on duty all the time in its one pool (a sweep's point)."""
    cp = c.pool_defs[0]
    if agents == int(cp.staff_events[0][2]):
        return c
    pool = replace(cp, change_times=np.array([0.0]), change_agents=np.array([agents]), max_agents=agents,
                   staff_events=[(0.0, cp.staff_events[0][1], agents)])
    return replace(c, pool_defs=[pool])


def replication_results(c: Compiled, d: Draws, res: FcfsResult, keep_records: bool = False,
                        agents: int | None = None) -> list[ReplicationResult]:
    """The recursion's contacts through replication.py's bookkeeping (records.enrich, metrics.KpiAccumulator,
    the needs' final states; its days drawn again, one replication at a time, rather than all kept): per
    replication what ``run_replication`` gives for the same contacts, every KPI as metrics.py defines it.
    ``agents``: the number on duty the recursion ran with (default the scenario's), for the pool's on-duty
    and paid time."""
    cn = c if agents is None else _with_agents(c, agents)
    out = []
    for row, rep in enumerate(d.replications):
        run = without_engine(cn, d.seed, rep, keep_records)
        run.process(_flushed(cn, d, res, row))
        out.append(run.result())
    return out


def kpis(c: Compiled, d: Draws, res: FcfsResult, agents: int | None = None) -> pd.DataFrame:
    """Per replication, the contact KPIs of all segments and channels over the measured window and the pool's
    occupancy, wide (one row per replication): the recursion's record batch through ``records.enrich`` and
    ``metrics.KpiAccumulator`` as replication.py feeds them, read off the accumulator
    (``KpiAccumulator.overall``): :func:`replication_results`' numbers for these rows, without the needs'
    bookkeeping and the full KPI frames, which these rows do not read and which would cost more than the
    recursion itself. ``agents``: the number on duty the recursion ran with (default the scenario's)."""
    cn = c if agents is None else _with_agents(c, agents)
    rows = []
    for row in range(len(d.replications)):
        col = _flushed(cn, d, res, row).contacts
        enrich(cn, col, cn.kpi.expected_wait, cn.kpi.csat)
        acc = KpiAccumulator(cn, LEVELS, TERMINAL_STATES)
        acc.add_contacts(col)
        contact, occupancy = acc.overall()
        rows.append({"replication": row, **contact, "occupancy": float(occupancy[0])})
    return pd.DataFrame(rows)


def kpis_long(c: Compiled, d: Draws, res: FcfsResult, replications: list[int] | None = None) -> pd.DataFrame:
    """Every KPI row of these replications in ``RunResult.kpis``'s long format: what a run of the engine gives
    on the same contacts (:func:`replication_results`). ``replications``: the draws' replication numbers."""
    if replications is not None and list(replications) != list(d.replications):
        raise ValueError(f"replications {replications} are not the draws' {list(d.replications)}")
    return pd.concat([r.kpis for r in replication_results(c, d, res)], ignore_index=True)


def verification_kpis(sc: Scenario, seed: int, replications: int) -> pd.DataFrame:
    """``kpis_long`` of replications 0..n-1 of a qualifying scenario: what a verification run needs."""
    c = compile_scenario(sc)
    d = draw_contacts(c, seed, range(replications))
    return kpis_long(c, d, simulate_draws(d))


def pilot_contacts(sc: Scenario, seed: int, replications: int) -> pd.DataFrame:
    """The contact records (as ``RunResult.contacts``) of replications 0..n-1 of a qualifying scenario, for a
    staffing pilot (``staffing.pool_demand``); the agent column is -1 (not tracked)."""
    c = compile_scenario(sc)
    d = draw_contacts(c, seed, range(replications))
    frames = [r.contacts for r in replication_results(c, d, simulate_draws(d), keep_records=True)]
    return pd.concat(frames, ignore_index=True)


def textbook_dict(lam_per_hour: float, aht_s: float, agents: int, *, patience_s: float | None = None,
                  hours: float = 200.0, warmup_hours: float = 10.0, sl_seconds: float = 20.0, replications: int = 10,
                  seed: int = 2026, name: str = "textbook") -> dict[str, Any]:
    """The textbook queue as a scenario mapping: Poisson arrivals, exponential handle times, one FCFS pool of
    ``agents``, exponential patience (M/M/c+M) or none (M/M/c), in steady state (the tests build on it)."""
    d: dict[str, Any] = {
        "name": name,
        "run": {"seed": seed, "replications": replications},
        "horizon": {"steady_state_hours": hours, "warmup_hours": warmup_hours},
        "channels": {"phone": {"kind": "phone", "abandonment": patience_s is not None,
                               "service_level": {"seconds": sl_seconds, "share": 0.8}}},
        "segments": {"customers": {"share": 1.0, "channel_preference": {"phone": 1.0}}},
        "reasons": {"question": {"volume_per_day": lam_per_hour * 24,
                                 "handle_time": {"phone": {"dist": "exponential", "mean": aht_s}}}},
        "pools": {"agents": {"channels": ["phone"], "staffing": agents}},
    }
    if patience_s is not None:
        d["segments"]["customers"]["patience"] = {"phone": {"dist": "exponential", "mean": patience_s}}
    return d


def textbook_scenario(lam_per_hour: float, aht_s: float, agents: int, *, patience_s: float | None = None,
                      hours: float = 200.0, warmup_hours: float = 10.0, sl_seconds: float = 20.0,
                      seed: int = 2026) -> Scenario:
    """:func:`textbook_dict`, validated."""
    return parse_scenario(textbook_dict(lam_per_hour, aht_s, int(agents), patience_s=patience_s, hours=hours,
                                        warmup_hours=warmup_hours, sl_seconds=sl_seconds, seed=seed), "<textbook>")


def agents_sweep(sc: Scenario, agents: Iterable[int], replications: int | None = None,
                 seed: int | None = None) -> pd.DataFrame:
    """KPIs per agent count (on duty) and replication of a qualifying scenario (:func:`why_not`: one plain
    FCFS pool, any handle, patience and arrival laws), by the recursion, every agent count on the same
    customers (common random numbers: the differences are the staffing's). Each point is what the event
    engine gives for the scenario with that many agents and this seed, only faster. Defaults: the
    scenario's replications and seed."""
    staffing = [int(a) for a in agents]
    if not staffing or min(staffing) < 1:
        raise ValueError("agents: give at least one agent count, each >= 1")
    reps = sc.run.replications if replications is None else replications
    c = compile_scenario(sc)
    d = draw_contacts(c, sc.run.seed if seed is None else seed, range(reps))
    frames = []
    for n in staffing:
        k = kpis(c, d, simulate_draws(d, n), n)
        k.insert(0, "agents", n)
        frames.append(k)
    return pd.concat(frames, ignore_index=True)


def mmc_sweep(lam_per_hour: float, aht_s: float, agents: Iterable[int], *, patience_s: float | None = None,
              hours: float = 200.0, warmup_hours: float = 10.0, sl_seconds: float = 20.0, replications: int = 10,
              seed: int = 2026) -> pd.DataFrame:
    """KPIs per agent count and replication of M/M/c (+M) by the recursion (:func:`agents_sweep` of
    :func:`textbook_scenario`): the contacts ``contactsim run`` would simulate for it with this seed."""
    staffing = [int(a) for a in agents]
    if not staffing:
        raise ValueError("agents: give at least one agent count, each >= 1")
    sc = textbook_scenario(lam_per_hour, aht_s, max(staffing[0], 1), patience_s=patience_s, hours=hours,
                           warmup_hours=warmup_hours, sl_seconds=sl_seconds, seed=seed)
    return agents_sweep(sc, staffing, replications, seed)
