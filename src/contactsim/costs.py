"""Cost and revenue accounting, per contact, per need and per funnel level.

Staff are paid for on-duty time divided by (1 - shrinkage), not for busy time, so idle capacity is
a cost too. Each contact carries its share of its pool's staff cost in proportion to the agent-time
it used (handle + after-contact work), plus telephony per connected minute (IVR + wait + talk) and
the channel's cost per contact. Self-service sessions, proactive notifications, prevention and
webcare cases are priced per event; premium membership brings fee revenue.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from contactsim.scenario.compiled import Compiled

DAYS_PER_MONTH = 365.25 / 12


def contact_costs(c: Compiled, contacts: pd.DataFrame, staff_cost: dict[str, float],
                  busy_s: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per contact: (allocated staff cost, other costs: telephony, IVR, per-contact) in the currency."""
    sc = c.scenario
    rate = np.array([staff_cost.get(p, 0.0) / busy_s[p] if busy_s.get(p, 0.0) > 0 else 0.0 for p in c.pools])
    pool = contacts["pool"].cat.codes.to_numpy()
    busy = (contacts["handle_s"].fillna(0.0) + contacts["acw_s"].fillna(0.0)).to_numpy()
    staff = np.where(pool >= 0, busy * rate[np.maximum(pool, 0)], 0.0)
    ch = contacts["channel"].cat.codes.to_numpy()
    per_min = np.array([sc.channels[x].cost_per_minute for x in c.channels])[ch]
    per_contact = np.array([sc.channels[x].cost_per_contact for x in c.channels])[ch]
    connected = (contacts["ivr_s"].fillna(0.0) + contacts["wait_s"].fillna(0.0)
                 + contacts["handle_s"].fillna(0.0)).to_numpy()
    ivr_cost = contacts["ivr_s"].fillna(0.0).to_numpy() / 60.0 * (sc.policies.ivr.cost_per_minute if sc.policies.ivr
                                                                    else 0.0)
    served_or_present = (contacts["outcome"] != "unserved").to_numpy()
    is_customer = (contacts["kind"] != "outreach").to_numpy()
    telephony = np.where(is_customer & ~contacts["callback"].to_numpy(), connected / 60.0 * per_min, 0.0)
    return staff, telephony + ivr_cost + np.where(served_or_present, per_contact, 0.0)


def need_costs(c: Compiled, needs: pd.DataFrame) -> np.ndarray:
    """Per-need costs outside the agent pools: prevention, notification and self-service sessions."""
    sc = c.scenario
    r = needs["reason"].cat.codes.to_numpy()
    prev = np.array([x.prevention.cost_per_prevented if x.prevention else 0.0 for x in sc.reasons.values()])[r]
    note = np.array([x.proactive.cost_per_notification if x.proactive else 0.0 for x in sc.reasons.values()])[r]
    sess = np.array([x.self_service.cost_per_session if x.self_service else 0.0 for x in sc.reasons.values()])[r]
    cost = np.where(needs["terminal"].to_numpy() == "prevented", prev, 0.0)
    cost = cost + np.where(needs["notified"].to_numpy(), note, 0.0)
    cost = cost + np.where(needs["self_service_attempted"].to_numpy(), sess, 0.0)
    if sc.webcare:
        cost = cost + np.where(needs["complained"].to_numpy(), sc.webcare.cost_per_case, 0.0)
    return cost


def fixed_costs(c: Compiled) -> float:
    """Period costs not tied to any need (prevention programmes), over the measured horizon."""
    days = (c.horizon_s - c.warmup_s) / 86400.0
    return days * sum(r.prevention.fixed_cost_per_day for r in c.scenario.reasons.values() if r.prevention)


def premium_revenue(c: Compiled, needs: pd.DataFrame, contacts: pd.DataFrame) -> dict[str, float]:
    """Fee revenue per segment: members x monthly fee x months, plus per-contact fees of members."""
    prem = c.scenario.policies.premium
    out = {s: 0.0 for s in c.segments}
    if prem is None:
        return out
    months = (c.horizon_s - c.warmup_s) / 86400.0 / DAYS_PER_MONTH
    for s, seg in c.scenario.segments.items():
        members = (seg.customers or 0) * prem.take_up.get(s, 0.0)
        out[s] += members * prem.fee_per_month * months
    if prem.fee_per_contact:
        member_contacts = contacts[contacts["premium"] & (contacts["kind"] != "outreach")]
        for s, n in member_contacts.groupby("segment", observed=True).size().items():
            out[str(s)] += float(n) * prem.fee_per_contact
    return out
