"""Staffing plans a planner could publish: agents per pool, weekday and interval that meet the targets.

Method (fast approximation first, simulation last):

1. **Demand** -- a pilot simulation with records measures, per pool, weekday and interval of the day, the
   contacts offered (abandoned ones are given to their first-choice pool) and the agent time per
   contact (handle + after-contact work). Measured counts already contain what the funnel, retrials,
   repeats, callbacks and overflow add or remove.
2. **Erlang per interval** -- for a live pool (phone, chat, messaging, store), the smallest number of
   agents whose steady-state Erlang A (exponential-patience approximation with the pool's mean patience;
   Erlang C where the channel does not abandon) meets every target at once: each service-level target
   that applies (the channels' and the segments' the pool serves), a maximum ASA, a maximum abandonment
   rate and an occupancy cap. Several channels in one pool are planned as one blended queue held to the
   strictest target. For a backlog pool (e-mail, webcare) the day's work is spread flat over the pool's
   working window (its given staffing, or the channel's opening hours) at the occupancy cap.
3. **Rules a published plan keeps** -- at least ``min_agents`` whenever one of the pool's channels is
   open (a 24/7 line is never unstaffed), and nobody while all of them are closed (no paid idle hours).
4. **Verification by simulation** on a fresh seed: per pool, weekday and interval the simulated KPIs are
   checked against the same targets (pooled over replications: answered-in-target / offered); every
   interval that misses gets an agent more, for a few rounds; two agents more that leave the interval's
   service level where it was (same customers) are taken back: the miss is not this pool's staffing.
   Intervals with fewer than ``min_offered``
   contacts per replication are too thin to measure and keep the Erlang answer. A scenario that
   :func:`recursion_verifies` (steady state, one plain FCFS pool) has its pilot and verification runs done
   by the FCFS recursion (``fcfs_scenario``) instead of the event engine: the same customers, the same
   outcome and wait for each, the same demand and KPIs, in a fraction of the time.

The answer is a plan per weekday (``plan[pool]`` is 7 x intervals of the day; one number in steady
state), written into the scenario as ``staffing: {mon-fri: [...], sat: [...]}`` so it runs as published
(scheduled agents: the plan grossed up for absence and adherence); :func:`cover_with_shifts` turns it into
whole shifts where a planner wants those.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contactsim import erlang, fcfs_scenario
from contactsim.errors import ContactsimError, Issue
from contactsim.experiment import RunResult, simulate
from contactsim.metrics import interval_table, with_interval_columns
from contactsim.scenario.compiled import compile_scenario, first_choice, profiles_of, segment_profiles
from contactsim.scenario.load import parse_scenario
from contactsim.scenario.schedules import available_share
from contactsim.scenario.schema import Scenario
from contactsim.scenario.timespec import DAY_S, WEEKDAYS, opening_windows

Plan = dict[str, np.ndarray]
"""pool -> agents[weekday, interval of the day] (shape 1 x 1 in steady state)."""
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total)."""
LIVE_KINDS = {"phone", "chat", "messaging", "store"}


@dataclass(frozen=True)
class Targets:
    """What every staffed interval must meet (service-level targets come from the scenario)."""

    max_asa_s: float | None = None
    """Mean wait of all offered contacts (Erlang: of all arrivals) at most this."""
    max_abandon: float | None = None
    """Abandonment rate at most this."""
    max_occupancy: float | None = 0.85
    """Busy share of on-duty agent time at most this (burn-out and shrinkage headroom)."""
    min_agents: int = 1
    """Agents on duty whenever one of the pool's channels is open."""


@dataclass
class StaffingResult:
    scenario: Scenario
    """The scenario with the plan (planned pools staffed per weekday: ``staffing: {mon-fri: [...]}``)."""
    plan: Plan
    table: pd.DataFrame
    """Per pool, weekday and interval: pool, kind, weekday, time, open, offered_per_hour, agent_time_s,
    erlang_agents, agents, and from the last verification run offered, service_level, target, asa_s,
    abandon_rate, occupancy, met (False: a target missed), checked (False: thin or closed)."""
    cost: dict[str, float]
    """Paid staff cost of the planned pools over the horizon: erlang (before verification), plan."""
    rounds: int
    """Verification simulations run."""
    targets: Targets
    notes: list[str] = field(default_factory=list)


# -- shape of the week ------------------------------------------------------------------------------------
def _grid(sc: Scenario) -> tuple[int, int, float]:
    """(weekdays, intervals per day, interval seconds); one cell in steady state."""
    if sc.horizon.steady_state:
        return 1, 1, (sc.horizon.steady_state_hours or 0.0) * 3600.0
    return 7, sc.horizon.intervals_per_day, sc.horizon.interval_minutes * 60.0


def _occurrences(sc: Scenario) -> np.ndarray:
    """How often each weekday occurs in the horizon."""
    if sc.horizon.steady_state:
        return np.ones(1)
    start = WEEKDAYS.index(sc.horizon.start_weekday)
    return np.bincount([(start + d) % 7 for d in range(sc.horizon.days or 0)], minlength=7).astype(float)


