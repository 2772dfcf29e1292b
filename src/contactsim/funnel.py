"""The contact-strategy funnel, vectorised: preventive -> proactive -> self-service -> assisted channel.

Needs that end in the first three levels never become simulation events; the rest leave here as
assisted contacts with their channel, contact time, patience and handle time fixed. Every decision
reads the need's own uniforms (see :mod:`contactsim.arrivals`), so a policy change that moves one
customer does not reshuffle the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contactsim import customers
from contactsim.arrivals import Needs, U, X
from contactsim.scenario.compiled import Compiled
from contactsim.scenario.timespec import DAY_S, hour_of_day

# terminal stages of a need (the engine fills in the assisted ones)
PREVENTED, PROACTIVE_RESOLVED, SELF_SERVED, ASSISTED = 0, 1, 2, 3
DEFER_SPREAD_S = 1800.0
"""Customers who find every channel closed come back within this long after the next opening."""
MONTH_S = 365.25 / 12 * DAY_S


@dataclass
class FunnelResult:
    stage: np.ndarray
    """Per need: PREVENTED, PROACTIVE_RESOLVED, SELF_SERVED or ASSISTED."""
    premium: np.ndarray
    customers: customers.NeedCustomers
    """Per need: customer, attributes, paid tier, identification, routing profile, advisor."""
    automation_tried: np.ndarray
    """Went through an automated process (relationship 'automated'), completed or not."""
    automated: np.ndarray
    """Completed straight through by automated service (stage SELF_SERVED; relationship 'automated')."""
    community_posted: np.ndarray
    """Posted on the community forum (relationship 'community')."""
    community_solved: np.ndarray
    """Solved by another customer's answer (stage SELF_SERVED)."""
    about_notification: np.ndarray
    """A contact created by a proactive notification: the customer asks about the message itself."""
    notified: np.ndarray
    ss_attempted: np.ndarray
    ss_duration_s: np.ndarray
    preferred_channel: np.ndarray
    """The segment's most preferred channel (first declared on ties)."""
    channel_fit: np.ndarray
    """Assisted needs: preference weight of the channel used over the segment's highest weight (1 = a
    most preferred channel, ties included); used by the CSAT proxy."""
    steered: np.ndarray
    """The need was steered away from its preferred channel and complied."""
    noncompliant: np.ndarray
    """Steering applied but the customer ignored it."""
    steering_effort: np.ndarray
    """Effort steps the funnel added: ignored steering (the rule's effort_penalty), a forum post that got
    no useful answer (1); 0 otherwise."""
    # assisted contacts (index into needs)
    contact_need: np.ndarray
    contact_at: np.ndarray
    channel: np.ndarray
    deferred: np.ndarray
    """The channel was closed when the need arose; the customer came back at the next opening."""
    patience_s: np.ndarray
    handle_s: np.ndarray
    ss_failed: np.ndarray
    ivr_s: np.ndarray
    misrouted: np.ndarray
    # proactive outreach by agents
    outreach_need: np.ndarray
    outreach_at: np.ndarray
    outreach_pool: np.ndarray
    outreach_handle_s: np.ndarray


def _pick(prob: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row-wise categorical choice by inverse CDF: weights prob [n, k] (need not sum to 1), u [n] -> index.

    Columns with zero weight are never chosen; rows must have some positive weight.
    """
    cdf = np.cumsum(prob, axis=1)
    x = u[:, None] * cdf[:, -1:]
    idx = (x >= cdf).sum(axis=1)
    last_positive = prob.shape[1] - 1 - np.argmax(prob[:, ::-1] > 0, axis=1)
    return np.minimum(idx, last_positive)


def _fit(pref: np.ndarray, idx: np.ndarray, ch: np.ndarray) -> np.ndarray:
    """Per need: how well the assisted channel fits the customer's preferences for the reason (0..1; 1 for
    non-assisted): its weight over the highest weight."""
    fit = np.ones(pref.shape[0])
    fit[idx] = pref[idx, ch] / np.maximum(pref[idx].max(axis=1), 1e-12)
    return fit


def patience_factor(c: Compiled, seg: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Patience multiplier by hour of day per segment (``patience_by_hour``; 1 where not given)."""
    if c.patience_by_hour is None:
        return np.ones(seg.size)
    return np.array(c.patience_by_hour)[seg, hour_of_day(t, c.start_weekday).astype(np.int64)]


def _mode_mask(c: Compiled, seg: np.ndarray, rea: np.ndarray, mode: str) -> np.ndarray:
    """Needs of segments in relationship ``mode`` and of the mode's reasons."""
    return c.funnel.mode[mode][seg, rea]


def co_creation_share(c: Compiled, t: np.ndarray) -> np.ndarray:
    """Share of a co-creating segment's needs prevented at time t: it builds up month by month while the
    programme runs (an assumption: improvements customers suggest remove causes of contact), up to a cap."""
    m = c.funnel.modes
    months = m.co_creation_months_running + t / MONTH_S
    return np.minimum(m.co_creation_max_prevented, m.co_creation_prevented_per_month * months)


