"""KPIs of a replication, accumulated as contacts leave the system, and their summary across replications.

Contacts arrive here in chunks (whatever the engine flushed); everything is kept as sums and wait
histograms at the finest grain (segment x channel x interval), so memory does not grow with the
number of contacts, and coarser rows (any key ``all``) are exact roll-ups. Definitions, stated once:

* ``offered``: customer contacts entering a queue (retrials and repeats count again; proactive
  outreach by agents is agent work, not offered traffic).
* ``service_level``: share of *offered* contacts waiting on hold answered within the segment's target
  for the channel, P(answered and wait <= T); abandoned contacts count against it. ``sl_target_met`` is 1
  when it reaches the target share (its mean over replications: the probability the target is met).
* ``p_wait``: share of offered contacts on hold that waited at all.
* ``balked``: offered contacts that found their pool's queue full (``queue_cap``) and left at once (also
  counted as abandoned, with a wait of 0); ``escalations``: contacts a first line handed to a second line
  (the second-line contact is offered again, kind ``escalation``).
* ``asa_s``: mean wait of handled contacts on hold; ``mean_wait_s``: mean wait of all offered contacts on
  hold (an abandoned contact's wait is its time to abandon).
* Callbacks (``policies.callback``) are not on hold: they count in ``offered``/``handled`` but not in the
  wait KPIs above; ``callbacks`` counts them and ``callback_wait_s`` is their mean time from the offer to
  the agent's call.
* Which rows: contact KPIs use customer contacts that *arrived* in the measured window (after the warm-up,
  before the end of the horizon); need KPIs and costs use needs that arrived in it, with all their contacts
  (follow-ups in the drain included). Records carry ``need_at`` to select the same rows.
* ``wait_p50_s``/``p90``/``p95``: percentiles of handled contacts' waits, interpolated in a histogram
  with 1% wide bins (10% wide in per-interval rows); zero waits are exact.
* ``occupancy``: busy agent-time (handle + after-contact work + misroute talks, per chat slot) over on-duty
  agent-time (agents x concurrency) of the pool, never above 1: an agent finishing a contact after its
  shift ended is on duty (and paid) until it is done; ``paid_hours`` = on-duty hours x paid-per-duty /
  (1 - shrinkage), where paid-per-duty (scheduled over available agent-hours: breaks, absence, adherence;
  1 without them) is spread over the intervals in proportion to on-duty time.
* ``promise_level``/``promise_met``: service level of paid-tier members on their tier's promise channels
  (``promise_channels``, default all) against their tier's promise (each tier its own; ``promise_met``
  compares with the members' mean target share).
* need rows (per segment): needs by terminal state (``conservation_gap``: needs that arrived in the window
  minus needs counted in a terminal state; 0 unless a need was lost), cost (every paid staff hour plus
  every per-event cost; per segment, staff cost is allocated by agent-time used),
  ``cost_per_resolved_need``, revenue, ``net_cost``, ``need_csat``, ``value_at_risk``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from contactsim.scenario.compiled import Compiled
from contactsim.scenario.timespec import WEEKDAYS
from contactsim.stats import mean_ci_rows

ALL = "all"
KEYS = ["segment", "channel", "pool", "interval"]
INTERVAL_COLUMNS = ("interval_start_s", "weekday")
"""Numeric columns beside every ``interval`` label of KPI rows, so nothing parses labels: the interval's start
in seconds from the start of the horizon (per-interval-of-the-week rows, ``run.interval_kpis: time_of_week``:
from Monday 00:00) and its weekday (Mon..Sun); empty on ``all`` rows."""
COUNT_METRICS = {"offered", "handled", "abandoned", "unserved", "paid_hours", "busy_hours", "agents",
                 "needs", "cost", "revenue", "net_cost", "value_at_risk", "complaints", "repeat_contacts",
                 "staff_cost", "callbacks", "balked", "escalations", "needs_automated", "community_posts",
                 "community_solved", "notification_contacts", "moderator_hours", "fixed_cost_prevention",
                 "fixed_cost_differentiation", "fixed_cost_relationship_modes"}
"""Metrics for which a group with no contacts in a replication means 0, not 'undefined'."""
CONTACT_SETS = [(), ("segment",), ("channel",), ("segment", "channel"), ("interval",),
                ("segment", "interval"), ("channel", "interval"), ("segment", "channel", "interval")]
FIELDS = ("offered", "handled", "abandoned", "unserved", "waited", "in_sl", "wait_all", "wait_h", "handle_h",
          "resolved_h", "sl_target", "csat", "effort", "other_cost", "prem", "prem_covered", "in_promise",
          "hold", "handled_hold", "callbacks", "cb_wait", "promise_target", "balked", "escalated")
F = {name: i for i, name in enumerate(FIELDS)}
FINE_EDGES = np.concatenate([[0.0, 1e-9], 0.5 * 1.01 ** np.arange(0, 1590)])
COARSE_EDGES = np.concatenate([[0.0, 1e-9], 0.5 * 1.1 ** np.arange(0, 166)])


def interval_columns(labels: list[str], starts: np.ndarray, weekdays: list[str]) -> pd.DataFrame:
    """The lookup from an interval label to its numeric columns (``INTERVAL_COLUMNS``), indexed by label."""
    return pd.DataFrame({"interval_start_s": np.asarray(starts, dtype=float), "weekday": weekdays},
                        index=pd.Index(labels, name="interval"))


def with_interval_columns(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``INTERVAL_COLUMNS`` right after its ``interval`` column, looked up in ``table``
    (``interval_columns``); empty for ``all`` and for labels the table does not know. Adds them in place (the
    frame is the caller's own, just built) and returns it."""
    if any(k in frame.columns for k in INTERVAL_COLUMNS):
        frame = frame.drop(columns=[k for k in INTERVAL_COLUMNS if k in frame.columns])
    at = table.index.get_indexer(frame["interval"])  # -1 (not found) picks the empty slot appended below
    pos = frame.columns.get_loc("interval") + 1
    for k, col in enumerate(INTERVAL_COLUMNS):
        src = table[col].to_numpy()
        src = np.append(src.astype(float if src.dtype.kind == "f" else object), np.nan)
        frame.insert(pos + k, col, src[at])
    return frame


