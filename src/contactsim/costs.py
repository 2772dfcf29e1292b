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
               ss_attempted: np.ndarray, complained: np.ndarray, automation_tried: np.ndarray | None = None,
               community_posted: np.ndarray | None = None) -> np.ndarray:
    """Per need, costs outside the agent pools: prevention, notification, self-service, webcare case,
    an automated transaction, the moderation of a forum post."""
    sc = c.scenario
    rel = sc.relationships
    mode_cost = 0.0
    if automation_tried is not None:
        mode_cost = np.where(automation_tried, rel.automated.cost_per_transaction, 0.0)
    if community_posted is not None:
        mode_cost = mode_cost + np.where(community_posted, moderation_cost_per_post(c), 0.0)
    r = reason.astype(np.int64)
    prev = np.array([x.prevention.cost_per_prevented if x.prevention else 0.0 for x in sc.reasons.values()])[r]
    note = np.array([x.proactive.cost_per_notification if x.proactive else 0.0 for x in sc.reasons.values()])[r]
    sess = np.array([x.self_service.cost_per_session if x.self_service else 0.0 for x in sc.reasons.values()])[r]
    cost = (np.where(prevented, prev, 0.0) + np.where(notified, note, 0.0) + np.where(ss_attempted, sess, 0.0)
            + mode_cost)
    if sc.webcare:
        cost = cost + np.where(complained, sc.webcare.cost_per_case, 0.0)
    return cost


def moderation_cost_per_post(c: Compiled) -> float:
    """Moderator time a community post takes, priced at the moderators' hourly cost."""
    com = c.scenario.relationships.community
    return com.moderator_minutes_per_post / 60.0 * com.moderator_hourly_cost


def fixed_cost_breakdown(c: Compiled) -> dict[str, float]:
    """Period costs not tied to any need, over the measured horizon: prevention programmes, the cost of
    differentiating (each paid tier and steering rule, and the listed organisational costs: training,
    data, complexity; seed 000) and the fixed costs of the relationship modes in use."""
    sc = c.scenario
    days = (c.horizon_s - c.warmup_s) / 86400.0
    months = days / DAYS_PER_MONTH
    pol, rel = sc.policies, sc.relationships
    used = {s.relationship for s in sc.segments.values()}
    modes = 0.0
    if "co_creation" in used:
        modes += rel.co_creation.programme_cost_per_month
    if "community" in used:
        modes += rel.community.fixed_cost_per_month
    if "automated" in used:
        modes += rel.automated.fixed_cost_per_month
    if "account_manager" in used and rel.account_manager is not None:
        modes += rel.account_manager.fixed_cost_per_month
    differentiation = (sum(t.fixed_cost_per_month for t in pol.paid_tiers)
                       + sum(r.fixed_cost_per_month for r in pol.steering)
                       + sum(d.per_month for d in pol.differentiation_costs))
    return {
        "prevention": days * sum(r.prevention.fixed_cost_per_day for r in sc.reasons.values() if r.prevention),
        "differentiation": differentiation * months,
        "relationship_modes": modes * months,
    }


def fixed_costs(c: Compiled) -> float:
    """All period costs not tied to any need (see :func:`fixed_cost_breakdown`)."""
    return sum(fixed_cost_breakdown(c).values())


def contact_fees(c: Compiled, tier: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """Per contact: the fee its customer's paid tier charges per contact (0 for agent outreach)."""
    fee = np.array([0.0] + [t.fee_per_contact for t in c.scenario.policies.paid_tiers])
    return np.where(customer, fee[tier.astype(np.int64)], 0.0)


def premium_revenue(c: Compiled, contact_fee: dict[str, float],
                    member_share: dict[str, list[float]] | None = None) -> dict[str, float]:
    """Fee revenue per segment: members x monthly fee x months per paid tier, plus per-contact fees
    (``contact_fee``: their sum per segment, see :func:`contact_fees`).

    ``member_share[segment][k]`` is the share of the segment's simulated customers in tier k+1 (segments
    with a population); otherwise the tier's take-up (of eligible customers) is the share.
    """
    out = {s: 0.0 for s in c.segments}
    tiers = c.scenario.policies.paid_tiers
    months = (c.horizon_s - c.warmup_s) / 86400.0 / DAYS_PER_MONTH
    for s, seg in c.scenario.segments.items():
        for k, t in enumerate(tiers):
            if member_share is not None and s in member_share:
                share = member_share[s][k]
            else:
                eligible = t.eligible is None or _segment_eligible(c, s, t.eligible)
                share = t.take_up.get(s, 0.0) if eligible else 0.0
            out[s] += (seg.customers or 0) * share * t.fee_per_month * months
        out[s] += contact_fee.get(s, 0.0)
    return out


def _segment_eligible(c: Compiled, seg: str, crit) -> bool:
    s = c.scenario.segments[seg]
    return ((not crit.segments or seg in crit.segments) and (not crit.tiers or s.tier in crit.tiers)
            and (crit.min_value_per_year is None or s.value_per_year >= crit.min_value_per_year)
            and (crit.min_tenure_years is None or s.tenure_years >= crit.min_tenure_years)
            and (crit.min_products is None or crit.min_products <= 1)
            and (crit.min_potential is None or crit.min_potential <= 0))
