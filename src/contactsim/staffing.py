"""Staffing optimisation: the fewest agents per pool and interval of the day that meet the targets.

Targets: for each planned pool's channel, the channel's service-level target over all its customers and
every segment's own target for that channel (``segments.X.service_level``). A target counts as met in
an interval of the day when the **lower bound of the two-sided ``confidence`` (default 95%) Student-t
interval** of the simulated service level over replications is at least the target share -- so "met"
means met with one-sided confidence (1 + confidence) / 2, not merely on average.

1. **Erlang start**: a pilot simulation with the scenario's own staffing measures the offered contacts
   and the agent time per contact (handle x the pool's handle-time factor + after-contact work) per
   interval of the day. Measured offered counts, rather than daily volume x profiles, already include
   what the funnel, retrials, repeats and callbacks add or remove. Erlang A (when every segment's
   patience on the channel is exponential) or Erlang C then gives per interval the smallest staffing
   meeting the strictest target in steady state (``erlang.min_agents_for_service_level``), divided by
   the channel's concurrency.
2. **Refinement by simulation** with common random numbers (every candidate runs the same seed, so it
   sees the same customers and differences are the staffing's, not noise): every interval that misses
   gets an agent more; when all meet, every interval not yet known to be minimal tries one agent less
   together, and the ones that then miss get it back. Queues carry over between intervals, which is
   why the simulation, not Erlang, has the last word.
3. **Verification** (``verify=True``): each staffed interval in turn runs with one agent less (the
   others as found). If every target is still met the reduction is kept; otherwise the table records
   the worst lower-bound gap seen and where (``fewer_gap`` < 0: one agent fewer misses). By
   construction, no checked interval of the answer can lose an agent without a miss in that run. The
   answer is a local minimum: moving agents between intervals is not searched, and a reduction that
   makes another interval miss (queues carry over; a later interval perturbs the next days' repeats
   and retrials) counts as a miss.

Thin intervals (fewer than ``min_offered`` contacts offered per replication, all days together) are
too sparse for a service level to be measured: they keep the Erlang staffing and are not checked.

Scope -- what it does not handle: only pools that serve exactly one channel which no other pool serves
are planned (others keep their staffing and are named in ``notes``); the answer is one staffing list
per interval of the day (``pool.staffing``), the same every day, sized on all days of the horizon
pooled (a Monday peak is not staffed apart from a quiet Sunday; planned pools' ``shifts`` are replaced
by that list); in steady state it is one number. Backlog channels (e-mail) and targets other than
service level (abandonment, ASA, occupancy caps) are not optimised.
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
from contactsim.stats import mean_ci

Staffing = dict[str, list[int]]


@dataclass
class StaffingResult:
    scenario: Scenario
    """The scenario with the optimised staffing."""
    table: pd.DataFrame
    """Per pool and interval of the day: pool, channel, slot, time, offered_per_hour, agent_time_s,
    erlang_agents, simulated_agents, service_level, sl_ci_low, sl_ci_high, target, binding (the segment
    whose target is tightest, 'all' = the channel's), fewer_gap (with one agent fewer in this interval, the
    lowest CI bound minus target over all planned intervals, from the verification run -- without
    ``verify``, this interval's own gap in the refinement round where it last missed; < 0: one fewer
    misses), fewer_misses_at ('pool HH:MM' of that gap), checked (False: a thin interval, not held to
    the target)."""
    cost: dict[str, float]
    """Staff cost of the planned pools over the horizon: erlang, simulation, difference."""
    iterations: int
    """Simulation rounds after the pilot."""
    confidence: float
    notes: list[str] = field(default_factory=list)


def _plan_pools(sc: Scenario) -> tuple[dict[str, str], list[str]]:
    """Pools the optimiser may change (pool -> its channel) and notes on the others."""
    users: dict[str, list[str]] = {}
    for p, pool in sc.pools.items():
        for ch in pool.channels:
            users.setdefault(ch, []).append(p)
    plan, notes = {}, []
    for p, pool in sc.pools.items():
        ch = pool.channels[0]
        if len(pool.channels) > 1 or len(users[ch]) > 1:
            notes.append(f"pool {p} kept as given: it serves several channels or shares one with other pools")
        elif sc.channels[ch].kind == "email" or sc.channels[ch].sla_hours is not None:
            notes.append(f"pool {p} kept as given: channel {ch} is a backlog (target in hours, not per interval)")
        else:
            plan[p] = ch
            if pool.shifts is not None:
                notes.append(f"pool {p}: its shifts are replaced by one staffing number per interval of the day")
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
    """Per replication and interval of the day (days pooled): offered, answered within target, handled, handle."""
    k = res.kpis
    sel = k[(k["segment"] == segment) & (k["channel"] == channel) & (k["pool"] == "all")]
    sel = sel[sel["interval"] == "all"] if sc.horizon.steady_state else sel[sel["interval"] != "all"]
    w = sel.pivot_table(index=["replication", "interval"], columns="metric", values="value").reset_index()
    for col in ("offered", "service_level", "handled", "aht_s"):
        if col not in w:
            w[col] = 0.0
    w = w.fillna(0.0)
    w["slot"] = _slot_of(w["interval"], sc)
    w["in_sl"] = w["service_level"] * w["offered"]
    w["handle_total"] = w["aht_s"] * w["handled"]
    return w.groupby(["replication", "slot"])[["offered", "in_sl", "handled", "handle_total"]].sum().reset_index()


def _check(res: RunResult, sc: Scenario, plan: dict[str, str], confidence: float,
           frozen: dict[str, set[int]]) -> dict[str, pd.DataFrame]:
    """Per pool, indexed by slot: the tightest target's mean SL, CI, target, gap (CI low - target), binding.

    Frozen (low-volume) slots get their statistics but no gap: they are not held to the target.
    """
    out = {}
    for p, ch in plan.items():
        rows = []
        for seg, _seconds, share in _targets(sc, ch):
            d = _per_slot(res, sc, seg, ch)
            if d.empty:
                continue
            d["sl"] = np.where(d["offered"] > 0, d["in_sl"] / d["offered"].clip(lower=1e-12), np.nan)
            for slot, g in d.groupby("slot"):
                ci = mean_ci(g["sl"].to_numpy(), confidence)
                if ci.n == 0:
                    continue  # nobody came in this interval: no target to meet
                low = ci.low if ci.n > 1 else ci.mean
                high = ci.high if ci.n > 1 else ci.mean
                rows.append({"slot": int(slot), "mean": ci.mean, "low": low, "high": min(high, 1.0),
                             "target": share, "gap": low - share, "binding": seg})
        if not rows:
            out[p] = pd.DataFrame(columns=["mean", "low", "high", "target", "gap", "binding"])
            continue
        t = pd.DataFrame(rows).sort_values(["slot", "gap"], kind="stable").groupby("slot").head(1).set_index("slot")
        t.loc[t.index.isin(list(frozen[p])), "gap"] = np.nan
        out[p] = t
    return out


def _misses(checks: dict[str, pd.DataFrame]) -> dict[str, list[int]]:
    return {p: [int(k) for k in c.index[c["gap"] < 0]] for p, c in checks.items()}


def _worst_gap(checks: dict[str, pd.DataFrame], sc: Scenario) -> tuple[float, str]:
    """The lowest gap over all checked intervals and where it is ('pool HH:MM')."""
    worst, where = float("inf"), ""
    for p, c in checks.items():
        g = c["gap"].dropna()
        if not g.empty and g.min() < worst:
            worst, where = float(g.min()), f"{p} {_time(sc, int(g.idxmin()))}"
    return worst, where


def _time(sc: Scenario, slot: int) -> str:
    if sc.horizon.steady_state:
        return "steady state"
    m = slot * sc.horizon.interval_minutes
    return f"{m // 60:02d}:{m % 60:02d}"


def with_staffing(sc: Scenario, staffing: Staffing) -> Scenario:
    """The scenario with these pools staffed per interval of the day (one number in steady state)."""
    data = sc.model_dump(mode="json")
    for p, agents in staffing.items():
        data["pools"][p]["shifts"] = None
        data["pools"][p]["staffing"] = int(agents[0]) if sc.horizon.steady_state else [int(a) for a in agents]
    return parse_scenario(data, f"<{sc.name} staffed>")


def _mean_of(spec: object) -> float:
    return float(getattr(spec, "mean", getattr(spec, "value", 0.0)) or 0.0)


def _erlang_start(pilot: RunResult, sc: Scenario, plan: dict[str, str]) -> tuple[Staffing, pd.DataFrame]:
    """Per pool and interval of the day: offered load from the pilot, Erlang A/C agents for the strictest target."""
    interval_s = (sc.horizon.steady_state_hours or 0) * 3600 if sc.horizon.steady_state else \
        sc.horizon.interval_minutes * 60.0
    days = 1 if sc.horizon.steady_state else (sc.horizon.days or 1)
    staffing, rows = {}, []
    for p, ch in plan.items():
        d = _per_slot(pilot, sc, "all", ch).groupby("slot")[["offered", "handled", "handle_total"]].mean()
        acw = sc.pools[p].after_contact_work
        pats = [seg.patience[ch] for seg in sc.segments.values() if ch in seg.patience]
        theta = None
        if sc.channels[ch].abandonment and pats and all(isinstance(x, ExponentialSpec) for x in pats):
            theta = 1.0 / float(np.mean([x.mean for x in pats]))
        targets = _targets(sc, ch)
        agents = []
        for k in range(_slots(sc)):
            lam = float(d["offered"].get(k, 0.0)) / (days * interval_s)
            handled = float(d["handled"].get(k, 0.0))
            aht = float(d["handle_total"].get(k, 0.0)) / handled if handled > 0 else 0.0
            work = aht * sc.pools[p].handle_time_factor + (0.0 if acw is None else _mean_of(acw))
            c = 0
            if lam > 0 and work > 0:
                c = max(erlang.min_agents_for_service_level(lam, 1.0 / work, secs, min(share, 0.999), theta)
                        for _seg, secs, share in targets)
                c = int(np.ceil(c / sc.channels[ch].concurrency))
            agents.append(c)
            rows.append({"pool": p, "channel": ch, "slot": k, "offered_per_hour": lam * 3600, "agent_time_s": work,
                         "erlang_agents": c})
        staffing[p] = agents
    return staffing, pd.DataFrame(rows)


def optimise_staffing(sc: Scenario, replications: int = 8, confidence: float = 0.95, seed: int | None = None,
                      workers: int | None = 1, max_iterations: int = 30, verify: bool = True,
                      min_offered: float = 10.0) -> StaffingResult:
    """The fewest agents per planned pool and interval of the day meeting every service-level target.

    Intervals offered fewer than ``min_offered`` contacts per replication in the pilot (all days of the
    horizon together) are too thin to measure a service level: they keep the Erlang staffing and are
    not held to the target (``checked`` False in the table). See the module docstring for the
    criterion, the method and what is not handled.
    """
    plan, notes = _plan_pools(sc)
    if not plan:
        raise ContactsimError(sc.name, [Issue("pools", "no pool serves exactly one live channel of its own", None,
                                              "give each channel to plan its own pool")], kind="scenario")
    if not sc.horizon.steady_state and sc.horizon.days and sc.horizon.days > 1 and \
            len(set(sc.arrivals.weekly)) > 1:
        notes.append("the weekly profile is not flat: each interval is sized on all days pooled, so a busy "
                     "day may miss where a quiet one exceeds")
    seed = sc.run.seed if seed is None else seed

    def run(st: Staffing) -> RunResult:
        return simulate(with_staffing(sc, st), replications=replications, seed=seed, workers=workers,
                        keep_records=False)

    pilot = simulate(sc, replications=replications, seed=seed, workers=workers, keep_records=False)
    staffing, table = _erlang_start(pilot, sc, plan)
    erlang_staffing = {p: list(v) for p, v in staffing.items()}
    hours = (sc.horizon.steady_state_hours or 0.0) if sc.horizon.steady_state else \
        sc.horizon.interval_minutes / 60.0 * (sc.horizon.days or 1)
    thin = table[table["offered_per_hour"] * hours < min_offered]
    frozen = {p: set(thin.loc[thin["pool"] == p, "slot"].astype(int)) for p in plan}
    if any(frozen.values()):
        notes.append(f"{len(thin)} thin interval(s) (< {min_offered:g} contacts offered per replication) keep the "
                     "Erlang staffing and are not held to the target")

    def check(res: RunResult) -> dict[str, pd.DataFrame]:
        return _check(res, sc, plan, confidence, frozen)

    minimal = {p: set(frozen[p]) for p in plan}  # slots not to try with one agent less
    fewer: dict[tuple[str, int], tuple[float, str]] = {}
    iterations = 1
    res = run(staffing)
    checks = check(res)
    while True:
        if iterations >= max_iterations:
            notes.append(f"stopped after {max_iterations} simulation rounds; the staffing may not be minimal"
                         + (" and misses a target" if any(_misses(checks).values()) else ""))
            verify = False
            break
        missing = _misses(checks)
        if any(missing.values()):  # an agent more wherever a target is missed
            for p, ks in missing.items():
                for k in ks:  # the staffing it had is one fewer than it gets now
                    fewer[(p, k)] = (float(checks[p].loc[k, "gap"]), f"{p} {_time(sc, k)}")
                    staffing[p][k] += 1
                    minimal[p].add(k)
        else:  # all met: one agent less, together, wherever that has not failed before
            tried = {p: [k for k, a in enumerate(v) if a > 0 and k not in minimal[p]] for p, v in staffing.items()}
            if not any(tried.values()):
                break
            trial = {p: [a - (k in tried[p]) for k, a in enumerate(v)] for p, v in staffing.items()}
            iterations += 1
            trial_checks = check(run(trial))
            for p, ks in tried.items():
                c = trial_checks[p]
                for k in ks:
                    if k in c.index and c.loc[k, "gap"] < 0:
                        trial[p][k] += 1  # needed after all
                        minimal[p].add(k)
                        fewer[(p, k)] = (float(c.loc[k, "gap"]), f"{p} {_time(sc, k)}")
            staffing = trial
        iterations += 1
        res = run(staffing)
        checks = check(res)
    if verify:  # each staffed interval alone with one agent less; keep any reduction that still meets all
        for p in plan:
            for k in range(len(staffing[p])):
                while staffing[p][k] > 0 and k not in frozen[p]:
                    trial = {q: list(v) for q, v in staffing.items()}
                    trial[p][k] -= 1
                    iterations += 1
                    trial_res = run(trial)
                    trial_checks = check(trial_res)
                    gap, where = _worst_gap(trial_checks, sc)
                    if gap < 0:
                        fewer[(p, k)] = (gap, where)
                        break
                    staffing, res, checks = trial, trial_res, trial_checks
                    fewer.pop((p, k), None)
    table.insert(3, "time", [_time(sc, k) for k in table["slot"]])
    table["simulated_agents"] = [staffing[r.pool][r.slot] for r in table.itertuples()]
    for col, src in (("service_level", "mean"), ("sl_ci_low", "low"), ("sl_ci_high", "high"), ("target", "target"),
                     ("binding", "binding")):
        table[col] = [checks[r.pool].loc[r.slot, src] if r.slot in checks[r.pool].index else np.nan
                      for r in table.itertuples()]
    table["checked"] = [r.slot not in frozen[r.pool] for r in table.itertuples()]
    table["fewer_gap"] = [fewer.get((r.pool, r.slot), (np.nan, ""))[0] for r in table.itertuples()]
    table["fewer_misses_at"] = [fewer.get((r.pool, r.slot), (np.nan, ""))[1] for r in table.itertuples()]
    cost = {"erlang": _cost(sc, erlang_staffing), "simulation": _cost(sc, staffing)}
    cost["difference"] = cost["simulation"] - cost["erlang"]
    return StaffingResult(scenario=with_staffing(sc, staffing), table=table, cost=cost, iterations=iterations,
                          confidence=confidence, notes=notes)


def _cost(sc: Scenario, staffing: Staffing) -> float:
    """Paid staff cost of the planned pools over the horizon: agents x hours / (1 - shrinkage) x hourly cost."""
    if sc.horizon.steady_state:
        hours, days = [sc.horizon.steady_state_hours or 0.0], 1
    else:
        hours, days = [sc.horizon.interval_minutes / 60.0] * sc.horizon.intervals_per_day, sc.horizon.days or 1
    total = 0.0
    for p, agents in staffing.items():
        pool = sc.pools[p]
        total += days * sum(a * h for a, h in zip(agents, hours, strict=True)) / (1 - pool.shrinkage) * pool.hourly_cost
    return total
