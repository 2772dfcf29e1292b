"""Scenarios the FCFS recursion can simulate exactly: the qualification, the engine's own draws, and KPIs.

Why: staffing searches and sweeps of the textbook queue (M/M/c, M/M/c+M and their general-distribution
cousins) spend their time in the event engine although a plain FCFS pool needs none of it. Here a scenario
qualifies only when the engine would run it as one FCFS queue (:func:`why_not`); its contacts are drawn
through the same named streams, arrivals and funnel as ``replication.py`` uses (:func:`draw_contacts`), so
the recursion and the engine see the same customers and give the same per-contact outcomes and waits. The
KPIs follow ``metrics.py``'s definitions for the rows they cover (customer contacts that arrived in the
measured window). :func:`mmc_sweep` is the researchers' entry point.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from contactsim import arrivals, customers
from contactsim.arrivals import U
from contactsim.contact import OUTCOME_NAMES
from contactsim.fcfs_recursion import UNSERVED, FcfsResult, simulate_fcfs
from contactsim.funnel import run_funnel
from contactsim.metrics import INTERVAL_COLUMNS, measured_intervals
from contactsim.policies.omnichannel import build_queue_caps
from contactsim.policies.skills import build_skills
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


def draw_contacts(c: Compiled, seed: int, replications: Iterable[int]) -> Draws:
    """The assisted contacts of each replication, drawn exactly as ``replication.py`` draws them."""
    problems = why_not(c)
    if problems:
        raise ValueError(f"not a plain FCFS pool: {'; '.join(problems)}")
    cp = c.pool_defs[0]
    hfac = build_skills(c).handle_factor[0]
    abandons = np.array(c.channel_abandons, dtype=bool)
    cols: list[list[np.ndarray]] = [[] for _ in range(7)]
    for rep in replications:
        pop = customers.draw_population(c, seed, rep)
        parts: list[list[np.ndarray]] = [[] for _ in range(7)]
        for b in range(arrivals.n_blocks(c)):
            needs = arrivals.generate(c, seed, rep, b)
            f = run_funnel(c, needs, pop)
            if f.outreach_need.size or f.misrouted.any() or (f.ivr_s > 0).any():
                raise ValueError("agent outreach or IVR contacts (not a plain FCFS pool)")
            idx = f.contact_need
            at = f.contact_at + f.ivr_s
            order = np.argsort(at, kind="stable")
            rea = needs.reason[idx].astype(np.int64)
            # the engine: work = hdl * pool factor * proficiency factor; acw drawn for the first-choice pool
            work = f.handle_s * cp.handle_time_factor * np.array(hfac)[rea]
            acw = cp.acw.ppf(needs.u[idx, U["acw"]]) if cp.acw is not None else np.zeros(idx.size)
            ch = f.channel.astype(np.int64)
            pat = np.where(abandons[ch], f.patience_s, math.inf)  # the engine sets no deadline there
            for k, x in enumerate((at, pat, work, acw, needs.segment[idx], ch, rea)):
                parts[k].append(np.asarray(x, dtype=float)[order])
        merged = [np.concatenate(p) if p else np.zeros(0) for p in parts]
        order = np.argsort(merged[0], kind="stable")
        for k in range(7):
            cols[k].append(merged[k][order])
    n = max((x.size for x in cols[0]), default=0)

    def pad(rows: list[np.ndarray]) -> np.ndarray:
        out = np.full((len(rows), n), math.nan)
        for i, r in enumerate(rows):
            out[i, : r.size] = r
        return out

    seg, ch, rea = (np.nan_to_num(pad(cols[k]), nan=-1.0).astype(np.int64) for k in (4, 5, 6))
    return Draws(pad(cols[0]), pad(cols[1]), pad(cols[2]), pad(cols[3]), seg, rea, ch, int(cp.staff_events[0][2]),
                 c.end_s)


def simulate_draws(d: Draws, agents: int | None = None) -> FcfsResult:
    """The recursion on these draws (with ``agents`` instead of the scenario's, for sweeps on the same draws)."""
    return simulate_fcfs(d.arrival_at, d.patience_s, d.handle_s, d.agents if agents is None else agents,
                         acw_s=d.acw_s, end_at=d.end_at)


def _window(c: Compiled) -> tuple[np.ndarray, float, float]:
    """metrics.py's measured intervals: (measured flag per interval, start of the first, end of the last)."""
    m = measured_intervals(c)
    k = np.flatnonzero(m)
    return m, float(k[0] * c.interval_s), float(k[-1] * c.interval_s + c.interval_s)


def _counted(c: Compiled, d: Draws, res: FcfsResult) -> np.ndarray:
    """Contacts the contact KPIs count: arrived after the warm-up, before the end, in a measured interval."""
    m, _, _ = _window(c)
    a = np.where(res.valid, d.arrival_at, 0.0)
    k_abs = np.minimum((a // c.interval_s).astype(np.int64), c.n_intervals - 1)
    return res.valid & (a >= c.warmup_s) & (a < c.horizon_s) & m[k_abs]


def _queue_kpis(c: Compiled, d: Draws, res: FcfsResult, win: np.ndarray) -> dict[str, np.ndarray]:
    threshold = np.where(res.valid, c.sl_seconds[np.maximum(d.segment, 0), np.maximum(d.channel, 0)], math.nan)
    handled = win & res.handled
    offered = win.sum(axis=1).astype(float)
    n_handled = handled.sum(axis=1)
    wait = np.where(win & ~np.isnan(res.wait_s), res.wait_s, 0.0)
    abandoned = (win & res.abandoned).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "offered": offered,
            "handled": n_handled.astype(float),
            "abandoned": abandoned.astype(float),
            "unserved": (win & (res.outcome == UNSERVED)).sum(axis=1).astype(float),
            "service_level": (handled & (res.wait_s <= threshold)).sum(axis=1) / offered,
            "p_wait": (win & (wait > 1e-9)).sum(axis=1) / offered,
            "asa_s": np.where(handled, wait, 0.0).sum(axis=1) / n_handled,
            "mean_wait_s": wait.sum(axis=1) / offered,
            "abandon_rate": abandoned / offered,
        }


def _busy_s(c: Compiled, res: FcfsResult) -> np.ndarray:
    """Per replication: busy agent-time inside the measured intervals."""
    _, w0, w1 = _window(c)
    lo, hi = np.maximum(res.answered_at, w0), np.minimum(res.free_at, w1)
    return np.where(res.handled & (hi > lo), hi - lo, 0.0).sum(axis=1)


def kpis(c: Compiled, d: Draws, res: FcfsResult, agents: int | None = None) -> pd.DataFrame:
    """Per replication, the queue KPIs of contacts that arrived in the measured window, as ``metrics.py``
    defines them: offered, handled, abandoned, unserved, service_level (answered within the segment's
    threshold for the channel, over offered), p_wait (waited over 1e-9 s), asa_s (handled), mean_wait_s (all
    offered), abandon_rate, occupancy (busy agent-time inside the measured intervals over on-duty time)."""
    agents = d.agents if agents is None else agents
    _, w0, w1 = _window(c)
    out = pd.DataFrame({"replication": np.arange(d.arrival_at.shape[0]),
                        **_queue_kpis(c, d, res, _counted(c, d, res))})
    out["occupancy"] = _busy_s(c, res) / (agents * (w1 - w0))
    return out


def kpis_long(c: Compiled, d: Draws, res: FcfsResult, replications: list[int]) -> pd.DataFrame:
    """The queue KPIs in ``RunResult.kpis``'s long format (interval ``all``): per segment and channel (and
    ``all`` of each) the contact KPIs, and the pool's busy_hours, paid_hours and occupancy, computed as
    ``metrics.py`` does. Enough for ``staffing.check_plan``; not the full KPI set of a run."""
    win = _counted(c, d, res)
    rows = []
    segs = [("all", np.ones_like(win))] + [(s, d.segment == i) for i, s in enumerate(c.segments)]
    chans = [("all", np.ones_like(win))] + [(k, d.channel == j) for j, k in enumerate(c.channels)
                                            if (d.channel == j).any()]
    for s_name, s_sel in segs:
        for ch_name, ch_sel in chans:
            for metric, vals in _queue_kpis(c, d, res, win & s_sel & ch_sel).items():
                rows += [(r, s_name, ch_name, "all", "all", math.nan, math.nan, metric, float(v))
                         for r, v in zip(replications, vals, strict=True)]
    cp = c.pool_defs[0]
    _, w0, w1 = _window(c)
    duty = d.agents * (w1 - w0)
    gross = cp.paid_per_duty / (1 - cp.shrinkage)
    for r, busy in zip(replications, _busy_s(c, res), strict=True):
        rows += [(r, "all", "all", cp.name, "all", math.nan, math.nan, m, v) for m, v in (
            ("busy_hours", busy / 3600.0), ("paid_hours", duty * gross / 3600.0),
            ("occupancy", busy / (duty * cp.concurrency)))]
    return pd.DataFrame(rows, columns=["replication", "segment", "channel", "pool", "interval", *INTERVAL_COLUMNS,
                                       "metric", "value"])


def verification_kpis(sc: Scenario, seed: int, replications: int) -> pd.DataFrame:
    """``kpis_long`` of replications 0..n-1 of a qualifying scenario: what a verification run needs."""
    c = compile_scenario(sc)
    reps = list(range(replications))
    d = draw_contacts(c, seed, reps)
    return kpis_long(c, d, simulate_draws(d), reps)


def pilot_contacts(sc: Scenario, seed: int, replications: int) -> pd.DataFrame:
    """The per-contact columns a staffing pilot reads (``staffing.pool_demand``) for replications 0..n-1 of a
    qualifying scenario, in the records' order (replication, then arrival): arrival_at, pool, segment, reason,
    channel, outcome, handle_s (talk of handled contacts), acw_s. ``pool`` is the one pool for every contact
    (the records leave it empty for unanswered ones, which pool_demand gives to their first eligible pool:
    the same one)."""
    c = compile_scenario(sc)
    d = draw_contacts(c, seed, range(replications))
    res = simulate_draws(d)
    v = res.valid
    handled = res.handled[v]
    n = int(v.sum())
    return pd.DataFrame({
        "replication": np.repeat(np.arange(replications), v.sum(axis=1)),
        "arrival_at": d.arrival_at[v],
        "pool": np.full(n, c.pools[0], dtype=object),
        "segment": np.asarray(c.segments, dtype=object)[d.segment[v]],
        "reason": np.asarray(c.reasons, dtype=object)[d.reason[v]],
        "channel": np.asarray(c.channels, dtype=object)[d.channel[v]],
        "outcome": np.asarray(OUTCOME_NAMES, dtype=object)[res.outcome[v]],
        "handle_s": np.where(handled, d.handle_s[v], np.nan),
        "acw_s": np.where(handled, d.acw_s[v], 0.0),
    })


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