def run_funnel(c: Compiled, needs: Needs, pop: customers.Population | None = None) -> FunnelResult:
    ft = c.funnel
    n = len(needs)
    u = needs.u
    u2 = needs.u2
    seg, rea = needs.segment.astype(np.int64), needs.reason.astype(np.int64)
    n_seg = len(c.segments)
    stage = np.full(n, ASSISTED, dtype=np.int8)

    # customers: identity, paid tier, identification at the front door
    if pop is None:
        if ft.has_population:
            raise ValueError("this scenario has customer populations: pass the replication's population "
                             "(customers.draw_population)")
        pop = customers.Population(np.zeros(n_seg, np.int64), np.zeros(n_seg, np.int64), {},
                                   np.zeros(0, np.int64), np.zeros(0, np.int64))
    nc = customers.assign(c, pop, needs)
    premium = nc.tier > 0
    profile = nc.profile

    # 1. preventive (co-creation prevents a growing share of its segments' needs)
    p_need = ft.prevent[seg, rea]
    cocreate = _mode_mask(c, seg, rea, "co_creation")
    if cocreate.any():
        p_need = np.where(cocreate, 1.0 - (1.0 - p_need) * (1.0 - co_creation_share(c, needs.arrival_at)), p_need)
    stage[u[:, U["prevent"]] < p_need] = PREVENTED

    # 2. proactive
    detect, satisfied, question = ft.detect, ft.satisfied, ft.question
    notified = (stage == ASSISTED) & (u[:, U["proactive_detect"]] < detect[rea])
    satisfied_n = notified & (u[:, U["proactive_satisfied"]] < satisfied[rea])
    about_notification = np.zeros(n, dtype=bool)
    if u2 is not None and question.any():
        about_notification = satisfied_n & (u2[:, X["question"]] < question[rea])
    stage[satisfied_n & ~about_notification] = PROACTIVE_RESOLVED
    out_need, out_at, out_pool, out_h = [], [], [], []
    for o in ft.outreach:
        sel = np.flatnonzero(notified & (rea == o.reason) & (u[:, U["outreach"]] < o.share))
        out_need.append(sel)
        out_at.append(np.maximum(needs.arrival_at[sel] - o.lead_time_s, 0.0))
        out_pool.append(np.full(sel.size, o.pool))
        out_h.append(o.handle.ppf(u[sel, U["handle"]]))

    # relationship modes before steering: automated service completes needs straight through; on a
    # community forum customers answer each other, and wrong answers come back as contacts later
    automated = np.zeros(n, dtype=bool)
    auto = np.zeros(n, dtype=bool)
    posted = np.zeros(n, dtype=bool)
    solved = np.zeros(n, dtype=bool)
    contact_delay = np.zeros(n)
    wrong = np.zeros(n, dtype=bool)
    modes = ft.modes
    if u2 is not None:
        auto = _mode_mask(c, seg, rea, "automated") & (stage == ASSISTED)
        automated = auto & (u2[:, X["automated"]] < modes.automated_straight_through)
        stage[automated] = SELF_SERVED
        com = _mode_mask(c, seg, rea, "community") & (stage == ASSISTED)
        posted = com & (u2[:, X["community"]] < modes.community_share)
        solved = posted & (u2[:, X["community_wrong"]] >= modes.community_wrong_answer_share)
        stage[solved] = SELF_SERVED
        wrong = posted & ~solved
        contact_delay[wrong] = ft.community_delay.ppf(u2[wrong, X["community_delay"]])

    # steering: restricts offered channels and can send a class to self-service first
    ok = c.servable[seg, rea, profile]  # [need, channel]: a pool and a handle time there (no dead ends)
    base_pref = c.reason_preference[seg, rea]
    pref = base_pref.copy()
    if ft.members_only is not None:
        pref[np.ix_(~premium, ft.members_only)] = 0.0
    ss_first = np.zeros(n, dtype=bool)
    steered = np.zeros(n, dtype=bool)
    noncompliant = np.zeros(n, dtype=bool)
    steering_effort = np.zeros(n)
    for rule in ft.steering:
        applies = rule.table[seg, rea, profile] & (stage == ASSISTED) & ~steered & ~noncompliant
        comply = applies & (u[:, U["steer"]] < rule.compliance)
        ignored = applies & ~comply
        noncompliant |= ignored
        steering_effort[ignored] = rule.effort_penalty
        if rule.offered is not None:
            offered = rule.offered
            before = pref[comply].argmax(axis=1)
            new = pref[comply] * offered
            empty = new.sum(axis=1) == 0
            new[empty] = offered * ok[comply][empty]
            blocked = new.sum(axis=1) == 0  # no offered channel serves this reason: the rule cannot apply
            new[blocked] = pref[comply][blocked]
            pref[comply] = new
            steered[comply] = (~offered[before] | empty) & ~blocked
        if rule.self_service_first:
            ss_first |= comply
            steered |= comply
    steering_effort[wrong] += 1.0  # the forum did not help: one more step before contacting us
    pref = pref * ok
    row_sum = pref.sum(axis=1, keepdims=True)
    fallback = row_sum[:, 0] == 0
    pref[fallback] = base_pref[fallback]
    pref = pref / pref.sum(axis=1, keepdims=True)
    preferred = base_pref.argmax(axis=1)

    # 3. self-service (24/7)
    suit, prop = ft.suitability, ft.propensity
    p_try = np.where(ss_first, suit[rea], prop[seg] * suit[rea])
    ss_mode = _mode_mask(c, seg, rea, "self_service")
    p_try = np.where(ss_mode & ~ss_first, modes.self_service_compliance * suit[rea], p_try)
    ss_try = (stage == ASSISTED) & ~posted & (u[:, U["ss_try"]] < p_try)
    ss_dur = np.zeros(n)
    hfac = np.ones(n)
    pfac = np.ones(n)
    for j, duration in enumerate(ft.ss_duration):
        if duration is not None:
            sel = ss_try & (rea == j)
            ss_dur[sel] = duration.ppf(u[sel, U["ss_duration"]])
            hfac[sel] = c.ss_handle_factor[j]
            pfac[sel] = c.ss_patience_factor[j]
    ss_ok = ss_try & (u[:, U["ss_success"]] < ft.containment[seg, rea])
    stage[ss_ok] = SELF_SERVED
    ss_failed = ss_try & ~ss_ok

    # 4./5. assisted channel choice, limited by opening hours
    idx = np.flatnonzero(stage == ASSISTED)
    t = needs.arrival_at[idx] + ss_dur[idx] + contact_delay[idx]
    ch = _pick(pref[idx], u[idx, U["channel"]])
    is_open = c.opening.open_mask(t)
    deferred = np.zeros(idx.size, dtype=bool)
    closed = ~is_open[np.arange(idx.size), ch]
    if closed.any():
        alt = pref[idx[closed]] * is_open[closed]
        has_alt = alt.sum(axis=1) > 0
        ch_closed = ch[closed]
        ch_closed[has_alt] = _pick(alt[has_alt], u[idx[closed][has_alt], U["defer"]])
        ch[closed] = ch_closed
        t_closed = t[closed]
        for k in np.unique(ch_closed[~has_alt]):
            sel = ~has_alt & (ch_closed == k)
            later = c.opening.next_open(int(k), t_closed[sel])
            t_closed[sel] = later + u[idx[closed][sel], U["defer"]] * DEFER_SPREAD_S
        t[closed] = t_closed
        d = np.zeros(int(closed.sum()), dtype=bool)
        d[~has_alt] = True
        deferred[closed] = d

    patience = np.full(idx.size, np.inf)
    handle = np.zeros(idx.size)
    for (i, k), smp in c.patience.items():
        sel = (seg[idx] == i) & (ch == k)
        if c.channel_abandons[k] and sel.any():
            patience[sel] = smp.ppf(u[idx[sel], U["patience"]])
    for (j, k), smp in c.handle.items():
        sel = (rea[idx] == j) & (ch == k)
        if sel.any():
            handle[sel] = smp.ppf(u[idx[sel], U["handle"]])
    handle *= hfac[idx] * ft.segment_handle_factor[seg[idx]]
    q_fac = ft.question_handle_factor
    handle = np.where(about_notification[idx], handle * q_fac[rea[idx]], handle)
    patience *= pfac[idx] * patience_factor(c, seg[idx], t)

    ivr = np.zeros(idx.size)
    misrouted = np.zeros(idx.size, dtype=bool)
    if ft.ivr_channels is not None:
        on = ft.ivr_channels[ch]
        ivr[on] = ft.ivr_duration.ppf(u[idx[on], U["ivr"]])
        misrouted = on & (u[idx, U["misroute"]] < ft.misroute_probability)

    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dtype=dt))  # noqa: E731
    return FunnelResult(
        stage=stage, premium=premium, customers=nc, automation_tried=auto, automated=automated, community_posted=posted,
        community_solved=solved, about_notification=about_notification, notified=notified, ss_attempted=ss_try,
        ss_duration_s=ss_dur,
        preferred_channel=preferred, channel_fit=_fit(base_pref, idx, ch), steered=steered,
        noncompliant=noncompliant, steering_effort=steering_effort,
        contact_need=idx, contact_at=t, channel=ch, deferred=deferred, patience_s=patience, handle_s=handle,
        ss_failed=ss_failed[idx], ivr_s=ivr, misrouted=misrouted,
        outreach_need=cat(out_need, np.int64), outreach_at=cat(out_at, float),
        outreach_pool=cat(out_pool, np.int64), outreach_handle_s=cat(out_h, float),
    )
