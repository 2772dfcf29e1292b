"""Cost and revenue accounting, per contact, per need and per funnel level.

Staff are paid for on-duty time divided by (1 - shrinkage), not for busy time, so idle capacity is
a cost too. Each contact carries its share of its pool's staff cost in proportion to the agent-time
it used (handle + after-contact work) at the pool's rate (staff cost / busy time, known at the end
of the run), plus telephony per connected minute (IVR + wait + talk) and the channel's cost per
contact. Self-service sessions, proactive notifications, prevention and webcare cases are priced
per event; premium membership brings fee revenue.
"""

from __future__ import annotations

import numpy as np

from contactsim.scenario.compiled import Compiled

DAYS_PER_MONTH = 365.25 / 12


def contact_other_costs(c: Compiled, channel: np.ndarray, ivr_s: np.ndarray, wait_s: np.ndarray,
                        handle_s: np.ndarray, customer: np.ndarray, callback: np.ndarray,
                        unserved: np.ndarray) -> np.ndarray:
    """Per contact, every cost but staff time: telephony, IVR minutes and the channel's cost per contact.

    Telephony runs while a customer is connected (IVR + wait + talk); callbacks and agent outreach do
    not hold a line in the queue.
    """
    sc = c.scenario
    ch = channel.astype(np.int64)
    per_min = np.array([sc.channels[x].cost_per_minute for x in c.channels])[ch]
    per_contact = np.array([sc.channels[x].cost_per_contact for x in c.channels])[ch]
    connected = ivr_s + np.nan_to_num(wait_s) + np.nan_to_num(handle_s)
    ivr_rate = sc.policies.ivr.cost_per_minute if sc.policies.ivr else 0.0
    telephony = np.where(customer & ~callback, connected / 60.0 * per_min, 0.0)
    return telephony + ivr_s / 60.0 * ivr_rate + np.where(unserved, 0.0, per_contact)


def need_costs(c: Compiled, reason: np.ndarray, prevented: np.ndarray, notified: np.ndarray,
               ss_attempted: np.ndarray, complained: np.ndarray) -> np.ndarray:
    """Per need, costs outside the agent pools: prevention, notification, self-service, webcare case."""
    sc = c.scenario
    r = reason.astype(np.int64)
    prev = np.array([x.prevention.cost_per_prevented if x.prevention else 0.0 for x in sc.reasons.values()])[r]
    note = np.array([x.proactive.cost_per_notification if x.proactive else 0.0 for x in sc.reasons.values()])[r]
    sess = np.array([x.self_service.cost_per_session if x.self_service else 0.0 for x in sc.reasons.values()])[r]
    cost = np.where(prevented, prev, 0.0) + np.where(notified, note, 0.0) + np.where(ss_attempted, sess, 0.0)
    if sc.webcare:
        cost = cost + np.where(complained, sc.webcare.cost_per_case, 0.0)
    return cost


def fixed_costs(c: Compiled) -> float:
    """Period costs not tied to any need (prevention programmes), over the measured horizon."""
    days = (c.horizon_s - c.warmup_s) / 86400.0
    return days * sum(r.prevention.fixed_cost_per_day for r in c.scenario.reasons.values() if r.prevention)


def premium_revenue(c: Compiled, member_contacts: dict[str, float]) -> dict[str, float]:
    """Fee revenue per segment: members x monthly fee x months, plus per-contact fees of members."""
    prem = c.scenario.policies.premium
    out = {s: 0.0 for s in c.segments}
    if prem is None:
        return out
    months = (c.horizon_s - c.warmup_s) / 86400.0 / DAYS_PER_MONTH
    for s, seg in c.scenario.segments.items():
        members = (seg.customers or 0) * prem.take_up.get(s, 0.0)
        out[s] += members * prem.fee_per_month * months + prem.fee_per_contact * member_contacts.get(s, 0.0)
    return out
