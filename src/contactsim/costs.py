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
from contactsim.scenario.tables import DAYS_PER_MONTH


def contact_other_costs(c: Compiled, channel: np.ndarray, ivr_s: np.ndarray, wait_s: np.ndarray,
                        handle_s: np.ndarray, customer: np.ndarray, callback: np.ndarray,
                        unserved: np.ndarray) -> np.ndarray:
    """Per contact, every cost but staff time: telephony, IVR minutes and the channel's cost per contact.

    Telephony runs while a customer is connected (IVR + wait + talk); callbacks and agent outreach do
    not hold a line in the queue.
    """
    k = c.costs
    ch = channel.astype(np.int64)
    per_min = k.per_minute[ch]
    per_contact = k.per_contact[ch]
    connected = ivr_s + np.nan_to_num(wait_s) + np.nan_to_num(handle_s)
    telephony = np.where(customer & ~callback, connected / 60.0 * per_min, 0.0)
    return telephony + ivr_s / 60.0 * k.ivr_per_minute + np.where(unserved, 0.0, per_contact)


def need_costs(c: Compiled, reason: np.ndarray, prevented: np.ndarray, notified: np.ndarray,
               ss_attempted: np.ndarray, complained: np.ndarray, automation_tried: np.ndarray | None = None,
               community_posted: np.ndarray | None = None) -> np.ndarray:
    """Per need, costs outside the agent pools: prevention, notification, self-service, webcare case,
    an automated transaction, the moderation of a forum post."""
    k = c.costs
    mode_cost = 0.0
    if automation_tried is not None:
        mode_cost = np.where(automation_tried, k.automated_per_transaction, 0.0)
    if community_posted is not None:
        mode_cost = mode_cost + np.where(community_posted, moderation_cost_per_post(c), 0.0)
    r = reason.astype(np.int64)
    prev, note, sess = k.prevented[r], k.notification[r], k.session[r]
    cost = (np.where(prevented, prev, 0.0) + np.where(notified, note, 0.0) + np.where(ss_attempted, sess, 0.0)
            + mode_cost)
    if k.webcare_per_case is not None:
        cost = cost + np.where(complained, k.webcare_per_case, 0.0)
    return cost


def moderation_cost_per_post(c: Compiled) -> float:
    """Moderator time a community post takes, priced at the moderators' hourly cost."""
    return c.costs.moderation_per_post


def fixed_cost_breakdown(c: Compiled) -> dict[str, float]:
    """Period costs not tied to any need, over the measured horizon: prevention programmes, the cost of
    differentiating (each paid tier and steering rule, and the listed organisational costs: training,
    data, complexity; seed 000) and the fixed costs of the relationship modes in use (computed at
    compilation: ``scenario.tables.cost_tables``)."""
    return dict(c.costs.fixed)


def contact_fees(c: Compiled, tier: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Per contact: the fee its customer's paid tier charges per contact (0 for agent outreach)."""
    fee = np.array([0.0] + [t.fee_per_contact for t in c.paid_tiers])
    return np.where(customer, fee[tier.astype(np.int64)], 0.0)


def premium_revenue(c: Compiled, contact_fee: dict[str, float],
                    member_share: dict[str, list[float]] | None = None) -> dict[str, float]:
    """Fee revenue per segment: members x monthly fee x months per paid tier, plus per-contact fees
    (``contact_fee``: their sum per segment, see :func:`contact_fees`).

    ``member_share[segment][k]`` is the share of the segment's simulated customers in tier k+1 (segments
    with a population); otherwise the tier's take-up (of eligible customers) is the share.
    """
    out = {s: 0.0 for s in c.segments}
    months = (c.horizon_s - c.warmup_s) / 86400.0 / DAYS_PER_MONTH
    for i, s in enumerate(c.segments):
        for k, t in enumerate(c.paid_tiers):
            if member_share is not None and s in member_share:
                share = member_share[s][k]
            else:
                share = float(t.default_share[i])
            out[s] += int(c.costs.customers[i]) * share * t.fee_per_month * months
        out[s] += contact_fee.get(s, 0.0)
    return out
