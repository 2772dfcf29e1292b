"""The contact-strategy funnel, vectorised: preventive -> proactive -> self-service -> assisted channel.

Needs that end in the first three levels never become simulation events; the rest leave here as
assisted contacts with their channel, contact time, patience and handle time fixed. Every decision
reads the need's own uniforms (see :mod:`contactsim.arrivals`), so a policy change that moves one
customer does not reshuffle the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contactsim.arrivals import Needs, U
from contactsim.scenario.compiled import Compiled, class_table, sampler
from contactsim.scenario.timespec import WEEK_S

# terminal stages of a need (the engine fills in the assisted ones)
PREVENTED, PROACTIVE_RESOLVED, SELF_SERVED, ASSISTED = 0, 1, 2, 3
DEFER_SPREAD_S = 1800.0
"""Customers who find every channel closed come back within this long after the next opening."""


@dataclass
class FunnelResult:
    stage: np.ndarray
    """Per need: PREVENTED, PROACTIVE_RESOLVED, SELF_SERVED or ASSISTED."""
    premium: np.ndarray
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
    """Effort steps the ignored steering costs (the rule's effort_penalty), 0 otherwise."""
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


def _fit(c: Compiled, seg: np.ndarray, idx: np.ndarray, ch: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Per need: how well the assisted channel fits the segment's preferences (0..1; 1 for non-assisted)."""
    fit = np.ones(seg.size)
    fit[idx] = c.preference[seg[idx], ch] / np.maximum(top[seg[idx]], 1e-12)
    return fit


def open_mask(c: Compiled, t: np.ndarray) -> np.ndarray:
    """[n, channels]: is each channel open at each time."""
    week_t = (t + c.start_weekday * 86400.0) % WEEK_S
    out = np.zeros((t.size, len(c.channels)), dtype=bool)
    for k, windows in enumerate(c.channel_windows):
        for s, e in windows:
            out[:, k] |= (week_t >= s) & (week_t < e)
    return out


def next_opening(c: Compiled, k: int, t: np.ndarray) -> np.ndarray:
    """Seconds from the start at which channel k next opens at or after each time."""
    offset = c.start_weekday * 86400.0
    starts = np.array(sorted(s for s, _ in c.channel_windows[k]))
    if starts.size == 0:
        return np.full(t.shape, np.inf)
    wt = (t + offset) % WEEK_S
    base = t - wt
    idx = np.searchsorted(starts, wt, side="left")
    nxt = np.where(idx < starts.size, starts[np.minimum(idx, starts.size - 1)], starts[0] + WEEK_S)
    return base + nxt


def run_funnel(c: Compiled, needs: Needs) -> FunnelResult:
    sc = c.scenario
    n = len(needs)
    u = needs.u
    seg, rea = needs.segment.astype(np.int64), needs.reason.astype(np.int64)
    n_seg, n_rea = len(c.segments), len(c.reasons)
    stage = np.full(n, ASSISTED, dtype=np.int8)

    # premium membership
    prem = sc.policies.premium
    take_up = np.array([prem.take_up.get(s, 0.0) if prem else 0.0 for s in c.segments])
    premium = u[:, U["premium"]] < take_up[seg]

    # 1. preventive
    p_prev = np.zeros((n_seg, n_rea))
    for j, r in enumerate(sc.reasons.values()):
        if r.prevention:
            p_prev[:, j] = [r.prevention.by_segment.get(s, r.prevention.share) for s in c.segments]
    stage[u[:, U["prevent"]] < p_prev[seg, rea]] = PREVENTED

    # 2. proactive
    detect = np.array([r.proactive.detected_share if r.proactive else 0.0 for r in sc.reasons.values()])
    satisfied = np.array([r.proactive.satisfied_probability if r.proactive else 0.0 for r in sc.reasons.values()])
    notified = (stage == ASSISTED) & (u[:, U["proactive_detect"]] < detect[rea])
    stage[notified & (u[:, U["proactive_satisfied"]] < satisfied[rea])] = PROACTIVE_RESOLVED
    out_need, out_at, out_pool, out_h = [], [], [], []
    for j, r in enumerate(sc.reasons.values()):
        if r.proactive and r.proactive.agent_outreach:
            o = r.proactive.agent_outreach
            sel = np.flatnonzero(notified & (rea == j) & (u[:, U["outreach"]] < o.share))
            out_need.append(sel)
            out_at.append(np.maximum(needs.arrival_at[sel] - r.proactive.lead_time_s, 0.0))
            out_pool.append(np.full(sel.size, c.pools.index(o.pool)))
            out_h.append(sampler(o.handle_time).ppf(u[sel, U["handle"]]))

    # steering: restricts offered channels and can send a class to self-service first
    pref = c.preference[seg].copy()
    if prem and prem.channels:
        members_only = np.array([ch in prem.channels for ch in c.channels])
        pref[np.ix_(~premium, members_only)] = 0.0
    ss_first = np.zeros(n, dtype=bool)
    steered = np.zeros(n, dtype=bool)
    noncompliant = np.zeros(n, dtype=bool)
    steering_effort = np.zeros(n)
    for rule in sc.policies.steering:
        table = class_table(rule.applies_to, sc, c.segments, c.reasons)
        applies = table[seg, rea, premium.astype(np.int64)] & (stage == ASSISTED) & ~steered & ~noncompliant
        comply = applies & (u[:, U["steer"]] < rule.compliance)
        ignored = applies & ~comply
        noncompliant |= ignored
        steering_effort[ignored] = rule.effort_penalty
        if rule.offered_channels is not None:
            offered = np.array([ch in rule.offered_channels for ch in c.channels])
            before = pref[comply].argmax(axis=1)
            new = pref[comply] * offered
            empty = new.sum(axis=1) == 0
            new[empty] = offered.astype(float)
            pref[comply] = new
            steered[comply] = ~offered[before] | empty
        if rule.self_service_first:
            ss_first |= comply
            steered |= comply
    row_sum = pref.sum(axis=1, keepdims=True)
    fallback = row_sum[:, 0] == 0
    pref[fallback] = c.preference[seg[fallback]]
    pref = pref / pref.sum(axis=1, keepdims=True)
    preferred = c.preference[seg].argmax(axis=1)
    top = c.preference.max(axis=1)

    # 3. self-service (24/7)
    suit = np.array([r.self_service.suitability if r.self_service else 0.0 for r in sc.reasons.values()])
    prop = np.array([s.self_service_propensity for s in sc.segments.values()])
    p_try = np.where(ss_first, suit[rea], prop[seg] * suit[rea])
    ss_try = (stage == ASSISTED) & (u[:, U["ss_try"]] < p_try)
    contain = np.zeros((n_seg, n_rea))
    ss_dur = np.zeros(n)
    hfac = np.ones(n)
    pfac = np.ones(n)
    for j, r in enumerate(sc.reasons.values()):
        if r.self_service:
            contain[:, j] = [r.self_service.containment_by_segment.get(s, r.self_service.containment)
                             for s in c.segments]
            sel = ss_try & (rea == j)
            ss_dur[sel] = sampler(r.self_service.duration).ppf(u[sel, U["ss_duration"]])
            hfac[sel] = r.self_service.failed_handle_time_factor
            pfac[sel] = r.self_service.failed_patience_factor
    ss_ok = ss_try & (u[:, U["ss_success"]] < contain[seg, rea])
    stage[ss_ok] = SELF_SERVED
    ss_failed = ss_try & ~ss_ok

    # 4./5. assisted channel choice, limited by opening hours
    idx = np.flatnonzero(stage == ASSISTED)
    t = needs.arrival_at[idx] + ss_dur[idx]
    ch = _pick(pref[idx], u[idx, U["channel"]])
    is_open = open_mask(c, t)
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
            later = next_opening(c, int(k), t_closed[sel])
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
    handle *= hfac[idx]
    patience *= pfac[idx]

    ivr = np.zeros(idx.size)
    misrouted = np.zeros(idx.size, dtype=bool)
    if sc.policies.ivr:
        on = np.isin(ch, [c.channels.index(x) for x in sc.policies.ivr.channels])
        ivr[on] = sampler(sc.policies.ivr.duration).ppf(u[idx[on], U["ivr"]])
        misrouted = on & (u[idx, U["misroute"]] < sc.policies.ivr.misroute_probability)

    cat = (lambda parts, dt: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dtype=dt))  # noqa: E731
    return FunnelResult(
        stage=stage, premium=premium, notified=notified, ss_attempted=ss_try, ss_duration_s=ss_dur,
        preferred_channel=preferred, channel_fit=_fit(c, seg, idx, ch, top), steered=steered,
        noncompliant=noncompliant, steering_effort=steering_effort,
        contact_need=idx, contact_at=t, channel=ch, deferred=deferred, patience_s=patience, handle_s=handle,
        ss_failed=ss_failed[idx], ivr_s=ivr, misrouted=misrouted,
        outreach_need=cat(out_need, np.int64), outreach_at=cat(out_at, float),
        outreach_pool=cat(out_pool, np.int64), outreach_handle_s=cat(out_h, float),
    )
