"""One replication end to end: needs -> funnel -> engine -> records -> costs, satisfaction and KPIs."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contactsim import arrivals, costs, metrics, satisfaction
from contactsim.engine import Engine
from contactsim.funnel import run_funnel
from contactsim.records import TERMINAL_STATES, contacts_frame, needs_frame
from contactsim.scenario.compiled import Compiled

LEVELS = ["preventive", "proactive", "self_service", "personal_digital", "personal_non_digital"]


@dataclass
class ReplicationResult:
    replication: int
    kpis: pd.DataFrame
    waterfall: pd.DataFrame
    contacts: pd.DataFrame | None
    needs: pd.DataFrame | None
    n_needs: int
    n_contacts: int
    seconds: float


def _enrich_contacts(c: Compiled, df: pd.DataFrame, needs: pd.DataFrame) -> None:
    sc = c.scenario
    seg = df["segment"].cat.codes.to_numpy()
    ch = df["channel"].cat.codes.to_numpy()
    expect = np.array([[sc.segments[s].wait_expectation_s.get(k, c.sl_seconds[i, j]) or 20.0
                        for j, k in enumerate(c.channels)] for i, s in enumerate(c.segments)])[seg, ch]
    nid = df["need_id"].to_numpy()
    failed_ss = needs["self_service_attempted"].to_numpy()[nid] & (df["kind"] != "outreach").to_numpy()
    pref = needs["preferred_channel"].cat.codes.to_numpy()[nid]
    fit = (pref == ch).astype(float)
    steps = ((df["ivr_s"].to_numpy() > 0).astype(float) + df["transfers"].to_numpy() + failed_ss
             + (df["attempt"].to_numpy() - 1) + (1.0 - fit) + needs["noncompliant"].to_numpy()[nid])
    df["effort"] = satisfaction.effort_score(steps)
    df["csat"] = satisfaction.csat(sc.satisfaction.csat, df["wait_s"].fillna(0.0).to_numpy(), expect,
                                   df["resolved"].to_numpy(), steps, fit, (df["outcome"] != "handled").to_numpy())
    df.loc[df["kind"] == "outreach", ["effort", "csat"]] = np.nan


def _need_csat(c: Compiled, needs: pd.DataFrame, contacts: pd.DataFrame) -> np.ndarray:
    """A need's experience is its last customer contact's; needs ending before an agent score by level."""
    p = c.scenario.satisfaction.csat
    out = np.full(len(needs), np.nan)
    term = needs["terminal"].to_numpy()
    out[term == "proactive_resolved"] = p.base
    out[term == "self_served"] = p.base - p.effort_weight
    cust = contacts[contacts["kind"] != "outreach"]
    last = cust.groupby("need_id", sort=False)["csat"].last()
    out[last.index.to_numpy()] = last.to_numpy()
    unresolved = term == "unresolved"
    out[unresolved] = np.maximum(out[unresolved] - p.resolution_weight * 0.5, 1.0)
    return out


def run_replication(c: Compiled, seed: int, rep: int, keep_records: bool = True) -> ReplicationResult:
    t0 = time.perf_counter()
    needs = arrivals.generate(c, seed, rep)
    f = run_funnel(c, needs)
    eng = Engine(c, needs, f, seed, rep).run()
    contacts = contacts_frame(c, eng, rep)
    nd = needs_frame(c, needs, f, eng, rep)
    _enrich_contacts(c, contacts, nd)

    kpis = metrics.replication_kpis(c, contacts, rep)
    pool_rows = kpis[(kpis["pool"] != metrics.ALL) & (kpis["interval"] == metrics.ALL)]
    staff_cost = dict(pool_rows[pool_rows["metric"] == "staff_cost"][["pool", "value"]].itertuples(index=False))
    busy_h = dict(pool_rows[pool_rows["metric"] == "busy_hours"][["pool", "value"]].itertuples(index=False))
    staff_part, other_part = costs.contact_costs(c, contacts, staff_cost, {k: v * 3600.0 for k, v in busy_h.items()})
    contacts["cost"] = staff_part + other_part

    in_window = (nd["arrival_at"] >= c.warmup_s) & (nd["arrival_at"] < c.horizon_s)
    nd["cost"] = costs.need_costs(c, nd)
    # the total is exact: every paid staff hour plus every non-staff cost of needs arriving in the window
    # (per segment, staff cost is allocated by agent-time used)
    window_need = in_window.to_numpy()[contacts["need_id"].to_numpy()]
    total_cost = (sum(staff_cost.values()) + float(other_part[window_need].sum())
                  + float(nd.loc[in_window, "cost"].sum()) + costs.fixed_costs(c))
    per_need_contact_cost = contacts.groupby("need_id", sort=False)["cost"].sum()
    nd.loc[per_need_contact_cost.index, "cost"] += per_need_contact_cost.to_numpy()
    nd["csat"] = _need_csat(c, nd, contacts)
    value = c.value[nd["segment"].cat.codes.to_numpy()]
    nd["value_at_risk"] = np.where(np.isnan(nd["csat"]), 0.0,
                                   satisfaction.value_at_risk(c.scenario.satisfaction.churn,
                                                              np.nan_to_num(nd["csat"], nan=5.0), value))
    revenue = costs.premium_revenue(c, nd[in_window], contacts)
    fixed = costs.fixed_costs(c)

    w = nd[in_window]
    need_rows = []
    for seg_name, grp in [(metrics.ALL, w), *((str(k), g) for k, g in w.groupby("segment", observed=False))]:
        counts = grp["terminal"].value_counts()
        cost = total_cost if seg_name == metrics.ALL else float(grp["cost"].sum())
        rev = sum(revenue.values()) if seg_name == metrics.ALL else revenue.get(seg_name, 0.0)
        resolved = sum(int(counts.get(s, 0)) for s in ("prevented", "proactive_resolved", "self_served", "resolved"))
        vals = {
            "needs": float(len(grp)),
            **{f"needs_{s}": float(counts.get(s, 0)) for s in TERMINAL_STATES},
            "conservation_gap": float(len(grp) - sum(int(counts.get(s, 0)) for s in TERMINAL_STATES)),
            "repeat_contacts": float(grp["repeats"].sum()),
            "complaints": float(grp["complained"].sum()),
            "cost": cost,
            "cost_per_resolved_need": cost / resolved if resolved else np.nan,
            "revenue": rev,
            "net_cost": cost - rev,
            "need_csat": float(grp["csat"].mean()) if grp["csat"].notna().any() else np.nan,
            "value_at_risk": float(grp["value_at_risk"].sum()),
        }
        for metric, value_ in vals.items():
            need_rows.append((rep, seg_name, metrics.ALL, metrics.ALL, metrics.ALL, metric, value_))
    kpis = pd.concat([kpis, pd.DataFrame(need_rows, columns=kpis.columns)], ignore_index=True)

    wf = w.groupby("level", observed=False).agg(needs=("need_id", "size"), cost=("cost", "sum")).reindex(LEVELS)
    wf = wf.fillna(0.0).reset_index()
    wf.insert(0, "replication", rep)
    wf.loc[wf["level"] == "preventive", "cost"] += fixed
    return ReplicationResult(
        replication=rep, kpis=kpis, waterfall=wf, contacts=contacts if keep_records else None,
        needs=nd if keep_records else None, n_needs=len(nd), n_contacts=len(contacts),
        seconds=time.perf_counter() - t0,
    )