def interval_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The label -> numeric columns lookup carried by a frame of KPI rows (first row of each label)."""
    rows = frame.loc[frame["interval"] != ALL, ["interval", *INTERVAL_COLUMNS]]
    return rows.drop_duplicates("interval").set_index("interval")


def measured_intervals(c: Compiled) -> np.ndarray:
    """Intervals that count: after the warm-up and before the end of the horizon."""
    starts = np.arange(c.n_intervals) * c.interval_s
    return (starts >= c.warmup_s - 1e-9) & (starts < c.horizon_s - 1e-9)


def _quantiles(hist: np.ndarray, edges: np.ndarray, qs: tuple[float, ...]) -> list[np.ndarray]:
    """Quantiles of binned data along the last axis (linear inside a bin); NaN where empty."""
    cum = np.cumsum(hist, axis=-1)
    total = cum[..., -1:]
    out = []
    for q in qs:
        target = q * total
        idx = np.minimum((cum < target).sum(axis=-1, keepdims=True), hist.shape[-1] - 1)
        before = np.take_along_axis(cum, idx, -1) - np.take_along_axis(hist, idx, -1)
        inbin = np.take_along_axis(hist, idx, -1)
        lo, hi = edges[idx], edges[np.minimum(idx + 1, len(edges) - 1)]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(inbin > 0, (target - before) / inbin, 0.0)
        val = np.where(idx == 0, 0.0, lo + np.clip(frac, 0, 1) * (hi - lo))[..., 0]  # bin 0 holds zero waits
        out.append(np.where(total[..., 0] > 0, val, np.nan))
    return out


class KpiAccumulator:
    """Sufficient statistics of one replication's KPIs, fed chunk by chunk."""

    def __init__(self, c: Compiled, level_names: list[str], terminal_names: list[str]) -> None:
        self.c = c
        self.levels, self.terminals = level_names, terminal_names
        self.S, self.C, self.P = len(c.segments), len(c.channels), len(c.pools)
        self.measured = measured_intervals(c)
        mode = self.mode = c.kpi.interval_kpis
        abs_idx = np.flatnonzero(self.measured)
        if mode == "absolute":
            self.I = len(abs_idx)
            self.slot = np.full(c.n_intervals, -1)
            self.slot[abs_idx] = np.arange(self.I)
            self.labels = [c.interval_label(int(k)) for k in abs_idx]
            starts = abs_idx * c.interval_s
            days = abs_idx // c.per_day + c.start_weekday
        else:
            week = 7 * c.per_day
            self.I = week
            self.slot = np.full(c.n_intervals, -1)
            self.slot[abs_idx] = (abs_idx + c.start_weekday * c.per_day) % week
            self.labels = [c.week_slot_label(k) for k in range(week)]
            starts = np.arange(week) * c.interval_s
            days = np.arange(week) // c.per_day
        self._interval_days = (starts, days)
        S, C, I, P = self.S, self.C, self.I, self.P  # noqa: E741 - I for intervals, as in the docs
        self.stats = np.zeros((len(FIELDS), S * C * I))
        self.busy = np.zeros((S * C * I, P))
        self.hist_fine = np.zeros((S * C, len(FINE_EDGES) - 1), dtype=np.int64)
        R = len(c.reasons)
        self.r_stats = np.zeros((len(FIELDS), S * R * C))
        self.r_busy = np.zeros((S * R * C, P))
        self.r_hist = np.zeros((S * R * C, len(FINE_EDGES) - 1), dtype=np.int64)
        self.r_need_counts = np.zeros((S, R, len(terminal_names)))
        self.hist_coarse = np.zeros((S * C * I, len(COARSE_EDGES) - 1), dtype=np.int32)
        self.pool_busy = np.zeros((P, c.n_intervals))
        self.pool_overtime = np.zeros((P, c.n_intervals))
        # need level, per segment and per funnel level
        self.need_counts = np.zeros((S, len(terminal_names)))
        self.need_repeats = np.zeros(S)
        self.need_complaints = np.zeros(S)
        self.need_other = np.zeros(S)
        self.need_busy = np.zeros((S, P))
        self.need_csat = np.zeros((S, 2))
        self.need_var = np.zeros(S)
        self.need_flags: dict[str, np.ndarray] = {}
        """Per segment sums of need-level counts of the relationship modes (issue 16)."""
        self.level_counts = np.zeros(len(level_names))
        self.level_other = np.zeros(len(level_names))
        self.level_busy = np.zeros((len(level_names), P))
        pools = c.pool_defs
        self.optional = frozenset({"balked"} if any(p.queue_cap is not None for p in pools) else set()) | frozenset(
            {"escalations"} if any(p.escalation is not None for p in pools) else set())
        """Contact metrics only scenarios with queue caps or escalation have (no empty rows otherwise)."""
        tiers = c.paid_tiers
        self.promise = any(t.promise is not None for t in tiers) or None
        # per tier (0: none): promise seconds, share and covered channels
        self.promise_s = np.array([np.inf] + [t.promise[0] if t.promise else np.inf for t in tiers])
        self.promise_share = np.array([0.0] + [t.promise[1] if t.promise else 0.0 for t in tiers])
        self.promise_channels = np.zeros((len(tiers) + 1, len(c.channels)), dtype=bool)
        for k, t in enumerate(tiers, start=1):
            if t.promise is not None:
                self.promise_channels[k] = t.promise_channels

    @functools.cached_property
    def interval_columns(self) -> pd.DataFrame:
        """The numeric columns beside each interval label of this replication's KPI rows (built when first read:
        a DataFrame costs ~1 ms, every replication, and ``overall`` never reads it)."""
        starts, days = self._interval_days
        return interval_columns(self.labels, starts, [WEEKDAYS[d % 7].capitalize() for d in days])

    # -- feeding ---------------------------------------------------------------------------------------
    def add_contacts(self, col: dict[str, np.ndarray]) -> None:
        """A chunk of finished contacts as numpy columns: the engine's (codes, ``pool`` -1 when not served,
        ``outcome`` handled/abandoned/unserved as 0/1/2, ``customer`` False for agent outreach) plus
        ``need_at``, ``level``, ``sl_threshold_s``, ``sl_target``, ``csat``, ``effort``, ``other_cost``,
        ``busy_s``."""
        c = self.c
        pool = col["pool"].astype(np.int64)
        busy_s = col["busy_s"]
        served = pool >= 0
        self._pool_time(pool, col["answered_at"], busy_s)
        mis_pool = col["misroute_pool"].astype(np.int64)
        mis = mis_pool >= 0
        if mis.any():  # the misroute talk with the wrong agent is agent time of that agent's pool
            self._pool_time(mis_pool, col["misroute_at"], col["misroute_s"])
        need_at = col["need_at"]
        in_win = (need_at >= c.warmup_s) & (need_at < c.horizon_s)
        seg = col["segment"].astype(np.int64)
        lvl = col["level"].astype(np.int64)
        other = col["other_cost"]
        L = len(self.levels)
        self.need_other += np.bincount(seg[in_win], other[in_win], minlength=self.S)
        self.level_other += np.bincount(lvl[in_win], other[in_win], minlength=L)
        for p_, b_, ok in ((pool, busy_s, served), (mis_pool, col["misroute_s"], mis)):
            sw = in_win & ok
            self.need_busy += np.bincount(seg[sw] * self.P + p_[sw], b_[sw],
                                          minlength=self.S * self.P).reshape(self.S, self.P)
            self.level_busy += np.bincount(lvl[sw] * self.P + p_[sw], b_[sw],
                                           minlength=L * self.P).reshape(L, self.P)

        arr = col["arrival_at"]
        k_abs = np.minimum((arr // c.interval_s).astype(np.int64), c.n_intervals - 1)
        slot = self.slot[k_abs]
        cust = col["customer"] & (arr >= c.warmup_s) & (arr < c.horizon_s) & (slot >= 0)
        if not cust.any():
            return
        pool, busy_s, slot, mis_pool = pool[cust], busy_s[cust], slot[cust], mis_pool[cust]
        mis_s = col["misroute_s"][cust]
        sc_key = seg[cust] * self.C + col["channel"][cust].astype(np.int64)
        key = sc_key * self.I + slot
        out = col["outcome"][cust]
        handled = out == 0
        wait0 = np.nan_to_num(col["wait_s"][cust])
        cb = col["callback"][cust]
        hold = ~cb  # callbacks do not wait on hold: their waits are reported apart
        handled_hold = handled & hold
        cols = {
            "offered": None, "handled": handled, "abandoned": out == 1, "unserved": out == 2,
            "waited": hold & (wait0 > 1e-9), "in_sl": handled_hold & (wait0 <= col["sl_threshold_s"][cust]),
            "wait_all": np.where(hold, wait0, 0.0), "wait_h": np.where(handled_hold, wait0, 0.0),
            "handle_h": np.where(handled, np.nan_to_num(col["handle_s"][cust]), 0.0),
            "resolved_h": handled & col["resolved"][cust], "sl_target": np.where(hold, col["sl_target"][cust], 0.0),
            "csat": col["csat"][cust], "effort": col["effort"][cust], "other_cost": other[cust],
            "prem": col["premium"][cust], "hold": hold, "handled_hold": handled_hold,
            "balked": col["balked"][cust], "escalated": col["escalated"][cust],
        }
        if cb.any():
            cols["callbacks"] = cb
            cols["cb_wait"] = np.where(cb & handled, wait0, 0.0)
        if self.promise is not None:
            tier = col["tier"][cust].astype(np.int64)
            covered = hold & self.promise_channels[tier, col["channel"][cust].astype(np.int64)]
            cols["prem_covered"] = covered
            cols["in_promise"] = covered & handled & (wait0 <= self.promise_s[tier])
            cols["promise_target"] = np.where(covered, self.promise_share[tier], 0.0)
        n = self.stats.shape[1]
        R = len(c.reasons)
        r_key = (seg[cust] * R + col["reason"][cust].astype(np.int64)) * self.C + col["channel"][cust].astype(np.int64)
        nr = self.r_stats.shape[1]
        for name, vals in cols.items():
            w = None if vals is None else np.asarray(vals, dtype=float)
            self.stats[F[name]] += np.bincount(key, weights=w, minlength=n)
            self.r_stats[F[name]] += np.bincount(r_key, weights=w, minlength=nr)
        for p_, b_ in ((pool, busy_s), (mis_pool, mis_s)):
            sv = p_ >= 0
            if not sv.any():
                continue
            self.busy += np.bincount(key[sv] * self.P + p_[sv], b_[sv], minlength=n * self.P).reshape(n, self.P)
            self.r_busy += np.bincount(r_key[sv] * self.P + p_[sv], b_[sv],
                                       minlength=nr * self.P).reshape(nr, self.P)
        handled = handled_hold  # wait percentiles: waits on hold
        hw = wait0[handled]
        nf, nc = self.hist_fine.shape[1], self.hist_coarse.shape[1]
        fb = np.clip(np.searchsorted(FINE_EDGES, hw, side="right") - 1, 0, nf - 1)
        # np.add.at costs in proportion to the contacts; a bincount would allocate the whole histogram
        np.add.at(self.hist_fine, (sc_key[handled], fb), 1)
        np.add.at(self.r_hist, (r_key[handled], fb), 1)
        cb = np.clip(np.searchsorted(COARSE_EDGES, hw, side="right") - 1, 0, nc - 1)
        np.add.at(self.hist_coarse, (key[handled], cb), np.int32(1))  # int32 like the histogram: 6x faster

    def _pool_time(self, pool: np.ndarray, start: np.ndarray, busy_s: np.ndarray) -> None:
        """Exact overlap of busy periods with the interval grid (integral of the busy count)."""
        grid = np.arange(self.c.n_intervals + 1) * self.c.interval_s
        for p in range(self.P):
            sel = pool == p
            if not sel.any():
                continue
            # starts come mostly in order (contacts are recorded as they are answered): a stable sort (adaptive)
            # takes 0.07 ms for 18k of them where the default takes 1.3 ms; the sorted values are the same
            s = np.sort(start[sel], kind="stable")
            e = np.sort(start[sel] + busy_s[sel])
            cs, ce = np.concatenate([[0.0], np.cumsum(s)]), np.concatenate([[0.0], np.cumsum(e)])
            ns, ne = np.searchsorted(s, grid), np.searchsorted(e, grid)
            self.pool_busy[p] += np.diff((grid * ns - cs[ns]) - (grid * ne - ce[ne]))

    def add_overtime(self, spans: list[tuple[int, float, float]]) -> None:
        """On-duty time of agents finishing contacts after their shift ended: (pool, from, to)."""
        grid = np.arange(self.c.n_intervals + 1) * self.c.interval_s
        for p, a, b in spans:
            self.pool_overtime[p] += np.clip(np.minimum(grid[1:], b) - np.maximum(grid[:-1], a), 0.0, None)

    def add_needs(self, segment: np.ndarray, reason: np.ndarray, level: np.ndarray, terminal: np.ndarray,
                  arrival_at: np.ndarray,
                  other_cost: np.ndarray, repeats: np.ndarray, complained: np.ndarray, csat: np.ndarray,
                  value_at_risk: np.ndarray) -> None:
        """Needs that reached their final state (codes index level_names / terminal_names)."""
        w = (arrival_at >= self.c.warmup_s) & (arrival_at < self.c.horizon_s)
        s, lv, t = segment[w].astype(np.int64), level[w].astype(np.int64), terminal[w].astype(np.int64)
        S, T, L, R = self.S, len(self.terminals), len(self.levels), len(self.c.reasons)
        self.need_counts += np.bincount(s * T + t, minlength=S * T).reshape(S, T)
        self.r_need_counts += np.bincount((s * R + reason[w].astype(np.int64)) * T + t,
                                          minlength=S * R * T).reshape(S, R, T)
        self.level_counts += np.bincount(lv, minlength=L)
        self.need_other += np.bincount(s, other_cost[w], minlength=S)
        self.level_other += np.bincount(lv, other_cost[w], minlength=L)
        self.need_repeats += np.bincount(s, repeats[w], minlength=S)
        self.need_complaints += np.bincount(s, complained[w], minlength=S)
        has = ~np.isnan(csat[w])
        self.need_csat[:, 0] += np.bincount(s[has], csat[w][has], minlength=S)
        self.need_csat[:, 1] += np.bincount(s[has], minlength=S)
        self.need_var += np.bincount(s, value_at_risk[w], minlength=S)

    def add_need_flags(self, segment: np.ndarray, arrival_at: np.ndarray, flags: dict[str, np.ndarray]) -> None:
        """Sum per-need numbers (e.g. automated, forum posts, moderator hours) per segment; they become need
        rows of the same name."""
        w = (arrival_at >= self.c.warmup_s) & (arrival_at < self.c.horizon_s)
        s = segment[w].astype(np.int64)
        for name, vals in flags.items():
            acc = self.need_flags.setdefault(name, np.zeros(self.S))
            acc += np.bincount(s, np.asarray(vals, dtype=float)[w], minlength=self.S)

    # -- results ---------------------------------------------------------------------------------------
    def _pool_time_measured(self, p: int) -> tuple[np.ndarray, np.ndarray, float, float, float]:
        """Pool ``p`` per measured interval: on-duty and busy agent-seconds; its paid seconds, its occupancy over
        the measured window and the staff cost per busy second (allocated over the agent-time of contacts whose
        need arrived in the measured window, so the per-segment and per-level shares add up to exactly the
        staff cost)."""
        c, cp, m = self.c, self.c.pool_defs[p], self.measured
        grid = np.arange(c.n_intervals + 1) * c.interval_s
        t, a = cp.change_times, cp.change_agents
        pts = np.unique(np.concatenate([t, grid]))
        pts = pts[(pts >= 0) & (pts <= grid[-1])]
        lvl = a[np.searchsorted(t, pts[:-1], side="right") - 1]
        duty_cum = np.concatenate([[0.0], np.cumsum(lvl * np.diff(pts))])
        duty = (np.diff(np.interp(grid, pts, duty_cum)) + self.pool_overtime[p])[m]
        # cumulative sums cancel to tiny negatives (or excesses) in idle or full intervals: round those off,
        # but never a real excess of busy over on-duty time (the engine's tests check there is none)
        busy = np.maximum(self.pool_busy[p][m], 0.0)
        cap = duty * cp.concurrency
        busy = np.where((busy > cap) & (busy <= cap * (1 + 1e-9) + 1e-6), cap, busy)
        paid = duty.sum() * (cp.paid_per_duty / (1 - cp.shrinkage))  # breaks, absence, adherence, then shrinkage
        allocated = self.need_busy[:, p].sum()
        rate = paid / 3600.0 * cp.hourly_cost / allocated if allocated > 0 else 0.0
        occupancy = busy.sum() / (duty.sum() * cp.concurrency) if duty.sum() > 0 else np.nan
        return duty, busy, paid, occupancy, rate

    def pool_frame(self) -> tuple[pd.DataFrame, np.ndarray]:
        """Pool rows (pool and pool x interval) and the staff cost per busy second of each pool."""
        c = self.c
        rows, rate = [], np.zeros(self.P)
        m = self.measured
        for p, cp in enumerate(c.pool_defs):
            duty, busy, paid, occupancy, rate[p] = self._pool_time_measured(p)
            slot = self.slot[np.flatnonzero(m)]
            duty_i = np.bincount(slot, weights=duty, minlength=self.I)
            busy_i = np.bincount(slot, weights=busy, minlength=self.I)
            occurrences = np.bincount(slot, minlength=self.I)
            gross = cp.paid_per_duty / (1 - cp.shrinkage)  # breaks, absence, adherence, then shrinkage
            staff_cost = paid / 3600.0 * cp.hourly_cost
            slots_k = cp.concurrency
            with np.errstate(invalid="ignore", divide="ignore"):
                occ_i = np.where(duty_i > 0, busy_i / (duty_i * slots_k), np.nan)
                agents_i = duty_i / (c.interval_s * np.maximum(occurrences, 1))
            rows.append(pd.DataFrame({
                "pool": cp.name, "interval": self.labels, "occupancy": occ_i, "agents": agents_i,
                "paid_hours": duty_i * gross / 3600.0, "busy_hours": busy_i / 3600.0,
                "staff_cost": duty_i * gross / 3600.0 * cp.hourly_cost,
            }))
            rows.append(pd.DataFrame({
                "pool": [cp.name], "interval": [ALL],
                "occupancy": [occupancy],
                "agents": [duty.sum() / (c.interval_s * m.sum())], "paid_hours": [paid / 3600.0],
                "busy_hours": [busy.sum() / 3600.0], "staff_cost": [staff_cost],
            }))
        df = pd.concat(rows, ignore_index=True)
        df["segment"], df["channel"] = ALL, ALL
        return df, rate

    def overall(self) -> tuple[dict[str, float], np.ndarray]:
        """The contact KPIs of all segments and channels over the measured window (``finish``'s rows with
        segment, channel and interval ``all``) and each pool's occupancy (its ``all`` row), the same numbers
        without building any frame: ``finish`` costs ~20 ms a replication whatever its length, which is most
        of the time of a sweep of many short replications (``fcfs_scenario.kpis``)."""
        S, C, I = self.S, self.C, self.I  # noqa: E741
        totals = [self._pool_time_measured(p) for p in range(self.P)]
        rate = np.array([t[4] for t in totals])
        occupancy = np.array([t[3] for t in totals])
        _, m = _rollup(self.stats.reshape(len(FIELDS), S, C, I), (self.busy @ rate).reshape(S, C, I),
                       self.hist_fine.reshape(S, C, 1, -1), FINE_EDGES, ("segment", "channel", "interval"),
                       (self.c.segments, self.c.channels, self.labels), (), self.promise, self.optional)
        empty = {k: 0.0 if k in COUNT_METRICS else np.nan for k in m}  # nothing offered: as RunResult.values
        return {k: float(v[0]) if len(v) else empty[k] for k, v in m.items()}, occupancy

    def _contact_long(self, rate: np.ndarray) -> tuple[np.ndarray, ...]:
        """The contact KPI rows in long form (segment, channel, interval, metric, value), built as arrays."""
        c, S, C, I = self.c, self.S, self.C, self.I  # noqa: E741
        stats = self.stats.reshape(len(FIELDS), S, C, I)
        busy_cost = (self.busy @ rate).reshape(S, C, I)
        fine = self.hist_fine.reshape(S, C, 1, -1)
        coarse = self.hist_coarse.reshape(S, C, I, -1)
        parts = []
        for keys in CONTACT_SETS:
            hist, edges = (coarse, COARSE_EDGES) if "interval" in keys else (fine, FINE_EDGES)
            parts.append(_rollup(stats, busy_cost, hist, edges, ("segment", "channel", "interval"),
                                 (c.segments, c.channels, self.labels), keys, self.promise, self.optional))
        return _long(parts)

    def reason_frame(self, rate: np.ndarray) -> pd.DataFrame:
        """KPIs by contact reason (whole horizon): contacts per segment x reason x channel and their
        roll-ups, and needs by terminal state per segment x reason."""
        c, S, R, C = self.c, self.S, len(self.c.reasons), self.C
        stats = self.r_stats.reshape(len(FIELDS), S, R, C)
        busy_cost = (self.r_busy @ rate).reshape(S, R, C)
        hist = self.r_hist.reshape(S, R, C, -1)
        parts = [_rollup(stats, busy_cost, hist, FINE_EDGES, ("segment", "reason", "channel"),
                         (c.segments, c.reasons, c.channels), keys, self.promise, self.optional)
                 for keys in (("reason",), ("segment", "reason"), ("reason", "channel"),
                              ("segment", "reason", "channel"))]
        seg, rea, ch, metric, value = _long(parts)
        contacts = pd.DataFrame({"segment": seg, "reason": rea, "channel": ch, "metric": metric, "value": value})
        rows = []
        for j, r in enumerate(c.reasons):
            for name, sl in [(ALL, slice(None))] + [(x, slice(i, i + 1)) for i, x in enumerate(c.segments)]:
                counts = self.r_need_counts[sl, j].sum(axis=0)
                rows.append((name, r, ALL, "needs", float(counts.sum())))
                rows += [(name, r, ALL, f"needs_{t}", float(counts[k])) for k, t in enumerate(self.terminals)]
        needs = pd.DataFrame(rows, columns=["segment", "reason", "channel", "metric", "value"])
        return pd.concat([contacts, needs], ignore_index=True).dropna(subset=["value"])

    def need_rows(self, rate: np.ndarray, staff_cost_total: float, fixed_cost: float,
                  revenue: dict[str, float], expected_needs: np.ndarray | None = None) -> pd.DataFrame:
        rows = []
        seg_cost = self.need_other + self.need_busy @ rate
        resolved_idx = [self.terminals.index(t) for t in ("prevented", "proactive_resolved", "self_served",
                                                          "resolved")]
        groups = [(ALL, slice(None))] + [(s, slice(i, i + 1)) for i, s in enumerate(self.c.segments)]
        for name, sl in groups:
            counts = self.need_counts[sl].sum(axis=0)
            needs = counts.sum()
            if name == ALL:
                cost = staff_cost_total + self.need_other.sum() + fixed_cost
                rev = sum(revenue.values())
            else:
                cost = float(seg_cost[sl].sum())
                rev = revenue.get(name, 0.0)
            resolved = counts[resolved_idx].sum()
            csat_sum, csat_n = self.need_csat[sl].sum(axis=0)
            vals = {
                "needs": needs,
                **{f"needs_{t}": counts[i] for i, t in enumerate(self.terminals)},
                "conservation_gap": (float(expected_needs[sl].sum()) - needs if expected_needs is not None
                                     else np.nan),
                "repeat_contacts": self.need_repeats[sl].sum(), "complaints": self.need_complaints[sl].sum(),
                "cost": cost, "cost_per_resolved_need": cost / resolved if resolved else np.nan,
                "revenue": rev, "net_cost": cost - rev,
                "need_csat": csat_sum / csat_n if csat_n else np.nan, "value_at_risk": self.need_var[sl].sum(),
                **{k: v[sl].sum() for k, v in self.need_flags.items()},
            }
            rows += [(name, ALL, ALL, ALL, k, float(v)) for k, v in vals.items()]
        return pd.DataFrame(rows, columns=[*KEYS, "metric", "value"])

    def waterfall(self, rate: np.ndarray, fixed_cost: float) -> pd.DataFrame:
        cost = self.level_other + self.level_busy @ rate
        cost[0] += fixed_cost
        return pd.DataFrame({"level": self.levels, "needs": self.level_counts, "cost": cost})

    def member_contacts(self) -> dict[str, float]:
        """Premium members' customer contacts per segment (for per-contact fees)."""
        per_seg = self.stats[F["prem"]].reshape(self.S, -1).sum(axis=1)
        return dict(zip(self.c.segments, per_seg.tolist(), strict=True))

    def finish(self, replication: int, fixed_cost: float, revenue: dict[str, float],
               expected_needs: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Tidy KPIs (replication, segment, channel, pool, interval, metric, value), the waterfall and the
        KPIs by reason (replication, segment, reason, channel, metric, value)."""
        pools, rate = self.pool_frame()
        staff_total = float(pools.loc[pools["interval"] == ALL, "staff_cost"].sum())
        # one frame built from arrays (a melt of the wide tables, then dropping empty values, cost more than
        # the KPIs themselves): contact rows, pool rows, need rows, in that order
        seg, ch, iv, metric, value = self._contact_long(rate)
        others = pd.concat([pools.melt(id_vars=KEYS, var_name="metric", value_name="value"),
                            self.need_rows(rate, staff_total, fixed_cost, revenue,
                                           None if expected_needs is None else np.asarray(expected_needs, float))],
                           ignore_index=True)
        cols = {"segment": [seg], "channel": [ch], "pool": [np.full(len(seg), ALL, dtype=object)],
                "interval": [iv], "metric": [metric], "value": [value]}
        for k, parts in cols.items():
            parts.append(others[k].to_numpy(dtype=float if k == "value" else object))
        joined = {k: np.concatenate(parts) for k, parts in cols.items()}
        keep = ~np.isnan(joined["value"])
        long = pd.DataFrame({"replication": replication} | {k: v[keep] for k, v in joined.items()})
        long = with_interval_columns(long, self.interval_columns)
        wf = self.waterfall(rate, fixed_cost)
        wf.insert(0, "replication", replication)
        by_reason = self.reason_frame(rate)
        by_reason.insert(0, "replication", replication)
        return long.reset_index(drop=True), wf, by_reason


def _rollup(stats: np.ndarray, busy_cost: np.ndarray, hist: np.ndarray, edges: np.ndarray,
            axes: tuple[str, str, str], names: tuple[list[str], ...], keys: tuple[str, ...],
            promise: bool | None, optional: frozenset[str] = frozenset()
            ) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """KPIs of one grouping set: sum the axes not in ``keys`` and turn sums into rates and percentiles;
    returns the rows' three key columns and the metrics by name (rows with something offered).

    ``stats`` is [field, a0, a1, a2], ``busy_cost`` [a0, a1, a2], ``hist`` [a0, a1, a2 or 1, bins].
    """
    summed = tuple(ax for ax, k in enumerate(axes) if k not in keys)
    st_ = stats.sum(axis=tuple(a + 1 for a in summed), keepdims=True)
    bc = busy_cost.sum(axis=summed, keepdims=True)
    h = hist.sum(axis=tuple(a for a in summed if hist.shape[a] > 1), keepdims=True)
    shape = st_.shape[1:]
    h = np.broadcast_to(h, (*shape, h.shape[-1])) if h.shape[:-1] != shape else h
    labels = [np.array(n, dtype=object) if k in keys else np.array([ALL], dtype=object) for k, n in zip(axes, names,
                                                                                                     strict=True)]
    grid = np.meshgrid(*labels, indexing="ij")
    v = {f: st_[F[f]].ravel() for f in FIELDS}
    offered = v["offered"]
    with np.errstate(invalid="ignore", divide="ignore"):
        hd = np.where(v["handled"] > 0, v["handled"], np.nan)
        hh = np.where(v["handled_hold"] > 0, v["handled_hold"], np.nan)
        of = np.where(offered > 0, offered, np.nan)
        ho = np.where(v["hold"] > 0, v["hold"], np.nan)
        sl = v["in_sl"] / ho
        p50, p90, p95 = (q.ravel() for q in _quantiles(h, edges, (0.5, 0.9, 0.95)))
        m = {
            "offered": offered, "handled": v["handled"], "abandoned": v["abandoned"], "unserved": v["unserved"],
            "p_wait": v["waited"] / ho, "mean_wait_s": v["wait_all"] / ho, "asa_s": v["wait_h"] / hh,
            "aht_s": v["handle_h"] / hd, "fcr": v["resolved_h"] / hd, "csat": v["csat"] / of,
            "effort": v["effort"] / of, "cost_per_contact": (v["other_cost"] + bc.ravel()) / of,
            "wait_p50_s": p50, "wait_p90_s": p90, "wait_p95_s": p95, "abandon_rate": v["abandoned"] / of,
            "service_level": sl, "sl_target_met": np.where(np.isnan(sl), np.nan,
                                                            (sl >= v["sl_target"] / ho - 1e-12).astype(float)),
        }
        if v["callbacks"].any():
            m["callbacks"] = v["callbacks"]
            m["callback_wait_s"] = v["cb_wait"] / np.where(v["callbacks"] > 0, v["callbacks"], np.nan)
        if "balked" in optional:
            m["balked"] = v["balked"]
        if "escalations" in optional:
            m["escalations"] = v["escalated"]
        if promise is not None:
            covered = v["prem_covered"]
            m["promise_level"] = v["in_promise"] / np.where(covered > 0, covered, np.nan)
            target = v["promise_target"] / np.where(covered > 0, covered, np.nan)
            m["promise_met"] = np.where(covered > 0, (m["promise_level"] >= target - 1e-12).astype(float),
                                        np.nan)
    keep = offered > 0
    return [g.ravel()[keep] for g in grid], {k: np.asarray(x, dtype=float)[keep] for k, x in m.items()}


def _long(parts: list[tuple[list[np.ndarray], dict[str, np.ndarray]]]) -> tuple[np.ndarray, ...]:
    """Grouping sets' (keys, metrics) in long form — the three key columns, metric, value — in the order of
    concatenating the sets' wide tables and melting them (metric by metric, each over every set's rows);
    empty (NaN) values are left out."""
    names = list(dict.fromkeys(k for _, m in parts for k in m))
    n_rows = sum(len(keys[0]) for keys, _ in parts)
    keys = [np.concatenate([p[0][a] for p in parts]) for a in range(3)]
    value = np.concatenate([m[k] if k in m else np.full(len(ks[0]), np.nan) for k in names for ks, m in parts])
    metric = np.repeat(np.array(names, dtype=object), n_rows)
    keep = ~np.isnan(value)
    return (*(np.tile(k, len(names))[keep] for k in keys), metric[keep], value[keep])


SHARE_METRICS = {"service_level", "abandon_rate", "p_wait", "fcr", "sl_target_met", "promise_level", "promise_met",
                 "occupancy", "sl_acd", "backlog_sla", "resolution_sla"}
"""KPIs that are shares of something: their confidence intervals are clipped to [0, 1]."""
SIGNED_METRICS = {"net_cost", "conservation_gap"}
"""KPIs that may be negative (revenue above cost; a bookkeeping difference)."""


def feasible_range(metric: str) -> tuple[float, float]:
    """The values a KPI can take: shares in [0, 1], CSAT in [1, 5], times, counts and costs >= 0.

    Unknown metrics of a signed kind are left unbounded (-inf, inf).
    """
    if metric in SHARE_METRICS or metric.endswith(("_rate", "_share")):
        return 0.0, 1.0
    if metric in ("csat", "need_csat"):
        return 1.0, 5.0
    if metric in SIGNED_METRICS or metric.startswith(("diff_", "delta_")):
        return -np.inf, np.inf
    if metric in COUNT_METRICS or metric.endswith(("_s", "_h", "_hours", "_cost", "cost", "_need", "_contact")) \
            or metric in ("effort", "value_at_risk"):
        return 0.0, np.inf
    return -np.inf, np.inf


def _by_replication(kpis: pd.DataFrame, cols: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct ``cols`` rows of ``kpis`` and their values per replication (sorted), NaN where a row has
    none; what ``pivot_table(index=cols, columns="replication", aggfunc="first")`` gives (rows with no value
    left out, rows with a missing key too), in no particular row order, without its cost."""
    if kpis.empty:  # no rows, no replications: the pivot's empty frame (a reshape to (-1, 0) would raise)
        return pd.DataFrame({c: kpis[c] for c in cols}), np.zeros((0, 0))
    reps = np.sort(kpis["replication"].unique())
    codes, uniques = zip(*(pd.factorize(kpis[c]) for c in cols), strict=True)
    value = kpis["value"].to_numpy(dtype=float)
    ok = np.logical_and.reduce([k >= 0 for k in codes]) & ~np.isnan(value)
    group, row = np.unique(np.ravel_multi_index([k[ok] for k in codes], [max(len(u), 1) for u in uniques]),
                           return_inverse=True)
    cell = row * len(reps) + np.searchsorted(reps, kpis["replication"].to_numpy()[ok])
    cells, first = np.unique(cell, return_index=True)  # the first value of each row and replication
    vals = np.full(len(group) * len(reps), np.nan)
    vals[cells] = value[ok][first]
    at = np.unravel_index(group, [max(len(u), 1) for u in uniques])
    return pd.DataFrame({c: u.take(a) for c, u, a in zip(cols, uniques, at, strict=True)}), vals.reshape(-1, len(reps))


def summarise(kpis: pd.DataFrame, confidence: float = 0.95, scenario: str = "",
              keys: list[str] | None = None) -> pd.DataFrame:
    """Mean and Student-t confidence interval across replications for every KPI row.

    A group missing in a replication counts as 0 for count metrics (nothing happened) and is left out
    for rates and means (undefined); ``n`` says how many replications a row rests on.
    """
    keys = KEYS if keys is None else keys
    out, vals = _by_replication(kpis, [*keys, "metric"])
    is_count = out["metric"].isin(list(COUNT_METRICS)).to_numpy()
    vals[is_count] = np.where(np.isnan(vals[is_count]), 0.0, vals[is_count])  # no row: nothing happened
    mean, half, n = mean_ci_rows(vals, confidence)
    out.insert(0, "scenario", scenario)
    # a t-interval can leave the KPI's feasible range (an SL of 98% +- 4%): clip it to the range
    bounds = {m: feasible_range(m) for m in out["metric"].unique()}
    lo = out["metric"].map({m: b[0] for m, b in bounds.items()}).to_numpy(dtype=float)
    hi = out["metric"].map({m: b[1] for m, b in bounds.items()}).to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        out["mean"], out["ci_low"], out["ci_high"], out["n"] = (mean, np.maximum(mean - half, lo),
                                                                np.minimum(mean + half, hi), n)
    out = out.sort_values(["metric", *keys], kind="stable").reset_index(drop=True)
    if "interval" in keys and all(k in kpis.columns for k in INTERVAL_COLUMNS):
        out = with_interval_columns(out, interval_table(kpis))
    return out
