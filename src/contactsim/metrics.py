"""KPIs of one replication, as a tidy long table, and their summary across replications.

Rows are keyed by (segment, channel, pool, interval) where any key may be ``all``. Contact metrics
come per segment x channel x interval and their roll-ups; pool metrics (occupancy, staffed agents,
paid hours) per pool x interval. Definitions (stated once, here):

* ``offered``: customer contacts entering a queue (retrials and repeats count again; proactive
  outreach by agents is not offered traffic and is excluded).
* ``service_level``: share of *offered* contacts answered within the segment's target for the
  channel, i.e. P(answered and wait <= T). Abandoned contacts count against it.
* ``p_wait``: share of offered contacts that waited at all (found no free agent).
* ``asa_s``: mean wait of handled contacts; ``mean_wait_s``: mean wait of all offered contacts,
  where an abandoned contact's wait is its time to abandon.
* ``sl_target_met``: 1 when the group's service level reaches its target share (per replication; its
  mean over replications is the probability the target is met), per interval too.
* ``promise_level`` / ``promise_met``: the same for premium members against the premium promise.
* ``occupancy``: busy agent-time (handle + after-contact work, per concurrent slot) over on-duty
  agent-time (agents x concurrency) of the pool in the interval.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats as st

from contactsim.scenario.compiled import Compiled

ALL = "all"
KEYS = ["segment", "channel", "pool", "interval"]
COUNT_METRICS = {"offered", "handled", "abandoned", "unserved", "paid_hours", "busy_hours", "agents",
                 "needs", "cost", "revenue", "net_cost", "value_at_risk", "complaints", "repeat_contacts"}
"""Metrics for which a group with no contacts in a replication means 0, not 'undefined'."""
CONTACT_SETS = [(), ("segment",), ("channel",), ("segment", "channel"), ("interval",),
                ("segment", "interval"), ("channel", "interval"), ("segment", "channel", "interval")]
POOL_SETS = [("pool",), ("pool", "interval")]


def _contact_group(df: pd.DataFrame, keys: list[str], promise: tuple[float, float] | None) -> pd.DataFrame:
    handled = df["outcome"] == "handled"
    d = pd.DataFrame({
        "offered": 1.0,
        "handled": handled.astype(float),
        "abandoned": (df["outcome"] == "abandoned").astype(float),
        "unserved": (df["outcome"] == "unserved").astype(float),
        "waited": (df["wait_s"].fillna(0.0) > 1e-9).astype(float),
        "in_sl": (handled & (df["wait_s"] <= df["sl_threshold_s"])).astype(float),
        "wait_all": df["wait_s"].fillna(0.0),
        "wait_h": df["wait_s"].where(handled),
        "handle_h": df["handle_s"].where(handled),
        "resolved_h": df["resolved"].where(handled).astype(float),
        "sl_target": df["sl_target"],
    })
    if promise is not None:
        prem = df["premium"].astype(bool)
        d["prem"] = prem.astype(float)
        d["in_promise"] = (prem & handled & (df["wait_s"] <= promise[0])).astype(float)
    extra = [c for c in ("csat", "effort", "cost") if c in df.columns]
    for c in extra:
        d[c] = df[c]
    for k in keys:
        d[k] = df[k]
    if keys:
        g = d.groupby(keys, observed=True, sort=True)
    else:
        d["_"] = 0
        g = d.groupby("_")
    agg = g.agg(
        offered=("offered", "sum"), handled=("handled", "sum"), abandoned=("abandoned", "sum"),
        unserved=("unserved", "sum"), in_sl=("in_sl", "sum"), p_wait=("waited", "mean"), mean_wait_s=("wait_all", "mean"),
        asa_s=("wait_h", "mean"), aht_s=("handle_h", "mean"), fcr=("resolved_h", "mean"),
        sl_target=("sl_target", "mean"),
        **{f"{c}_mean": (c, "mean") for c in extra},
        **({"prem": ("prem", "sum"), "in_promise": ("in_promise", "sum")} if promise is not None else {}),
    )
    q = g["wait_h"].quantile([0.5, 0.9, 0.95]).unstack()
    agg["wait_p50_s"], agg["wait_p90_s"], agg["wait_p95_s"] = q[0.5], q[0.9], q[0.95]
    agg["abandon_rate"] = agg["abandoned"] / agg["offered"]
    agg["service_level"] = agg["in_sl"] / agg["offered"]
    agg["sl_target_met"] = (agg["service_level"] >= agg["sl_target"] - 1e-12).astype(float)
    if promise is not None:
        agg["promise_level"] = (agg["in_promise"] / agg["prem"]).where(agg["prem"] > 0)
        agg["promise_met"] = (agg["promise_level"] >= promise[1] - 1e-12).astype(float).where(agg["prem"] > 0)
        agg = agg.drop(columns=["prem", "in_promise"])
    agg = agg.drop(columns=["in_sl", "sl_target"]).rename(columns={"csat_mean": "csat", "effort_mean": "effort",
                                                      "cost_mean": "cost_per_contact"})
    agg = agg.reset_index().drop(columns=["_"], errors="ignore")
    return agg


def _pool_time(c: Compiled, df: pd.DataFrame) -> pd.DataFrame:
    """Busy and on-duty agent-seconds per pool and interval (exact overlap with the interval grid)."""
    n_int = int(np.ceil(c.end_s / c.interval_s))
    grid = np.arange(n_int + 1) * c.interval_s
    rows = []
    for p, cp in enumerate(c.pool_defs):
        sub = df[(df["pool"].cat.codes == p) & df["answered_at"].notna()]
        s = np.sort(sub["answered_at"].to_numpy())
        e = np.sort((sub["answered_at"] + sub["handle_s"] + sub["acw_s"]).to_numpy())
        # integral of the busy count up to T = sum(T - s_i for s_i < T) - sum(T - e_i for e_i < T)
        cs, ce = np.concatenate([[0.0], np.cumsum(s)]), np.concatenate([[0.0], np.cumsum(e)])
        ns, ne = np.searchsorted(s, grid), np.searchsorted(e, grid)
        busy_cum = (grid * ns - cs[ns]) - (grid * ne - ce[ne])
        busy = np.diff(busy_cum)
        # on-duty agent-seconds from the staffing step function
        t, a = cp.change_times, cp.change_agents
        idx = np.searchsorted(t, grid, side="right") - 1
        seg_t = np.concatenate([t, grid])
        seg_t = np.unique(seg_t[(seg_t >= 0) & (seg_t <= grid[-1])])
        lvl = a[np.searchsorted(t, seg_t[:-1], side="right") - 1]
        duty_cum = np.concatenate([[0.0], np.cumsum(lvl * np.diff(seg_t))])
        duty = np.diff(np.interp(grid, seg_t, duty_cum))
        del idx
        rows.append(pd.DataFrame({"pool": c.pools[p], "k": np.arange(n_int), "busy_s": busy, "duty_s": duty,
                                  "slots": cp.concurrency, "hourly_cost": cp.hourly_cost,
                                  "shrinkage": cp.shrinkage}))
    return pd.concat(rows, ignore_index=True)


def _pool_metrics(c: Compiled, contacts: pd.DataFrame, labels: list[str], measured: np.ndarray) -> pd.DataFrame:
    pt = _pool_time(c, contacts)
    pt = pt[measured[pt["k"].to_numpy()]]
    pt["interval"] = np.array(labels)[pt["k"].to_numpy()]
    pt["paid_s"] = pt["duty_s"] / (1.0 - pt["shrinkage"])
    out = []
    for keys in POOL_SETS:
        g = pt.groupby(list(keys), sort=True).agg(busy_s=("busy_s", "sum"), duty_s=("duty_s", "sum"),
                                                 slots=("slots", "first"), paid_s=("paid_s", "sum"),
                                                 hourly_cost=("hourly_cost", "first"))
        g["occupancy"] = g["busy_s"] / (g["duty_s"] * g["slots"]).where(g["duty_s"] > 0)
        span = c.interval_s * (1 if "interval" in keys else measured.sum())
        g["agents"] = g["duty_s"] / span
        g["paid_hours"] = g["paid_s"] / 3600.0
        g["busy_hours"] = g["busy_s"] / 3600.0
        g["staff_cost"] = g["paid_hours"] * g["hourly_cost"]
        g = g[["occupancy", "agents", "paid_hours", "busy_hours", "staff_cost"]].reset_index()
        out.append(g)
    return pd.concat(out, ignore_index=True)


def measured_intervals(c: Compiled) -> np.ndarray:
    """Intervals that count: after the warm-up and before the end of the horizon."""
    n_int = int(np.ceil(c.end_s / c.interval_s))
    starts = np.arange(n_int) * c.interval_s
    return (starts >= c.warmup_s - 1e-9) & (starts < c.horizon_s - 1e-9)


def replication_kpis(c: Compiled, contacts: pd.DataFrame, replication: int) -> pd.DataFrame:
    """Tidy KPIs of one replication: replication, segment, channel, pool, interval, metric, value."""
    cust = contacts[(contacts["kind"] != "outreach") & (contacts["arrival_at"] >= c.warmup_s)
                    & (contacts["arrival_at"] < c.horizon_s)]
    prem = c.scenario.policies.premium
    promise = (prem.promise.seconds, prem.promise.share) if prem is not None and prem.promise else None
    frames = []
    for keys in CONTACT_SETS:
        g = _contact_group(cust, list(keys), promise)
        frames.append(g)
    labels = list(contacts["interval"].cat.categories)
    frames.append(_pool_metrics(c, contacts, labels, measured_intervals(c)))
    wide = pd.concat(frames, ignore_index=True)
    for k in KEYS:
        if k not in wide.columns:
            wide[k] = ALL
        wide[k] = wide[k].astype(object).where(wide[k].notna(), ALL).astype(str)
    long = wide.melt(id_vars=KEYS, var_name="metric", value_name="value").dropna(subset=["value"])
    long.insert(0, "replication", replication)
    return long.reset_index(drop=True)


def summarise(kpis: pd.DataFrame, confidence: float = 0.95, scenario: str = "") -> pd.DataFrame:
    """Mean and Student-t confidence interval across replications for every KPI row.

    A group missing in a replication counts as 0 for count metrics (nothing happened) and is left out
    for rates and means (undefined); ``n`` says how many replications a row rests on.
    """
    reps = np.sort(kpis["replication"].unique())
    wide = kpis.pivot_table(index=[*KEYS, "metric"], columns="replication", values="value", aggfunc="first",
                            observed=True)
    wide = wide.reindex(columns=reps)
    is_count = wide.index.get_level_values("metric").isin(list(COUNT_METRICS))
    wide.loc[is_count] = wide.loc[is_count].fillna(0.0)
    vals = wide.to_numpy(dtype=float)
    n = np.isfinite(vals).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(n[:, None] > 0, vals, 0.0), axis=1)
        mean = np.where(n > 0, mean, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # rows with fewer than 2 values: sd is NaN
            sd = np.nanstd(vals, axis=1, ddof=1) if vals.shape[1] > 1 else np.full(len(n), np.nan)
        sd = np.where(n > 1, sd, np.nan)
        tq = st.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
        half = np.where(n > 1, tq * sd / np.sqrt(np.maximum(n, 1)), np.nan)
    out = wide.index.to_frame(index=False)
    out.insert(0, "scenario", scenario)
    out["mean"], out["ci_low"], out["ci_high"], out["n"] = mean, mean - half, mean + half, n
    return out.sort_values(["metric", *KEYS], kind="stable").reset_index(drop=True)
