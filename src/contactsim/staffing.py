"""Staffing optimisation: the fewest agents per pool and interval of the day that meet the targets.

1. **Erlang start**: a pilot simulation measures the offered contacts and the agent time per contact
   (handle + after-contact work) per channel and interval of the day; Erlang A (exponential patience)
   or Erlang C gives the smallest staffing per interval for the channel's target (the strictest
   segment target where segments have their own).
2. **Refinement by simulation** with common random numbers (every candidate sees the same
   customers): an interval whose service level misses the target at the stated confidence (the lower
   bound of the one-sided interval over replications) gets an agent more; then intervals with room get
   one agent less, and those that then miss get it back, until nothing changes. Queues carry over
   between intervals, which is why the simulation, not Erlang alone, has the last word.

Scope: pools that each serve exactly one channel which no other pool serves (the usual planning
unit); staffing becomes one list per interval of the day, the same every day, sized on the days of
the horizon pooled. Pools that do not qualify keep their staffing and are named in the notes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contactsim import erlang
from contactsim.errors import ContactsimError, Issue
from contactsim.experiment import RunResult, simulate
from contactsim.scenario.load import parse_scenario
from contactsim.scenario.schema import ExponentialSpec, Scenario
from contactsim.stats import t_quantile


@dataclass
class StaffingResult:
    scenario: Scenario
    """The scenario with the optimised staffing."""
    table: pd.DataFrame
    """pool, slot, time, offered_per_hour, agent_time_s, erlang_agents, agents, service_level, sl_low, target."""
    cost: dict[str, float]
    iterations: int
    notes: list[str] = field(default_factory=list)


def _plan_pools(sc: Scenario) -> tuple[dict[str, str], list[str]]:
    """Pools the optimiser may change (pool -> its channel) and notes on the others."""
    users: dict[str, list[str]] = {}
    for p, pool in sc.pools.items():
        for ch in pool.channels:
            users.setdefault(ch, []).append(p)
    plan, notes = {}, []
    for p, pool in sc.pools.items():
        if len(pool.channels) == 1 and len(users[pool.channels[0]]) == 1:
            plan[p] = pool.channels[0]
        else:
            notes.append(f"pool {p} kept as given: it shares channels with other pools")
    return plan, notes


def _slots(sc: Scenario) -> int:
    return 1 if sc.horizon.steady_state else sc.horizon.intervals_per_day


def _targets(sc: Scenario, ch: str) -> list[tuple[str, float, float]]:
    """(segment or 'all', seconds, share) targets that apply to a channel."""
    base = sc.channels[ch].target
    out = [("all", base.seconds, base.share)]
    for s, seg in sc.segments.items():
        if ch in seg.service_level:
            t = seg.service_level[ch]
            out.append((s, t.seconds, t.share))
    return out


def _slot_of(labels: pd.Series, sc: Scenario) -> np.ndarray:
    """Interval label 'dNN Day HH:MM' -> interval of the day (0 for steady state)."""
    if sc.horizon.steady_state:
        return np.zeros(len(labels), dtype=int)
    hhmm = labels.str[-5:]
    minutes = hhmm.str[:2].astype(int) * 60 + hhmm.str[3:].astype(int)
    return (minutes // sc.horizon.interval_minutes).to_numpy()


def _per_slot(res: RunResult, sc: Scenario, segment: str, channel: str) -> pd.DataFrame:
    """Per replication and interval of the day: offered, answered within target, handled, agent time."""
    k = res.kpis
    sel = k[(k["segment"] == segment) & (k["channel"] == channel) & (k["pool"] == "all")]
    if sc.horizon.steady_state:
        sel = sel[sel["interval"] == "all"]
    else:
        sel = sel[sel["interval"] != "all"]
    w = sel.pivot_table(index=["replication", "interval"], columns="metric", values="value").reset_index()
    for col in ("offered", "service_level", "handled", "aht_s"):
        if col not in w:
            w[col] = 0.0
    w = w.fillna(0.0)
    w["slot"] = _slot_of(w["interval"], sc)
    w["in_sl"] = w["service_level"] * w["offered"]
    w["handle_total"] = w["aht_s"] * w["handled"]
    return w.groupby(["replication", "slot"])[["offered", "in_sl", "handled", "handle_total"]].sum().reset_index()


def _check(res: RunResult, sc: Scenario, plan: dict[str, str], confidence: float) -> dict[str, pd.DataFrame]:
    """Per pool and slot: worst (over its targets) mean service level, lower bound and the target."""
    out = {}
    n = res.replications
    tq = t_quantile(2 * confidence - 1, n) if n > 1 else np.inf  # one-sided bound at `confidence`
    for p, ch in plan.items():
        rows = []
        for seg, _seconds, share in _targets(sc, ch):
            d = _per_slot(res, sc, seg, ch)
            if d.empty:
                continue
            d["sl"] = np.where(d["offered"] > 0, d["in_sl"] / d["offered"].where(d["offered"] > 0, 1), np.nan)
            g = d.groupby("slot")["sl"]
            stats = pd.DataFrame({"mean": g.mean(), "sd": g.std(ddof=1), "n": g.count()})
            stats["low"] = stats["mean"] - tq * stats["sd"].fillna(0) / np.sqrt(stats["n"].clip(lower=1))
            stats["target"] = share
            stats["gap"] = stats["low"] - share
            rows.append(stats)
        worst = pd.concat(rows).groupby(level=0).apply(lambda x: x.loc[x["gap"].idxmin()]) if rows else None
        out[p] = worst
    return out


def _with_staffing(sc: Scenario, staffing: dict[str, list[int]]) -> Scenario:
    data = sc.model_dump(mode="json")
    for p, agents in staffing.items():
        data["pools"][p]["shifts"] = None
        data["pools"][p]["staffing"] = int(agents[0]) if sc.horizon.steady_state else [int(a) for a in agents]
    return parse_scenario(data, f"<{sc.name} staffed>")


def _erlang_start(pilot: RunResult, sc: Scenario, plan: dict[str, str]) -> tuple[dict[str, list[int]], pd.DataFrame]:
    slots = _slots(sc)
    interval_s = (sc.horizon.steady_state_hours or 0) * 3600 if sc.horizon.steady_state else \
        sc.horizon.interval_minutes * 60.0
    days = 1 if sc.horizon.steady_state else (sc.horizon.days or 1)
    staffing, rows = {}, []
    for p, ch in plan.items():
        d = _per_slot(pilot, sc, "all", ch).groupby("slot")[["offered", "handled", "handle_total"]].mean()
        acw = sc.pools[p].after_contact_work
        acw_mean = 0.0 if acw is None else (acw.mean if hasattr(acw, "mean") else getattr(acw, "value", 0.0))
        pats = [seg.patience[ch] for seg in sc.segments.values() if ch in seg.patience]
        theta = None
        if pats and all(isinstance(x, ExponentialSpec) for x in pats) and sc.channels[ch].abandonment:
            theta = 1.0 / float(np.mean([x.mean for x in pats]))
        target = sc.channels[ch].target
        shares = [t[2] for t in _targets(sc, ch)]
        secs = [t[1] for t in _targets(sc, ch)]
        concurrency = sc.channels[ch].concurrency
        agents = []
        for k in range(slots):
            offered = float(d["offered"].get(k, 0.0))
            lam = offered / (days * interval_s)
            aht = float(d["handle_total"].get(k, 0.0) / d["handled"].get(k, 1.0)) if d["handled"].get(k, 0) else 0
            work = aht * sc.pools[p].handle_time_factor + acw_mean
            if lam <= 0 or work <= 0:
                c = 0
            else:
                c = erlang.min_agents_for_service_level(lam, 1.0 / work, min(secs), min(max(shares), 0.999), theta)
                c = int(np.ceil(c / concurrency))
            agents.append(c)
            rows.append({"pool": p, "channel": ch, "slot": k, "offered_per_hour": lam * 3600, "agent_time_s": work,
                         "erlang_agents": c, "target_s": target.seconds})
        staffing[p] = agents
    return staffing, pd.DataFrame(rows)


def optimise_staffing(sc: Scenario, replications: int = 8, confidence: float = 0.95, seed: int | None = None,
                      workers: int | None = 1, max_iterations: int = 30) -> StaffingResult:
    plan, notes = _plan_pools(sc)
    if not plan:
        raise ContactsimError("<scenario>", [Issue("pools", "no pool serves exactly one channel of its own",
                                                   None, "give each planned channel its own pool")], kind="scenario")
    seed = sc.run.seed if seed is None else seed
    pilot = simulate(sc, replications=replications, seed=seed, workers=workers, keep_records=False)
    staffing, table = _erlang_start(pilot, sc, plan)
    erlang_staffing = {p: list(v) for p, v in staffing.items()}
    run = lambda st: simulate(_with_staffing(sc, st), replications=replications, seed=seed,  # noqa: E731
                              workers=workers, keep_records=False)
    minimal: dict[str, set[int]] = {p: set() for p in plan}
    iterations = 0
    res = run(staffing)
    while iterations < max_iterations:
        iterations += 1
        checks = _check(res, sc, plan, confidence)
        missing = {p: [int(k) for k, r in (checks[p].iterrows() if checks[p] is not None else [])
                       if r["gap"] < 0] for p in plan}
        if any(missing.values()):
            for p, ks in missing.items():
                for k in ks:
                    staffing[p][k] += 1
                    minimal[p].add(k)
            res = run(staffing)
            continue
        # everything meets the target: try one agent less where that has not failed before
        trial = {p: list(v) for p, v in staffing.items()}
        tried = {p: [k for k in range(len(v)) if v[k] > 0 and k not in minimal[p]] for p, v in trial.items()}
        if not any(tried.values()):
            break
        for p, ks in tried.items():
            for k in ks:
                trial[p][k] -= 1
        res_trial = run(trial)
        checks = _check(res_trial, sc, plan, confidence)
        for p, ks in tried.items():
            for k in ks:
                r = checks[p].loc[k] if checks[p] is not None and k in checks[p].index else None
                if r is not None and r["gap"] < 0:
                    trial[p][k] += 1  # this one was needed
                    minimal[p].add(k)
        staffing = trial
        res = run(staffing)
    else:
        notes.append(f"stopped after {max_iterations} iterations; the last staffing may not be minimal")
    checks = _check(res, sc, plan, confidence)
    final = _with_staffing(sc, staffing)
    table["agents"] = [staffing[r.pool][r.slot] for r in table.itertuples()]
    table["service_level"] = [checks[r.pool].loc[r.slot, "mean"] if checks[r.pool] is not None and r.slot in
                              checks[r.pool].index else np.nan for r in table.itertuples()]
    table["sl_low"] = [checks[r.pool].loc[r.slot, "low"] if checks[r.pool] is not None and r.slot in
                       checks[r.pool].index else np.nan for r in table.itertuples()]
    table["target"] = [checks[r.pool].loc[r.slot, "target"] if checks[r.pool] is not None and r.slot in
                       checks[r.pool].index else np.nan for r in table.itertuples()]
    minutes = table["slot"] * sc.horizon.interval_minutes
    table["time"] = ("steady state" if sc.horizon.steady_state
                     else [f"{m // 60:02d}:{m % 60:02d}" for m in minutes.tolist()])
    cost = {"erlang": _cost(sc, erlang_staffing), "simulation": _cost(sc, staffing)}
    cost["difference"] = cost["simulation"] - cost["erlang"]
    return StaffingResult(scenario=final, table=table, cost=cost, iterations=iterations, notes=notes)


def _cost(sc: Scenario, staffing: dict[str, list[int]]) -> float:
    """Paid staff cost of the planned pools over the horizon (agents x hours / (1 - shrinkage) x rate)."""
    if sc.horizon.steady_state:
        hours = [sc.horizon.steady_state_hours or 0.0]
        days = 1
    else:
        hours = [sc.horizon.interval_minutes / 60.0] * sc.horizon.intervals_per_day
        days = sc.horizon.days or 1
    total = 0.0
    for p, agents in staffing.items():
        pool = sc.pools[p]
        total += days * sum(a * h for a, h in zip(agents, hours, strict=True)) / (1 - pool.shrinkage) * pool.hourly_cost
    return total