def open_cells(sc: Scenario, channels: list[str]) -> np.ndarray:
    """[weekday, interval] True where any of these channels is open at some moment of the interval."""
    W, K, step = _grid(sc)
    if sc.horizon.steady_state:
        return np.ones((1, 1), dtype=bool)
    out = np.zeros((W, K), dtype=bool)
    starts = np.arange(W * K) * step
    for ch in channels:
        for s, e in opening_windows(sc.channels[ch].opening_hours):
            out.ravel()[(starts < e - 1e-9) & (starts + step > s + 1e-9)] = True
    return out


def _is_backlog(sc: Scenario, pool: str) -> bool:
    chans = [sc.channels[c] for c in sc.pools[pool].channels]
    return all(c.kind not in LIVE_KINDS or c.sla_hours is not None for c in chans)


# -- demand -----------------------------------------------------------------------------------------------
def pool_demand(sc: Scenario, contacts: pd.DataFrame, replications: int,
                needs: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Per pool: offered contacts and mean agent time per weekday x interval of the day (per occurrence).

    Served contacts count for the pool that served them; abandoned or unserved ones for routing's first
    choice (:func:`first_pools`; ``needs``: the pilot's need records, for identification and attributes).
    """
    W, K, step = _grid(sc)
    c = contacts
    t = c["arrival_at"].to_numpy(dtype=float)
    keep = t < ((sc.horizon.warmup_hours + (sc.horizon.steady_state_hours or 0)) * 3600.0
                if sc.horizon.steady_state else (sc.horizon.days or 0) * DAY_S)
    if sc.horizon.steady_state:
        keep &= t >= sc.horizon.warmup_hours * 3600.0
    c = c[keep]
    pool = c["pool"].astype(object)
    missing = pool.isna()
    if missing.any():
        pool = pool.copy()
        pool[missing] = first_pools(sc, c[missing], needs)
    t = c["arrival_at"].to_numpy(dtype=float)
    if sc.horizon.steady_state:
        wd = np.zeros(len(c), dtype=int)
        slot = np.zeros(len(c), dtype=int)
    else:
        start = WEEKDAYS.index(sc.horizon.start_weekday)
        wd = ((t // DAY_S).astype(int) + start) % 7
        slot = ((t % DAY_S) // step).astype(int)
    served = c["outcome"].astype(str).to_numpy() == "handled"
    work = np.nan_to_num(c["handle_s"].to_numpy(dtype=float)) + np.nan_to_num(c["acw_s"].to_numpy(dtype=float))
    frame = pd.DataFrame({"pool": pool.to_numpy(), "wd": wd, "slot": slot, "served": served,
                          "work": np.where(served, work, 0.0)})
    occ = _occurrences(sc)
    out = {}
    for p in sc.pools:
        g = frame[frame["pool"] == p]
        n = np.zeros((W, K))
        np.add.at(n, (g["wd"].to_numpy(), g["slot"].to_numpy()), 1.0)
        ns = np.zeros((W, K))
        ws = np.zeros((W, K))
        np.add.at(ns, (g["wd"].to_numpy(), g["slot"].to_numpy()), g["served"].to_numpy(dtype=float))
        np.add.at(ws, (g["wd"].to_numpy(), g["slot"].to_numpy()), g["work"].to_numpy())
        overall = ws.sum() / ns.sum() if ns.sum() > 0 else 0.0
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_work = np.where(ns >= 20, ws / np.maximum(ns, 1), overall)
            offered = n / (replications * np.maximum(occ, 1))[:, None]
        offered[occ == 0] = 0.0
        out[p] = pd.DataFrame({"wd": np.repeat(np.arange(W), K), "slot": np.tile(np.arange(K), W),
                               "offered": offered.ravel(), "work_s": mean_work.ravel()})
    return out


NEED_ATTRIBUTES = {"value_per_year": "customer_value", "tenure_years": "tenure_years", "products": "products"}
"""Customer attributes the need records carry (attribute -> column); ``potential`` is not recorded."""


def first_pools(sc: Scenario, contacts: pd.DataFrame, needs: pd.DataFrame | None = None) -> list[str | None]:
    """Routing's first choice (``compiled.first_choice``) for each of these (unanswered) contacts: segment,
    reason, channel and paid tier from the contact; identification and attributes from its need in ``needs``
    (by replication and need_id). Without ``needs`` (or for ``potential``, which is not recorded), every
    profile the contact could have is tried; a contact whose first choice then still depends on them is refused.
    """
    prof = profiles_of(sc)
    n = len(contacts)
    cols = [contacts[k].astype(str).tolist() for k in ("segment", "reason", "channel")]
    tier = contacts["tier"].to_numpy(dtype=np.int64) if "tier" in contacts else np.zeros(n, dtype=np.int64)
    ident: list = [None] * n
    bits: list[tuple] = [(None,) * len(prof.atoms)] * n
    if needs is not None:
        nd = needs.set_index(["replication", "need_id"])
        at = pd.MultiIndex.from_arrays([contacts["replication"].to_numpy(), contacts["need_id"].to_numpy()])
        ident = [None if pd.isna(x) else bool(x) for x in nd["identified"].reindex(at)]
        known = [[None if x != x else bool(x >= v) for x in nd[NEED_ATTRIBUTES[a]].reindex(at).to_numpy(dtype=float)]
                 if a in NEED_ATTRIBUTES else [None] * n for a, v in prof.atoms]
        bits = list(zip(*known, strict=True)) if prof.atoms else bits
    cache: dict[tuple, str | None] = {}
    out: list[str | None] = []
    for key in zip(*cols, tier.tolist(), ident, bits, strict=True):
        if key not in cache:
            seg, rea, ch, t, idf, b = key
            choices = {first_choice(sc, seg, rea, ch, prof, p) for p in segment_profiles(sc, seg, prof, idf)
                       if prof.decode(p)[1] == t and all(x is None or x == bool(prof.decode(p)[2] >> k & 1)
                                                         for k, x in enumerate(b))}
            if len(choices) > 1:
                raise ContactsimError(sc.name, [Issue(
                    "pools", f"cannot tell which pool an unanswered {ch} contact of segment '{seg}' ({rea}) "
                    f"would have joined first: it depends on what the records do not say ({sorted(map(str, choices))})",
                    None, "pass the pilot's need records (needs=) for identification and attributes; potential "
                    "is not recorded, so plan a scenario whose serves classes test min_potential otherwise")],
                    kind="staffing input")
            cache[key] = choices.pop() if choices else None
        out.append(cache[key])
    return out


# -- the Erlang step --------------------------------------------------------------------------------------
def first_choice_segments(sc: Scenario, pool: str) -> list[str]:
    """Segments for which this pool is routing's first choice (``compiled.first_choice``) for some reason on
    one of its channels and some profile the segment's contacts can have."""
    prof = profiles_of(sc)
    return [s for s in sc.segments
            if any(first_choice(sc, s, r, ch, prof, p) == pool
                   for r in sc.reasons for ch in sc.pools[pool].channels for p in segment_profiles(sc, s, prof))]


def sl_checks(sc: Scenario, pool: str) -> list[tuple[str, str, float, float]]:
    """(segment or 'all', channel, seconds, share): the service-level targets a pool answers for.

    The channel's target over all its customers (a dedicated pool: over its own segments' rows), and the
    own target of every segment whose first choice the pool is.
    """
    p = sc.pools[pool]
    mine = first_choice_segments(sc, pool)
    out = []
    for ch in p.channels:
        t = sc.service_level_target(ch)
        if p.segments == "all":
            out.append(("all", ch, t.seconds, t.share))
        else:
            out += [(s, ch, t.seconds, t.share) for s in mine if ch not in sc.segments[s].service_level]
        for s in mine:
            if ch in sc.segments[s].service_level:
                own = sc.service_level_target(ch, s)
                out.append((s, ch, own.seconds, own.share))
    return out


def _sl_targets(sc: Scenario, pool: str) -> list[tuple[float, float]]:
    """Distinct (seconds, share) service-level targets a pool is sized for by Erlang: the channel's and, in a
    pool dedicated to some segments, theirs. In a shared pool a segment's own target is reached by the
    pool's discipline (priority) rather than by sizing everyone to it; the verification still checks it
    wherever that segment's contacts are not too few to measure."""
    shared = sc.pools[pool].segments == "all"
    return sorted({(sec, share) for s, _ch, sec, share in sl_checks(sc, pool) if not shared or s == "all"})


def _theta(sc: Scenario, pool: str) -> float | None:
    """Patience rate 1 / mean patience over the segments the pool serves (None: nobody abandons)."""
    p = sc.pools[pool]
    mine = first_choice_segments(sc, pool) or list(sc.segments)
    means = [float(getattr(sc.segments[s].patience[ch], "mean", getattr(sc.segments[s].patience[ch], "value", 0.0))
                   or 0.0)
             for ch in p.channels if sc.channels[ch].abandonment
             for s in mine if ch in sc.segments[s].patience]
    means = [m for m in means if m > 0]
    return 1.0 / float(np.mean(means)) if means else None


def live_agents(lam: float, work_s: float, concurrency: int, theta: float | None,
                sl: list[tuple[float, float]], targets: Targets, cache: dict | None = None) -> int:
    """Fewest agents (each ``concurrency`` slots) meeting every target in steady state (Erlang A / C)."""
    if lam <= 0 or work_s <= 0:
        return 0
    key = (round(lam, 9), round(work_s, 3), concurrency, theta, tuple(sl), targets)
    if cache is not None and key in cache:
        return cache[key]
    mu = 1.0 / work_s
    a = lam / mu

    def ok(servers: int) -> bool:
        if theta is None:
            if servers <= a:
                return False
            res = [erlang.mmc_metrics(lam, mu, servers, s) for s, _ in sl] or [erlang.mmc_metrics(lam, mu, servers, 0)]
            p_ab, asa, occ = 0.0, res[0].asa_s, res[0].occupancy
            sls = [r.service_level for r in res]
        else:
            res = [erlang.erlang_a_metrics(lam, mu, servers, theta, s) for s, _ in sl] or \
                [erlang.erlang_a_metrics(lam, mu, servers, theta, 0)]
            p_ab, asa, occ = res[0].p_abandon, res[0].asa_s, res[0].occupancy
            sls = [r.service_level for r in res]
        if any(v < share for v, (_s, share) in zip(sls[:len(sl)], sl, strict=True)):
            return False
        if targets.max_asa_s is not None and asa > targets.max_asa_s:
            return False
        if targets.max_abandon is not None and p_ab > targets.max_abandon:
            return False
        return not (targets.max_occupancy is not None and occ > targets.max_occupancy)

    servers = max(1, math.floor(a) if theta is not None else math.floor(a) + 1)  # fewer never meets an SL target
    if targets.max_occupancy:
        servers = max(servers, math.ceil(a / targets.max_occupancy - 1e-9))
    limit = math.ceil(a + 50 * math.sqrt(a) + 100)
    while not ok(servers) and servers < limit:
        servers += 1
    agents = math.ceil(servers / concurrency)
    if cache is not None:
        cache[key] = agents
    return agents


def _pool_windows(sc: Scenario, pool: str) -> np.ndarray:
    """[weekday, interval] where a backlog pool works: its given staffing, else its channels' opening hours."""
    from contactsim.scenario.compiled import weekly_staffing  # staffing as given, Monday 00:00 first

    W, K, step = _grid(sc)
    times, agents = weekly_staffing(sc.pools[pool], step)
    mids = np.arange(W * K) * step + step / 2
    given = agents[np.searchsorted(times, mids, side="right") - 1] > 0
    win = given.reshape(W, K) if given.any() else open_cells(sc, sc.pools[pool].channels)
    return win & open_cells(sc, sc.pools[pool].channels)


def erlang_plan(sc: Scenario, demand: dict[str, pd.DataFrame], targets: Targets) -> tuple[Plan, list[str]]:
    """The Erlang answer for every pool, with the open/closed rules applied."""
    W, K, step = _grid(sc)
    plan: Plan = {}
    notes: list[str] = []
    cache: dict = {}
    for p, pool in sc.pools.items():
        d = demand[p]
        offered = d["offered"].to_numpy().reshape(W, K)
        work = d["work_s"].to_numpy().reshape(W, K)
        is_open = open_cells(sc, pool.channels)
        conc = max(sc.channels[c].concurrency for c in pool.channels)
        agents = np.zeros((W, K), dtype=np.int64)
        if _is_backlog(sc, p):
            win = _pool_windows(sc, p)
            cap = targets.max_occupancy or 1.0
            for w in range(W):
                hours = win[w].sum() * step / 3600.0
                if hours == 0:
                    continue
                load_h = float((offered[w] * work[w]).sum()) / 3600.0 / conc
                agents[w, win[w]] = max(targets.min_agents, math.ceil(load_h / (hours * cap) - 1e-9))
            notes.append(f"pool {p}: a backlog ({', '.join(pool.channels)}); each day's work spread flat over its "
                         "working window at the occupancy cap; contacts arriving after a day's window closes wait "
                         "for the next one whatever the staffing (not held to the SLA here; see the business-hours "
                         "clock in docs/KPIS.md)")
        else:
            theta = _theta(sc, p)
            sl = _sl_targets(sc, p)
            for w in range(W):
                for k in range(K):
                    if not is_open[w, k]:
                        continue
                    lam = offered[w, k] / step
                    agents[w, k] = max(targets.min_agents,
                                       live_agents(lam, work[w, k], conc, theta, sl, targets, cache))
            if len(pool.channels) > 1:
                notes.append(f"pool {p}: serves {', '.join(pool.channels)}, planned as one blended queue held to "
                             "the strictest of their targets")
        agents[~is_open] = 0
        occ = _occurrences(sc)
        agents[occ == 0] = 0
        plan[p] = agents
    return plan, notes


# -- the plan in the scenario -----------------------------------------------------------------------------
def _clock(sec: float) -> str:
    s = round(sec)
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def scheduled(sc: Scenario, pool: str, agents: np.ndarray) -> np.ndarray:
    """Agents to schedule so that ``agents`` are available after absence and adherence (schedules.py)."""
    share = available_share(sc.pools[pool])
    if share >= 1.0:
        return agents.astype(np.int64)
    need = np.ceil(agents / share - 1e-9).astype(np.int64)
    while True:  # the engine rounds scheduled x share to the nearest agent: take the fewest that reach it
        fewer = np.maximum(need - 1, 0)
        ok = np.round(fewer * share) >= agents
        if not (ok & (need > 0)).any():
            return need
        need = np.where(ok & (need > 0), fewer, need)


def weekday_staffing(sc: Scenario, agents: np.ndarray) -> dict[str, list[int] | int]:
    """A weekday x interval plan as ``staffing: {mon-fri: [...], sat: [...]}`` (days with nobody left out)."""
    return {label: int(row[0]) if (row == row[0]).all() else [int(a) for a in row]
            for label, row in _weekday_groups(agents)}


def _weekday_groups(agents: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """Weekdays with the same (non-empty) plan row, labelled as planners write them (``mon-fri``, ``sat,sun``)."""
    groups: list[tuple[list[int], np.ndarray]] = []
    for w in range(agents.shape[0]):
        if not agents[w].any():
            continue
        for days, row in groups:
            if np.array_equal(row, agents[w]):
                days.append(w)
                break
        else:
            groups.append(([w], agents[w]))
    return [(_days_label(days), row) for days, row in groups]


def _days_label(days: list[int]) -> str:
    """Weekdays as planners write them: a run of days ``mon-fri``, others listed ``sat,sun``."""
    if len(days) > 1 and days == list(range(days[0], days[-1] + 1)):
        return f"{WEEKDAYS[days[0]]}-{WEEKDAYS[days[-1]]}"
    return ",".join(WEEKDAYS[d] for d in days)


def with_plan(sc: Scenario, plan: Plan) -> Scenario:
    """The scenario with these pools staffed as planned (per weekday; scheduled so that the planned number
    is available after absence and adherence)."""
    data = sc.model_dump(mode="json")
    for p, agents in plan.items():
        data["pools"][p]["shifts"] = None
        if sc.horizon.steady_state:
            data["pools"][p]["staffing"] = int(scheduled(sc, p, agents)[0, 0])
            continue
        days = weekday_staffing(sc, scheduled(sc, p, agents))
        data["pools"][p]["staffing"] = days or 0
    return parse_scenario(data, f"<{sc.name} staffed>")


def plan_cost(sc: Scenario, plan: Plan) -> float:
    """Paid staff cost over the horizon: agents x hours / (1 - shrinkage) x hourly cost."""
    _W, _K, step = _grid(sc)
    occ = _occurrences(sc)
    total = 0.0
    for p, agents in plan.items():
        pool = sc.pools[p]
        hours = float((scheduled(sc, p, agents).sum(axis=1) * occ).sum()) * step / 3600.0
        total += hours / (1 - pool.shrinkage) * pool.hourly_cost
    return total


# -- verification -----------------------------------------------------------------------------------------
def _cell_of(rows: pd.DataFrame, sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(weekday, interval of the day) of per-interval KPI rows, from their numeric interval columns."""
    if sc.horizon.steady_state:
        return np.zeros(len(rows), dtype=int), np.zeros(len(rows), dtype=int)
    wd = rows["weekday"].str.lower().map({d: i for i, d in enumerate(WEEKDAYS)}).to_numpy(dtype=int)
    start = rows["interval_start_s"].to_numpy(dtype=float)
    return wd, ((start % DAY_S) // (sc.horizon.interval_minutes * 60.0)).astype(int)


def recursion_verifies(sc: Scenario) -> bool:
    """May the pilot or a verification run of this scenario use the FCFS recursion instead of the event
    engine? Only where the recursion gives the engine's answer exactly: a steady-state horizon and one plain
    FCFS pool of constant staffing with no follow-ups (``fcfs_scenario.why_not``)."""
    return sc.horizon.steady_state and not fcfs_scenario.why_not(compile_scenario(sc))


def _kpis_of(res: RunResult | pd.DataFrame) -> pd.DataFrame:
    return res if isinstance(res, pd.DataFrame) else res.kpis


def _pooled(res: RunResult | pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """Per segment, channel, weekday and interval: KPIs pooled over replications and occurrences."""
    k = _kpis_of(res)
    want = ["offered", "handled", "service_level", "asa_s", "abandon_rate"]
    k = k[(k["pool"] == "all") & (k["metric"].isin(want))]
    k = k[k["interval"] == "all"] if sc.horizon.steady_state else k[k["interval"] != "all"]
    w = k.pivot_table(index=["replication", "segment", "channel", "interval"], columns="metric",
                      values="value", observed=True).reset_index().fillna(0.0)
    for col in want:
        if col not in w:
            w[col] = 0.0
    w["wd"], w["slot"] = _cell_of(with_interval_columns(w, interval_table(k)), sc)
    w["in_sl"] = w["service_level"] * w["offered"]
    w["wait_h"] = w["asa_s"] * w["handled"]
    w["ab"] = w["abandon_rate"] * w["offered"]
    g = w.groupby(["segment", "channel", "wd", "slot"])[["offered", "handled", "in_sl", "wait_h", "ab"]].sum()
    return g.reset_index()


def _pool_occupancy(res: RunResult | pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    k = _kpis_of(res)
    k = k[(k["pool"] != "all") & (k["metric"].isin(["busy_hours", "paid_hours"]))]
    k = k[k["interval"] == "all"] if sc.horizon.steady_state else k[k["interval"] != "all"]
    w = k.pivot_table(index=["replication", "pool", "interval"], columns="metric", values="value",
                      observed=True).reset_index().fillna(0.0)
    w["wd"], w["slot"] = _cell_of(with_interval_columns(w, interval_table(k)), sc)
    shrink = {p: sc.pools[p].shrinkage for p in sc.pools}
    conc = {p: max(sc.channels[c].concurrency for c in sc.pools[p].channels) for p in sc.pools}
    w["duty"] = w["paid_hours"] * (1 - w["pool"].map(shrink).astype(float)) * w["pool"].map(conc).astype(float)
    g = w.groupby(["pool", "wd", "slot"])[["busy_hours", "duty"]].sum()
    return (g["busy_hours"] / g["duty"].where(g["duty"] > 0)).rename("occupancy").reset_index()


def check_plan(res: RunResult | pd.DataFrame, sc: Scenario, plan: Plan, targets: Targets, replications: int,
               min_offered: float) -> pd.DataFrame:
    """Per planned pool, weekday and interval: the simulated KPIs of its contacts and whether they meet
    (``res``: a run, or its KPIs in the long format, e.g. ``fcfs_scenario.verification_kpis``).

    A live pool is judged on its channels' rows (all segments) and on the rows of segments with their own
    target that it serves; a backlog pool on its channels' rows per weekday (answered within the SLA).
    """
    W, K, _step = _grid(sc)
    pooled = _pooled(res, sc)
    occ_df = _pool_occupancy(res, sc).set_index(["pool", "wd", "slot"])["occupancy"]
    occurrences = _occurrences(sc)
    rows = []
    for p, pool in sc.pools.items():
        if p not in plan:
            continue
        backlog = _is_backlog(sc, p)
        sel = pooled[pooled["channel"].isin(pool.channels)]
        checks = sl_checks(sc, p)
        by = {(s, ch): g.set_index(["wd", "slot"]) for (s, ch), g in sel.groupby(["segment", "channel"])}
        for w in range(W):
            day_rows = []
            for k in range(K):
                agents = int(plan[p][w, k])
                worst, row = None, None
                per_rep = replications * max(occurrences[w], 1)
                for seg, ch, _sec, share in checks:
                    g = by.get((seg, ch))
                    if g is None or (w, k) not in g.index:
                        continue
                    r = g.loc[(w, k)]
                    n = r["offered"]
                    sl = r["in_sl"] / n if n > 0 else np.nan
                    # a target too thinly offered here to be measured does not bind (unless nothing else is)
                    gap = (sl - share) if n / per_rep >= min_offered or backlog else np.inf
                    if worst is None or gap < worst or (gap == worst == np.inf and n / per_rep > row["offered"]):
                        worst = gap
                        row = {"offered": n / per_rep, "service_level": sl,
                               "target": share, "binding": seg if seg != "all" else ch,
                               "asa_s": r["wait_h"] / r["handled"] if r["handled"] > 0 else np.nan,
                               "abandon_rate": r["ab"] / n if n > 0 else np.nan}
                row = row or {"offered": 0.0, "service_level": np.nan, "target": np.nan, "binding": "",
                              "asa_s": np.nan, "abandon_rate": np.nan}
                row.update(pool=p, wd=w, slot=k, agents=agents,
                           occupancy=float(occ_df.get((p, w, k), np.nan)))
                day_rows.append(row)
            if backlog:
                # judged per day on the contacts that arrive before the day's window closes: later ones
                # wait for the next window whatever the staffing (see the note on windows)
                staffed = np.flatnonzero(plan[p][w] > 0)
                last = staffed[-1] if len(staffed) else -1
                inside = [r for r in day_rows if r["slot"] <= last and r["offered"] > 0]
                n = sum(r["offered"] for r in inside)
                day_sl = sum(r["offered"] * r["service_level"] for r in inside) / n if n > 0 else np.nan
                for r in day_rows:
                    r["day_service_level"] = day_sl
                    r["day_offered"] = n
            rows += day_rows
    t = pd.DataFrame(rows)
    live = ~t["pool"].map({p: _is_backlog(sc, p) for p in sc.pools}).astype(bool)
    day_offered = t["day_offered"] if "day_offered" in t else t["offered"]
    t["checked"] = (t["agents"] > 0) & (np.where(live, t["offered"], day_offered) >= min_offered)
    met = pd.Series(True, index=t.index)
    sl_v = np.where(live, t["service_level"], t.get("day_service_level", t["service_level"]))
    met &= ~(sl_v < t["target"] - 1e-12)
    if targets.max_asa_s is not None:
        met &= ~(live & (t["asa_s"] > targets.max_asa_s))
    if targets.max_abandon is not None:
        met &= ~(live & (t["abandon_rate"] > targets.max_abandon))
    if targets.max_occupancy is not None:
        met &= ~(live & (t["occupancy"] > targets.max_occupancy + 0.05))  # simulated occupancy is noisy
    t["met"] = met
    return t


# -- the whole search -------------------------------------------------------------------------------------
NO_HELP, TRIES = 0.005, 2
"""When ``TRIES`` agents more leave an interval's simulated service level within ``NO_HELP`` of where it was (on
the same customers), the planner takes them back: the interval's waits do not answer to this pool's staffing."""


def _cell_label(sc: Scenario, w: int, k: int) -> str:
    if sc.horizon.steady_state:
        return "steady state"
    return f"{WEEKDAYS[w]} {_clock(k * _grid(sc)[2])}"


def advisors_pool(sc: Scenario) -> str | None:
    """The account managers' pool (validation refuses the block unless a segment has ``relationship:
    account_manager``)."""
    am = sc.relationships.account_manager
    return None if am is None else am.pool


def optimise_staffing(sc: Scenario, replications: int = 8, seed: int | None = None, workers: int | None = None,
                      targets: Targets | None = None, rounds: int = 6, min_offered: float = 5.0,
                      pools: list[str] | None = None, progress: Progress | None = None,
                      recursion: bool = True) -> StaffingResult:
    """A plan per pool, weekday and interval meeting the targets; see the module docstring for the method.

    ``seed`` is the pilot's seed (default the scenario's); verification uses fresh seeds after it.
    ``pools`` limits the plan to these pools (default all; the others keep their staffing).
    ``recursion``: verify with the FCFS recursion where :func:`recursion_verifies` (same answer, faster);
    False always uses the event engine.
    """
    targets = targets or Targets()
    tick = progress or (lambda _stage, _done, _total: None)
    seed = sc.run.seed if seed is None else seed
    names = list(sc.pools) if pools is None else pools
    unknown = [p for p in names if p not in sc.pools]
    if unknown:
        raise ContactsimError(sc.name, [Issue(f"pools.{unknown[0]}", "no such pool", unknown[0],
                                              f"plan one of: {', '.join(sc.pools)}")], kind="option")
    notes: list[str] = []
    advisors = advisors_pool(sc)
    if advisors is not None:
        if pools is not None and advisors in pools:
            raise ContactsimError(sc.name, [Issue(
                f"pools.{advisors}", "the account managers' pool is sized by its customers "
                "(relationships.account_manager.customers_per_advisor), not as a queue: each customer waits for "
                "their own advisor", advisors, "staff it in the scenario and plan the other pools")], kind="option")
        if advisors in names:
            names = [p for p in names if p != advisors]
            notes.append(f"pool {advisors}: account managers, kept as staffed in the scenario (their number follows "
                         "the customers, relationships.account_manager.customers_per_advisor; each customer waits "
                         "for their own advisor, so pooled Erlang sizing does not apply)")
    total_steps = 2 + rounds
    tick("pilot simulation (demand per pool, weekday and interval)", 0, total_steps)
    by_recursion: list[str] = []  # which simulations the FCFS recursion did, for the notes
    if recursion and recursion_verifies(sc):
        contacts, needs = fcfs_scenario.pilot_contacts(sc, seed, replications), None
        by_recursion.append("pilot")
    else:
        pilot = simulate(sc, replications=replications, seed=seed, workers=workers, keep_records=True)
        contacts, needs = pilot.contacts, pilot.needs
    demand = pool_demand(sc, contacts, replications, needs)
    tick("Erlang A/C per pool, weekday and interval", 1, total_steps)
    full, erlang_notes = erlang_plan(sc, demand, targets)
    plan = {p: full[p] for p in names}
    notes += [n for n in erlang_notes if any(f"pool {p}:" in n for p in names)]
    erlang_cost = plan_cost(sc, plan)
    erl = {p: a.copy() for p, a in plan.items()}
    table = None
    done_rounds = 0
    raised: dict[tuple[str, int, int], tuple[float, int]] = {}
    """Live intervals given agents more: their service level before the first, and how many."""
    stuck: dict[tuple[str, int, int], tuple[float, float, float]] = {}
    """Live intervals where agents more did not raise the service level: (before, after, occupancy)."""
    while True:  # every round on the same fresh customers (CRN): a change is the plan's
        tick(f"verification {done_rounds + 1} of up to {rounds} (fresh seed {seed + 1})",
             2 + min(done_rounds, rounds - 1), total_steps)
        planned = with_plan(sc, plan)
        if recursion and recursion_verifies(planned):
            res: RunResult | pd.DataFrame = fcfs_scenario.verification_kpis(planned, seed + 1, replications)
            if "verification" not in by_recursion:
                by_recursion.append("verification")
        else:
            res = simulate(planned, replications=replications, seed=seed + 1, workers=workers, keep_records=False)
        done_rounds += 1
        table = check_plan(res, sc, plan, targets, replications, min_offered)
        miss = table[table["checked"] & ~table["met"]]
        # agents more that did not move the service level (same customers): the miss is not this pool's
        # staffing, e.g. the channel's contacts first wait for another pool (account managers, an
        # overflow); take them back
        undone = False
        for p, w, k, sl, occ in miss[["pool", "wd", "slot", "service_level", "occupancy"]].itertuples(index=False):
            before, n = raised.get((p, w, k), (np.nan, 0))
            if n >= TRIES and abs(sl - before) <= NO_HELP:  # unmoved, neither up nor down
                plan[p][w, k] -= n
                del raised[(p, w, k)]
                stuck[(p, w, k)] = (before, sl, occ)
                undone = True
        todo = miss[[(p, w, k) not in stuck for p, w, k in zip(miss["pool"], miss["wd"], miss["slot"], strict=True)]]
        if todo.empty and not undone:
            break
        if (done_rounds >= rounds and not undone) or done_rounds > rounds:
            notes.append(f"{len(miss)} interval(s) still miss a target after {done_rounds} verification rounds")
            break
        if done_rounds >= rounds:
            continue  # the last round took agents back: verify the plan as published, raise nothing more
        for p in plan:
            pm = todo[todo["pool"] == p]
            if not _is_backlog(sc, p):
                plan[p][pm["wd"].to_numpy(), pm["slot"].to_numpy()] += 1
                for w, k, sl in zip(pm["wd"], pm["slot"], pm["service_level"], strict=True):
                    before, n = raised.get((p, w, k), (sl, 0))
                    raised[(p, w, k)] = (before, n + 1)
            else:  # a backlog day that misses: one agent more over that day's whole window
                for w in set(pm["wd"]):
                    row = plan[p][w]
                    row[row > 0] += 1
    for p in plan:
        cells = [(w, k, v) for (q, w, k), v in stuck.items() if q == p]
        if cells:
            w, k, (before, after, occ) = cells[0]
            notes.append(f"pool {p}: {len(cells)} interval(s) miss although agents more did not raise the service "
                         f"level (e.g. {_cell_label(sc, w, k)}: {before:.0%} then {after:.0%}, occupancy {occ:.0%}); "
                         "no agents added there: the waits come from elsewhere (e.g. the channel's contacts first "
                         "wait for another pool: account managers, an overflow)")
    tick("done", total_steps, total_steps)
    if by_recursion:
        notes.append(f"{' and '.join(by_recursion)} simulated by the FCFS recursion (a steady-state plain FCFS "
                     "pool: the event engine's customers and outcomes, exactly)")
    assert table is not None
    step = _grid(sc)[2]
    t = table.copy()
    t["weekday"] = ["steady" if sc.horizon.steady_state else WEEKDAYS[w] for w in t["wd"]]
    t["time"] = ["steady state" if sc.horizon.steady_state else _clock(k * step) for k in t["slot"]]
    t["kind"] = t["pool"].map({p: "backlog" if _is_backlog(sc, p) else "live" for p in sc.pools})
    t["open"] = [bool(open_cells(sc, sc.pools[p].channels)[w, k]) for p, w, k in zip(t["pool"], t["wd"], t["slot"],
                                                                                  strict=True)]
    dm = {p: demand[p].set_index(["wd", "slot"]) for p in plan}
    t["offered_per_hour"] = [dm[p].loc[(w, k), "offered"] * 3600.0 / step for p, w, k in
                             zip(t["pool"], t["wd"], t["slot"], strict=True)]
    t["agent_time_s"] = [dm[p].loc[(w, k), "work_s"] for p, w, k in zip(t["pool"], t["wd"], t["slot"], strict=True)]
    t["erlang_agents"] = [int(erl[p][w, k]) for p, w, k in zip(t["pool"], t["wd"], t["slot"], strict=True)]
    t["agents"] = [int(plan[p][w, k]) for p, w, k in zip(t["pool"], t["wd"], t["slot"], strict=True)]
    cols = ["pool", "kind", "weekday", "time", "wd", "slot", "open", "offered_per_hour", "agent_time_s",
            "erlang_agents", "agents", "offered", "service_level", "target", "binding", "asa_s", "abandon_rate",
            "occupancy", "met", "checked"]
    cost = {"erlang": erlang_cost, "plan": plan_cost(sc, plan)}
    return StaffingResult(scenario=with_plan(sc, plan), plan=plan, table=t[cols], cost=cost, rounds=done_rounds,
                          targets=targets, notes=notes)


def plan_wide(sc: Scenario, plan: Plan) -> pd.DataFrame:
    """The plan as planners publish it: one row per interval of the day (start, end), one column per
    pool and weekday with the agents on duty."""
    _W, K, step = _grid(sc)
    out = pd.DataFrame({"start": [_clock(k * step) for k in range(K)],
                        "end": [_clock((k + 1) * step) for k in range(K)]})
    if sc.horizon.steady_state:
        out["start"], out["end"] = "steady state", ""
    for p, agents in plan.items():
        for w in range(agents.shape[0]):
            name = p if sc.horizon.steady_state else f"{p} {WEEKDAYS[w]}"
            out[name] = agents[w]
    return out


def cover_with_shifts(sc: Scenario, agents: np.ndarray, shift_hours: float = 8.0,
                      min_hours: float = 4.0) -> list[dict]:
    """Whole shifts (as planners schedule them) covering a weekday x interval requirement everywhere.

    Greedy per weekday, earliest interval first, one agent at a time: wherever the agents already on a
    shift fall short, one more starts and stays while demand is still uncovered, up to ``shift_hours``; a
    shift shorter than ``min_hours`` runs on (or starts earlier) within the staffed stretch. Coverage is never below the
    requirement (so a verified plan stays met); the surplus in quiet hours is the price of real shifts.
    Weekdays with the same shifts share one entry (``mon-fri``).
    """
    _W, K, step = _grid(sc)
    per = max(1, round(shift_hours * 3600 / step))
    shortest = max(1, round(min_hours * 3600 / step))
    by_day: list[list[tuple[int, int, int]]] = []
    for w in range(agents.shape[0]):
        need = agents[w].astype(int)
        have = np.zeros(K, dtype=int)
        shifts: list[tuple[int, int, int]] = []
        for k in range(K):
            while need[k] > have[k]:  # one agent at a time: as long as there is demand left for them
                end = k + 1
                while end < K and end - k < per and need[end] > have[end]:
                    end += 1
                start = k
                if end - start < shortest:  # at least min_hours: run on, or start earlier, while staffed
                    while end < K and end - start < shortest and need[end] > 0:
                        end += 1
                    while start > 0 and end - start < shortest and need[start - 1] > 0:
                        start -= 1
                have[start:end] += 1
                shifts.append((start, end, 1))
        summed: dict[tuple[int, int], int] = {}
        for a, b, n in shifts:
            summed[(a, b)] = summed.get((a, b), 0) + n
        by_day.append([(a, b, n) for (a, b), n in summed.items()])
    merged: dict[tuple[int, int, int], list[int]] = {}
    for w, shifts in enumerate(by_day):
        for sh in shifts:
            merged.setdefault(sh, []).append(w)
    out = []
    for (start, end, n), days in sorted(merged.items(), key=lambda kv: (kv[1][0], kv[0])):
        out.append({"days": _days_label(days), "start": _clock(start * step), "end": _clock(end * step),
                    "agents": n})
    return out
