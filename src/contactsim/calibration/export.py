"""Simulated contacts as the data a centre would export: a per-contact log and an interval history.

Used for round-trip tests (simulate known parameters, export, calibrate, compare) and to make the
bundled synthetic sample log. Agents are assigned longest-idle first, as an ACD does, so every agent
on duty takes work all day and the log's agent_id carries the staffing.
"""

from __future__ import annotations

import heapq

import numpy as np
import pandas as pd


def _assign_agents(start: np.ndarray, end: np.ndarray, pool: np.ndarray,
                   on_duty: dict[int, tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """Longest-idle agent per contact within its pool (contacts in start order).

    With ``on_duty`` (pool -> staffing change times and levels) only agents 0..level-1 take new work, so
    the agents in the log come and go with the staffing; when none of them is idle (an agent past shift
    end still finishing), the lowest free id is used."""
    agent = np.empty(start.size, dtype=np.int64)
    order = np.argsort(start, kind="stable")
    busy: dict[int, list[tuple[float, int]]] = {}
    idle: dict[int, list[tuple[float, int]]] = {}
    working: dict[int, set[int]] = {}
    for i in order:
        p = int(pool[i])
        b, f, w = busy.setdefault(p, []), idle.setdefault(p, []), working.setdefault(p, set())
        while b and b[0][0] <= start[i]:
            t, a = heapq.heappop(b)
            w.discard(a)
            heapq.heappush(f, (t, a))
        level = None
        if on_duty is not None and p in on_duty:
            times, levels = on_duty[p]
            level = int(levels[max(np.searchsorted(times, start[i], side="right") - 1, 0)])
        skipped = []
        a = -1
        while f:
            cand = heapq.heappop(f)
            if level is None or cand[1] < level:
                a = cand[1]
                break
            skipped.append(cand)
        for s in skipped:
            heapq.heappush(f, s)
        if a < 0:
            a = 0
            while a in w:
                a += 1
            if any(x[1] == a for x in f):
                f[:] = [x for x in f if x[1] != a]
                heapq.heapify(f)
        agent[i] = a
        w.add(a)
        heapq.heappush(b, (end[i], a))
    return agent


def contacts_to_log(contacts: pd.DataFrame, start: str = "2024-01-01", replication: int = 0,
                    with_agents: bool = True, with_customers: bool = True, scenario=None) -> pd.DataFrame:
    """One replication's contact records as an ACD log (answered / abandoned; still-waiting ones left out).

    Give the ``scenario`` so that agent ids follow its staffing (see ``_assign_agents``)."""
    c = contacts[(contacts["replication"] == replication) & (contacts["outcome"] != "unserved")]
    c = c.sort_values("arrival_at", kind="stable")
    t0 = pd.Timestamp(start)
    answered = (c["outcome"] == "handled").to_numpy()
    log = pd.DataFrame({
        "arrival_at": t0 + pd.to_timedelta(c["arrival_at"].to_numpy(), unit="s"),
        "channel": c["channel"].astype(str).to_numpy(),
        "segment": c["segment"].astype(str).to_numpy(),
        "reason": c["reason"].astype(str).to_numpy(),
        "outcome": np.where(answered, "answered", "abandoned"),
        "wait_s": c["wait_s"].to_numpy().round(1),
        "handle_s": np.where(answered, c["handle_s"].to_numpy(), np.nan).round(1),
        "acw_s": np.where(answered, c["acw_s"].to_numpy(), np.nan).round(1),
    })
    if with_customers:
        log["customer_id"] = "c" + c["need_id"].astype(str).to_numpy()
    if with_agents:
        st = c["answered_at"].to_numpy(float)
        en = st + c["handle_s"].to_numpy(float) + np.nan_to_num(c["acw_s"].to_numpy(float))
        pool = c["pool"].cat.codes.to_numpy()
        ids = np.full(len(c), -1, dtype=np.int64)
        on_duty = None
        if scenario is not None:
            from contactsim.scenario.compiled import compile_scenario

            comp = compile_scenario(scenario)
            on_duty = {cp.index: (cp.change_times, cp.change_agents) for cp in comp.pool_defs}
        ids[answered] = _assign_agents(st[answered], en[answered], pool[answered], on_duty)
        names = c["pool"].astype(str).to_numpy()
        log["agent_id"] = np.where(answered, pd.Series(names).str.cat(pd.Series(ids).astype(str), sep="-"), None)
    return log.reset_index(drop=True)


def log_to_intervals(log: pd.DataFrame, minutes: int, sl_threshold_s: float = 20.0,
                     agents: pd.DataFrame | None = None) -> pd.DataFrame:
    """An ACD interval report from a log: offered, answered, abandoned, AHT, ASA, service level, agents.

    ``agents`` (interval_start, channel, agents) adds staffing, which a log alone does not show."""
    from contactsim.calibration.estimate import interval_observed

    k = interval_observed(log, minutes, sl_threshold_s)
    out = pd.DataFrame({"interval_start": k["interval_start"].dt.strftime("%Y-%m-%d %H:%M"), "channel": k["channel"],
                        "offered": k["offered"].astype(int), "answered": k["answered"].astype(int),
                        "abandoned": k["abandoned"].astype(int), "aht_s": k["aht_s"].round(1),
                        "asa_s": k["asa_s"].round(1), "service_level": k["service_level"].round(4),
                        "sl_threshold_s": sl_threshold_s})
    if agents is not None:
        a = agents.assign(interval_start=pd.to_datetime(agents["interval_start"]).dt.strftime("%Y-%m-%d %H:%M"))
        out = out.merge(a, on=["interval_start", "channel"], how="left")
    return out


def synthetic_log(n: int, seed: int = 0, per_day: float = 3000.0, agents: int = 60) -> pd.DataFrame:
    """A plausible log of about ``n`` contacts drawn with numpy alone (no simulation): for speed tests.

    Weekdays 08:00-20:00 with a hump-shaped profile, lognormal handle times (mean 240 s, CV 0.8),
    exponential patience against exponential waits, random agents. Not a queue: the numbers only
    have the right shapes."""
    rng = np.random.default_rng(seed)
    days = int(np.ceil(n / per_day))
    day = rng.integers(0, days, n)
    frac = rng.beta(2.2, 2.0, n)
    t = pd.Timestamp("2023-01-02") + pd.to_timedelta(day * 86400 + 8 * 3600 + frac * 12 * 3600, unit="s")
    wait = rng.exponential(30.0, n)
    patience = rng.exponential(180.0, n)
    answered = patience > wait
    s2 = np.log1p(0.8**2)
    handle = rng.lognormal(np.log(240.0) - s2 / 2, np.sqrt(s2), n)
    return pd.DataFrame({
        "arrival_at": t.sort_values(), "channel": "phone",
        "queue": rng.choice(["billing", "sales", "support"], n, p=[0.5, 0.2, 0.3]),
        "outcome": np.where(answered, "answered", "abandoned"), "wait_s": np.minimum(wait, patience).round(1),
        "handle_s": np.where(answered, handle.round(1), np.nan),
        "customer_id": rng.integers(0, n // 3, n).astype(str),
        "agent_id": np.where(answered, "a" + pd.Series(rng.integers(0, agents, n)).astype(str), None),
    })
