"""The SimPy engine: contacts wait for agents of a pool, abandon, are served, resolved or come back.

Design for speed and bounded memory (issues 8 and 9): needs arrive in blocks (a day at a time) with
everything drawn at birth already fixed; there is no generator process or ``Condition`` per contact.
Each pool is a dispatcher over a heap of waiting contacts; abandonment and overflow are scheduled
deadlines cancelled lazily (a deadline that fires for a contact no longer waiting does nothing). A
served contact costs one event (its agent's release). A contact is a small slotted object that lives
only while it can still change; once its outcome is known it moves to the ``done`` buffer, which the
caller flushes into numpy columns, so memory follows the contacts in the system, not the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from heapq import heappop
from itertools import chain, repeat
from operator import attrgetter

import numpy as np

from contactsim.arrivals import Needs, U
from contactsim.contact import (
    ABANDONED,
    ESCALATION,
    ESCALATION_INDEX,
    FIRST,
    KIND_NAMES,
    NEED_ABANDONED,
    NEED_CENSORED,
    NEED_UNSERVED,
    OUTCOME_OF_STATE,
    OUTREACH,
    PENDING,
    RESOLVED,
    RETRIAL,
    SERVED,
    SWITCH_INDEX,
    UNRESOLVED,
    UNSERVED,
    WAITING,
    WEBCARE,
    Contact,
)
from contactsim.funnel import DEFER_SPREAD_S, FunnelResult
from contactsim.kernel import LATE, Kernel
from contactsim.policies import Ageing, Fcfs, StrictPriority, make_discipline
from contactsim.policies.followups import OUTREACH_INDEX, Callback, FollowUp, Misroute, Repeat, Retrial, Webcare
from contactsim.policies.omnichannel import build_channel_switch, build_follow_up_factors, build_queue_caps
from contactsim.policies.skills import Escalation, build_escalations, build_skills
from contactsim.pools import AgentPool
from contactsim.records import ENGINE_COLUMNS, INFO_FIELDS
from contactsim.rng import keyed_uniforms
from contactsim.scenario.compiled import Compiled

__all__ = ["ABANDONED", "ESCALATION", "KIND_NAMES", "NEED_ABANDONED", "NEED_CENSORED", "NEED_UNSERVED", "OUTREACH",
           "RESOLVED", "SERVED", "UNRESOLVED", "Engine", "Flushed"]


@dataclass
class Flushed:
    """What left the system since the last flush."""

    contacts: dict[str, np.ndarray]
    final_needs: np.ndarray
    """Global ids of needs that reached their final state."""
    final_codes: np.ndarray
    repeats: np.ndarray
    complained: np.ndarray
    overtime: list[tuple[int, float, float]]
    """(pool, from, to): agents finishing contacts after their shift ended (on duty, paid)."""


@dataclass
class _Fed:
    """Contacts fed in one bulk call (ids ``lo`` .. ``lo + n - 1``) and the arrays they were made from: their
    fixed fields (record columns, ``INFO_FIELDS`` included) are gathered from here by id at flush."""

    lo: int
    n: int
    cols: dict[str, np.ndarray]
    open: int
    """Contacts of this feed not flushed yet; the arrays are dropped when it reaches 0."""


_BY_ARR = attrgetter("arr")
_INPUTS = {"id", "need", "kind", "attempt", "retr", "rep", "seg", "rea", "ch", "prem", "arr"}
"""Slotted fields fixed at birth. For contacts fed in bulk they are not read back off the objects at flush:
the block's arrays they were made from (``_Fed``) are gathered by contact id instead; only the outcome
fields are read off every contact."""
_SLOTTED = [c for c in ENGINE_COLUMNS if c[1] in Contact.__slots__]
_OUT_FLOATS = [(name, attr) for name, attr, dt in _SLOTTED if dt is float and attr not in _INPUTS]
_OUT_INTS = [(name, attr, dt) for name, attr, dt in _SLOTTED if dt is not float and attr not in _INPUTS]
_IN_FLOATS = [(name, attr) for name, attr, dt in _SLOTTED if dt is float and attr in _INPUTS]
_IN_INTS = [(name, attr, dt) for name, attr, dt in _SLOTTED if dt is not float and attr in _INPUTS and attr != "id"]
_READ_OUT_FLOATS = attrgetter(*(attr for _, attr in _OUT_FLOATS))
_READ_OUT_INTS = attrgetter(*(attr for _, attr, _ in _OUT_INTS))
_READ_IN_FLOATS = attrgetter(*(attr for _, attr in _IN_FLOATS), "queued_at0")
_READ_IN_INTS = attrgetter(*(attr for _, attr, _ in _IN_INTS))
_FIXED = frozenset([*(name for name, _ in _IN_FLOATS), *(name for name, _, _ in _IN_INTS),
                    *(name for name, _ in INFO_FIELDS)])
"""The record columns a bulk feed's arrays must hold (``_Fed.cols``): one missing would be left unset."""
_RARE = [(name, attr, dt) for name, attr, dt in ENGINE_COLUMNS if attr not in Contact.__slots__]
"""The record batch is read off the contacts in two passes over the slotted outcome fields (floats, then
integer codes and flags) rather than one pass per column; the rarely set fields (IVR, misroute, callback …)
live in an instance dict only when set, so they are read only from the contacts that have one (the rest hold
the class defaults)."""
_ID = attrgetter("id")
_INFO = attrgetter("info")
_DICT = attrgetter("__dict__")
_HEAP_RELEASE = (Fcfs, StrictPriority, Ageing)
"""The exact discipline classes whose queue ``_release``'s lean path pops directly (``policies.base.pop_live``
inlined on the heap the engine holds): each is one ``HeapDiscipline`` heap whose identity never changes. Any
other class, a subclass of these included, is served through ``pool.queue.pop``."""
_OUTCOME = np.full(max(OUTCOME_OF_STATE) + 1, -1, dtype=np.int8)
for _state, _code in OUTCOME_OF_STATE.items():
    _OUTCOME[_state] = _code


class Engine:
    lean: bool = True
    """Take the lean copies (``_arrive_plain``, ``_start_lean``, the heap path of ``_release``) where they apply;
    False forces the general paths everywhere (tests/unit/test_lean_guard.py: both give the same results)."""

    def __init__(self, c: Compiled, seed: int, rep: int) -> None:
        self.c = c
        self.kernel = Kernel()
        self.pools = [AgentPool(cp, make_discipline(cp, self._expired)) for cp in c.pool_defs]
        self.routes = c.routes
        # issue 16 rule units (policies/skills.py, policies/omnichannel.py): the engine asks, then acts
        self.skills = build_skills(c)
        self.always_resolved = self.skills.always_resolved
        self._fcr, self._seg_res = self.skills.fcr, self.skills.segment_factor
        self.escalation = build_escalations(c)
        self.caps = build_queue_caps(c)
        self.factors = build_follow_up_factors(c)
        self.switch = build_channel_switch(
            c, lambda i, j, k: (j, k) in c.handle and bool(c.routes.get((i, j, k, 1))))
        am = c.rules.account_manager
        self.am_pool = c.rules.account_manager_pool
        self.am_message = am is not None and am.continuity == "message"
        self.abandons = c.channel_abandons
        self.handle = c.handle
        self.patience = c.patience
        self.ss_hfac = c.ss_handle_factor.tolist()
        self.ss_pfac = c.ss_patience_factor.tolist()
        # follow-up rules: each returns what should happen next, the engine acts on it
        self.retrial = Retrial(c)
        self.repeat = Repeat(c)
        self.webcare = Webcare(c)
        self.callback = Callback(c, [c.callback_hours.close_at(k) for k in range(len(c.channels))])
        self.misroute = Misroute(c)
        self.cb_channels = self.callback.channels
        wc = c.rules.webcare
        cb = c.rules.callback
        self.next_id = 0
        self.arrivals: list[Contact] = []
        """Fed contacts sorted by arrival; ``next_arrival`` is the next to arrive."""
        self.next_arrival = 0
        self.done: list[Contact] = []
        self._fed: list[_Fed] = []
        """Bulk feeds with contacts not flushed yet, in id order (``feed``; ``flush`` reads their arrays)."""
        self.final: list[tuple[int, int, int]] = []
        """(need, final state, repeat contacts made) of needs that reached their final state."""
        self.complained: set[int] = set()
        self._samplers: dict = {}
        for pool in self.pools:
            for t, group, n in pool.cp.staff_events:
                self.kernel.at(t, self._staff, (pool, group, n))
        # bound methods made once: creating one per scheduled event is measurable on the hot path
        self._arrive_cb, self._release_cb, self._abandon_cb = self._arrive_now, self._release, self._abandon
        self._overflow_cb, self._requeue_cb = self._overflow, self._requeue
        # Lazy abandonment: with no retrials, webcare, callbacks or IVR transfers, nothing happens at the
        # moment a caller hangs up except that it is no longer in the queue; so instead of an event per
        # queued contact, its deadline is checked whenever an agent looks at the queue (exact: the same
        # contacts are served at the same times, and the abandonment time is the deadline itself).
        simple = wc is None and cb is None and c.rules.ivr is None
        self._open_fns = [c.opening.open_at(k) for k in range(len(c.channels))]  # follow-ups: next opening
        simple = simple and not self.caps.any  # a cap needs the true queue length
        self.lazy_abandon = [simple and r is None for r in self.retrial.rules]
        # Lean paths, chosen once per pool (issue 14): a pool with no escalation, no shared chats and no
        # IVR misroutes starts a contact without those checks; a one-contact-per-agent FCFS-like pool
        # (one heap, no reserve, not the advisors) releases its agent straight to the heap's next contact
        # with a reusable timer per agent. The lean paths do exactly what the full ones do for such pools.
        misroutes = c.rules.ivr is not None
        self._plain_arrive = self.lean and self.am_pool < 0 and not self.caps.any and not self.am_message \
            and not self.cb_channels
        for pool in self.pools:
            p = pool.cp.index
            lean = self.lean and self.escalation[p] is None and not pool.shared and not misroutes
            pool.start = self._start_lean if lean else self._start
            pool.hfac = self.skills.handle_factor[p]
            pool.fcr = self._fcr[p]
            if lean and pool.k == 1 and p != self.am_pool and type(pool.queue) in _HEAP_RELEASE:
                pool.heap = pool.queue.heap

    # -- feeding and flushing --------------------------------------------------------------------------
    def feed(self, needs: Needs, f: FunnelResult, need_offset: int, level: np.ndarray,
             select: np.ndarray | None = None, outreach: bool = True) -> None:
        """Add assisted contacts of a block (all, or the positions ``select`` into the funnel's contact
        arrays, e.g. the next few hours) and, with ``outreach``, the block's proactive agent outreach."""
        now = self.kernel.now
        pos = np.arange(f.contact_need.size) if select is None else select
        at = np.maximum(f.contact_at[pos] + f.ivr_s[pos], now)
        order = np.argsort(at, kind="stable")
        # everything below is in arrival order (contact ids are given in that order)
        pos, at = pos[order], at[order]
        idx = f.contact_need[pos]
        n = idx.size
        u = needs.u[idx]
        us = np.stack([u[:, U["fcr"]], u[:, U["retrial"]], u[:, U["acw"]], u[:, U["complaint"]],
                       u[:, U["callback"]]], axis=1).tolist()
        seg_a, rea_a, ch_a = needs.segment[idx].astype(np.int64), needs.reason[idx].astype(np.int64), f.channel[pos]
        prem_a = f.customers.profile[idx].astype(np.int64)
        routes = self._routes_of(seg_a, rea_a, ch_a.astype(np.int64), prem_a)
        acw0 = self._first_choice_acw(routes, u[:, U["acw"]])
        cid = self.next_id
        batch = list(map(Contact, range(cid, cid + n), (idx + need_offset).tolist(), seg_a.tolist(), rea_a.tolist(),
                         ch_a.tolist(), at.tolist(), f.patience_s[pos].tolist(), f.handle_s[pos].tolist(),
                         repeat(FIRST, n), repeat(1, n), prem_a.tolist(), us, repeat(None, n), routes, acw0.tolist(),
                         needs.key[idx].tolist()))
        self.next_id = cid + n
        if n:
            fixed = {"need_id": idx + need_offset, "kind": np.broadcast_to(np.int64(FIRST), (n,)),
                     "attempt": np.broadcast_to(np.int64(1), (n,)), "retrial": np.broadcast_to(np.int64(0), (n,)),
                     "repeat": np.broadcast_to(np.int64(0), (n,)), "segment": seg_a, "reason": rea_a, "channel": ch_a,
                     "profile": prem_a, "arrival_at": at, "need_at": needs.arrival_at[idx], "level": level[idx],
                     "self_service_failed": f.ss_attempted[idx], "channel_fit": f.channel_fit[idx],
                     "steering_effort": f.steering_effort[idx]}
            assert fixed.keys() == _FIXED, sorted(fixed.keys() ^ _FIXED)  # a new record column: add it here
            self._fed.append(_Fed(cid, n, fixed, n))
        if self.am_pool >= 0:
            advisor = f.customers.advisor[idx]
            for k in np.flatnonzero(advisor >= 0).tolist():
                batch[k].advisor = int(advisor[k])
        misrouted, ivr_s = f.misrouted[pos], f.ivr_s[pos]
        special = np.flatnonzero(misrouted | (ivr_s > 0))
        for k in special.tolist():
            ct = batch[k]
            ct.misroute = bool(misrouted[k])
            ct.ivr = float(ivr_s[k])
        rest = self.arrivals[self.next_arrival:]
        self.arrivals = sorted(rest + batch, key=_BY_ARR) if rest else batch
        self.next_arrival = 0
        if not outreach:
            return
        for need, t, pool, h in zip(f.outreach_need.tolist(), f.outreach_at.tolist(), f.outreach_pool.tolist(),
                                    f.outreach_handle_s.tolist(), strict=True):
            ch0 = self.c.pool_defs[pool].channels[0]
            need_info = (float(needs.arrival_at[need]), int(level[need]), bool(f.ss_attempted[need]),
                         float(f.channel_fit[need]), float(f.steering_effort[need]))
            key = int(needs.key[need])
            self._new_contact(need + need_offset, int(needs.segment[need]), int(needs.reason[need]),
                              int(f.customers.profile[need]), ch0, max(t, now), math.inf, h, OUTREACH, 1, need_info,
                              keyed_uniforms(key, OUTREACH_INDEX, 5), key, forced_pool=pool)

    def _routes_of(self, seg: np.ndarray, rea: np.ndarray, ch: np.ndarray, prem: np.ndarray) -> list:
        """Each contact's route (``Compiled.routes[(segment, reason, channel, profile)]``), looked up once per
        distinct key."""
        if not seg.size:
            return []
        dims = [int(a.max()) + 1 for a in (rea, ch, prem)]
        code = ((seg * dims[0] + rea) * dims[1] + ch) * dims[2] + prem
        _, first, inv = np.unique(code, return_index=True, return_inverse=True)
        table = [self.routes[(int(seg[k]), int(rea[k]), int(ch[k]), int(prem[k]))] for k in first.tolist()]
        return [table[i] for i in inv.tolist()]

    def _first_choice_acw(self, routes: list[list[tuple[int, float]]], u: np.ndarray) -> np.ndarray:
        """After-contact work for each contact as if served by its first-choice pool (vectorised)."""
        out = np.full(len(routes), math.nan)
        first = np.array([r[0][0] for r in routes], dtype=np.int64)
        for p, cp in enumerate(self.c.pool_defs):
            sel = first == p
            if sel.any():
                out[sel] = cp.acw.ppf(u[sel]) if cp.acw is not None else 0.0
        return out

    def run_until(self, until: float) -> None:
        """Advance the simulation to ``until``: events from SimPy's queue, arrivals from the sorted list.

        Arrivals are known in advance, so they are not scheduled as events: the loop takes whichever is
        next, the queue's event or the next arrival (events first at equal times).
        """
        arrive = self._arrive_plain if self._plain_arrive else self._arrive_now
        self.next_arrival = self.kernel.run(until, self.arrivals, self.next_arrival, arrive)

    def finish(self) -> None:
        """End of the run: contacts still waiting (or between a transfer) are unserved."""
        pending: dict[int, Contact] = {}
        for pool in self.pools:
            for ct in pool.queue.waiting():
                if ct.state in (WAITING, PENDING):
                    pending[ct.id] = ct
        for ct in self.arrivals[self.next_arrival:]:
            pending[ct.id] = ct
        for arg in self.kernel.pending():  # contacts scheduled but not yet arrived or between transfer legs
            for ct in _contacts_in(arg):
                if ct.state in (WAITING, PENDING):
                    pending[ct.id] = ct
        now = self.kernel.now
        for ct in sorted(pending.values(), key=lambda x: x.id):
            if ct.state == WAITING and ct.deadline < now:
                self._abandoned_at(ct, ct.deadline)
                continue
            ct.not_served(UNSERVED)
            self.done.append(ct)
            if ct.kind not in (OUTREACH, WEBCARE):
                self.final.append((ct.need, NEED_UNSERVED, ct.rep))
        for pool in self.pools:  # chats still in talk at the end of the drain: cut at the end
            for chats in pool.inhand:
                for ct in list(chats):
                    chats.remove(ct)
                    ct.handle, ct.end = now - ct.ans, now
                    self._handled(pool, ct, now)
        for pool in self.pools:  # agents past their shift still holding a contact at the end of the drain
            for a, on in enumerate(pool.on):
                if not on and pool.load[a] > 0:
                    pool.overtime.append((pool.left_at[a], now))

    def flush(self) -> Flushed:
        if self.next_arrival:  # arrived contacts live on in `done` or in queues, not in the arrival list
            del self.arrivals[: self.next_arrival]
            self.next_arrival = 0
        done, self.done = self.done, []
        n = len(done)
        ids = np.fromiter(map(_ID, done), np.int64, count=n)
        floats = np.fromiter(chain.from_iterable(map(_READ_OUT_FLOATS, done)), float,
                             count=n * len(_OUT_FLOATS)).reshape(n, len(_OUT_FLOATS))
        ints = np.fromiter(chain.from_iterable(map(_READ_OUT_INTS, done)), np.int64,
                           count=n * len(_OUT_INTS)).reshape(n, len(_OUT_INTS))
        cols = {"contact_id": ids}
        cols.update({name: floats[:, k].copy() for k, (name, _) in enumerate(_OUT_FLOATS)})
        cols.update({name: ints[:, k].astype(dt) for k, (name, _, dt) in enumerate(_OUT_INTS)})
        cols.update(self._fixed_columns(done, ids))
        special = np.flatnonzero(np.fromiter(map(bool, map(_DICT, done)), bool, count=n))
        some = [done[i] for i in special.tolist()]
        for name, attr, dt in _RARE:
            cols[name] = np.full(n, getattr(Contact, attr), dtype=dt)
            if some:
                cols[name][special] = np.fromiter(map(attrgetter(attr), some), dt, count=len(some))
        info = {name: cols[name] for name, _ in INFO_FIELDS}
        cols = {name: cols[name] for name, _, _ in ENGINE_COLUMNS}  # the declared column order
        cols.update(info)
        cols["outcome"] = _OUTCOME[cols.pop("state")]  # the contact's final outcome, one vocabulary
        final, self.final = self.final, []
        fin = np.fromiter(chain.from_iterable(final), np.int64, count=3 * len(final)).reshape(-1, 3)
        ids, codes, reps = fin[:, 0].copy(), fin[:, 1].astype(np.int8), fin[:, 2].astype(np.int16)
        if self.complained:
            comp = np.array([n in self.complained for n in ids.tolist()], dtype=bool)
            self.complained.difference_update(ids.tolist())
        else:
            comp = np.zeros(ids.size, dtype=bool)
        overtime = [(p.cp.index, a, b) for p in self.pools for a, b in p.overtime]
        for p in self.pools:
            p.overtime = []
        return Flushed(cols, ids, codes, reps, comp, overtime)

    def _fixed_columns(self, done: list[Contact], ids: np.ndarray) -> dict[str, np.ndarray]:
        """The fields fixed at birth of the contacts ``done`` (ids ``ids``): gathered from their feed's arrays for
        contacts fed in bulk, read off the objects for the others (follow-ups, outreach, escalations …)."""
        n = ids.size
        out = {name: np.empty(n, float) for name, _ in _IN_FLOATS}
        out.update({name: np.empty(n, dt) for name, _, dt in _IN_INTS})
        out.update({name: np.empty(n, dt) for name, dt in INFO_FIELDS})
        which = np.full(n, -1, dtype=np.int64)
        if self._fed and n:
            lo = np.array([fd.lo for fd in self._fed], dtype=np.int64)
            size = np.array([fd.n for fd in self._fed], dtype=np.int64)
            r = np.searchsorted(lo, ids, side="right") - 1
            r0 = np.maximum(r, 0)
            which = np.where((r >= 0) & (ids - lo[r0] < size[r0]), r, -1)
            for k in np.unique(which[which >= 0]).tolist():
                fd = self._fed[k]
                sel = np.flatnonzero(which == k)
                pos = ids[sel] - fd.lo
                for name, values in fd.cols.items():
                    out[name][sel] = values[pos]
                fd.open -= sel.size
            self._fed = [fd for fd in self._fed if fd.open > 0]
        rest = np.flatnonzero(which < 0)
        if rest.size:
            objs = [done[i] for i in rest.tolist()]
            m = len(objs)
            fl = np.fromiter(chain.from_iterable(map(_READ_IN_FLOATS, objs)), float,
                             count=m * (len(_IN_FLOATS) + 1)).reshape(m, len(_IN_FLOATS) + 1)
            for k, (name, _) in enumerate(_IN_FLOATS):
                out[name][rest] = fl[:, k]
            first_q = fl[:, -1]  # misrouted contacts: report when they first entered a queue
            moved = ~np.isnan(first_q)
            out["arrival_at"][rest[moved]] = first_q[moved]
            it = np.fromiter(chain.from_iterable(map(_READ_IN_INTS, objs)), np.int64,
                             count=m * len(_IN_INTS)).reshape(m, len(_IN_INTS))
            for k, (name, _, _) in enumerate(_IN_INTS):
                out[name][rest] = it[:, k]
            info = np.fromiter(chain.from_iterable(map(_INFO, objs)), float,
                               count=m * len(INFO_FIELDS)).reshape(m, len(INFO_FIELDS))
            for k, (name, _) in enumerate(INFO_FIELDS):
                out[name][rest] = info[:, k]
        return out

    def _info(self, ct: Contact) -> tuple:
        """The need-level fields a contact carries (``Contact.info``), for a contact fed in bulk from its
        feed's arrays (it has none of its own)."""
        if ct.info is not None:
            return ct.info
        for fd in self._fed:
            k = ct.id - fd.lo
            if 0 <= k < fd.n:
                c = fd.cols
                return (float(c["need_at"][k]), int(c["level"][k]), bool(c["self_service_failed"][k]),
                        float(c["channel_fit"][k]), float(c["steering_effort"][k]))
        raise LookupError(f"contact {ct.id} has no need fields")

    def add_contact(self, need: int, seg: int, rea: int, ch: int, at: float, patience_s: float, handle_s: float,
                    premium: int = 1, key: int = 0) -> None:
        """Schedule one first contact by hand (tools and tests that need exact times, e.g. ties)."""
        info = (at, 4, False, 1.0, 0.0)
        self._new_contact(need, seg, rea, premium, ch, at, patience_s, handle_s, FIRST, 1, info,
                          keyed_uniforms(key, 1, 5), key)

    # -- contact bookkeeping ---------------------------------------------------------------------------
    def _new_contact(self, need: int, seg: int, rea: int, prem: int, ch: int, at: float, patience: float,
                     handle: float, kind: int, attempt: int, info: tuple, us: list[float], key: int,
                     forced_pool: int = -1, retr: int = 0, rep: int = 0, advisor: int = -1) -> None:
        route = [(forced_pool, 0.0)] if forced_pool >= 0 else self.routes[(seg, rea, ch, prem)]
        ct = Contact(self.next_id, need, seg, rea, ch, at, patience, handle, kind, attempt, prem, us, info, route,
                     math.nan, key, retr, rep)
        if advisor >= 0:
            ct.advisor = advisor
        self.next_id += 1
        self.kernel.at(at - self.kernel.now, self._arrive_cb, ct)

    # -- events ----------------------------------------------------------------------------------------
    def _arrive_now(self, ct: Contact) -> None:
        if self._plain_arrive:
            self._arrive_plain(ct)
            return
        ct.state = WAITING
        ct.leg += 1
        route = ct.route
        pools = self.pools
        if route[0][0] == self.am_pool and len(route) > 1 and not self._advisor_on(pools[self.am_pool], ct.advisor):
            route = [(p, 0.0) for p, _ in route]  # the own advisor is off duty: the fallback team at once
        for p, delay in route:
            if delay == 0.0:
                pool = pools[p]
                if p == self.am_pool:
                    if self._own_advisor_free(pool, ct.advisor):
                        pool.start(pool, self._take_advisor(pool, ct.advisor), ct)
                        return
                    continue
                if (pool.free[0] or pool.has_free()) and (not pool.reserve or pool.admits(ct)):
                    pool.start(pool, pool.take_agent(), ct)
                    return
        if ct.kind != OUTREACH and self.caps.balks(route[0][0], pools[route[0][0]].n_waiting):
            self._balk(ct)
            return
        if self.am_message and route[0][0] == self.am_pool:
            ct.callback = True  # continuity 'message': the customer leaves a message, the own advisor calls back
        # callback offer on long predicted waits: the customer keeps its place and cannot abandon
        pat = ct.pat
        if ct.ch in self.cb_channels and not ct.callback:
            primary = self.pools[route[0][0]]
            predicted = primary.n_waiting * (primary.busy_sum / primary.busy_n) / max(primary.staffed * primary.k, 1)
            if self.callback.offer(ct, predicted, self.kernel.now):
                ct.callback = True
        if ct.callback:
            pat = math.inf
        qi: list[int] = []
        ct.queued_in = qi
        leg = ct.leg
        for p, delay in route:
            if delay == 0.0:
                self._enqueue(self.pools[p], ct)
                qi.append(p)
            else:
                self.kernel.at(delay, self._overflow_cb, (ct, p, leg))
        ct.deadline = math.inf
        if pat != math.inf and self.abandons[ct.ch]:
            ct.deadline = ct.arr + pat
            if not self.lazy_abandon[ct.seg]:  # lazy: found and settled when an agent next looks at the queue
                self.kernel.at(pat, self._abandon_cb, (ct, leg), LATE)

    def _arrive_plain(self, ct: Contact) -> None:
        """``_arrive_now`` for an engine with no advisors, queue caps or callbacks (the same steps). A copy: a
        rule added to ``_arrive_now`` goes here too (tests/unit/test_lean_guard.py fails when they differ)."""
        ct.state = WAITING
        leg = ct.leg + 1
        ct.leg = leg
        route = ct.route
        pools = self.pools
        for p, delay in route:
            if delay == 0.0:
                pool = pools[p]
                idle = pool.free[0]
                if idle:  # AgentPool.take_agent, inlined for an idle agent
                    if not pool.reserve or pool.admits(ct):
                        pool.n_idle_agents -= 1
                        pool.start(pool, idle.pop(), ct)
                        return
                elif pool.k > 1 and pool.has_free() and (not pool.reserve or pool.admits(ct)):  # k = 1: free[0] only
                    pool.start(pool, pool.take_agent(), ct)
                    return
        qi: list[int] = []
        ct.queued_in = qi
        for p, delay in route:
            if delay == 0.0:
                pool = pools[p]
                pool.queue.push(ct, self.kernel.now)
                pool.n_waiting += 1
                qi.append(p)
            else:
                self.kernel.at(delay, self._overflow_cb, (ct, p, leg))
        pat = math.inf if ct.callback else ct.pat
        if pat != math.inf and self.abandons[ct.ch]:
            ct.deadline = ct.arr + pat
            if not self.lazy_abandon[ct.seg]:  # lazy: found and settled when an agent next looks at the queue
                self.kernel.at(pat, self._abandon_cb, (ct, leg), LATE)
        else:
            ct.deadline = math.inf

    def _overflow(self, arg: tuple[Contact, int, int]) -> None:
        ct, p, leg = arg
        if ct.state != WAITING or ct.leg != leg:
            return
        if ct.deadline < self.kernel.now:
            self._abandoned_at(ct, ct.deadline)
            return
        pool = self.pools[p]
        if self._try_serve(pool, ct):
            return
        self._enqueue(pool, ct)
        if ct.queued_in is not None:
            ct.queued_in.append(p)

    def _enqueue(self, pool: AgentPool, ct: Contact) -> None:
        pool.queue.push(ct, self.kernel.now)
        pool.n_waiting += 1

    def _try_serve(self, pool: AgentPool, ct: Contact) -> bool:
        if pool.cp.index == self.am_pool:
            if not self._own_advisor_free(pool, ct.advisor):
                return False
            pool.start(pool, self._take_advisor(pool, ct.advisor), ct)
            return True
        if not pool.has_free() or not pool.admits(ct):
            return False
        pool.start(pool, pool.take_agent(), ct)
        return True

    def _leave_queues(self, ct: Contact) -> None:
        qi = ct.queued_in
        if qi:
            for p in qi:
                self.pools[p].n_waiting -= 1
        ct.queued_in = None

    def _start(self, pool: AgentPool, agent: int, ct: Contact) -> None:
        now = self.kernel.now
        if ct.queued_in:
            self._leave_queues(ct)
        cp = pool.cp
        load = pool.load[agent]
        pool.load[agent] = load + 1
        if load + 1 < pool.k and pool.on[agent]:
            pool.free[load + 1].add(agent)  # a chat agent with room for another conversation
        wait = now - ct.arr
        if ct.misroute:
            # misrouted by the IVR: a short talk with the wrong agent, then the queue again (a new leg)
            talk = self.misroute.transfer(ct)
            ct.transfers += 1
            ct.state = PENDING
            ct.wait_before += wait + talk
            ct.xfer_pool, ct.xfer_at, ct.xfer_s = cp.index, now, talk
            self.kernel.at(talk, self._release_cb, (pool, agent))
            self.kernel.at(talk, self._requeue_cb, ct)
            return
        ct.state = SERVED
        acw = ct.acw0
        if acw != acw or ct.route[0][0] != cp.index:  # not drawn at birth for this pool (NaN check)
            acw = cp.acw.ppf_one(ct.us[2]) if cp.acw is not None else 0.0
        ct.ans = now
        ct.wait = wait + ct.wait_before
        ct.acw = acw
        ct.pool = cp.index
        ct.agent = agent
        work = ct.hdl * cp.handle_time_factor * self.skills.handle_factor[cp.index][ct.rea]
        esc = self.escalation[cp.index]
        if esc is not None and ct.kind not in (OUTREACH, WEBCARE, ESCALATION) and esc.escalates(
                ct.rea, keyed_uniforms(ct.key, ESCALATION_INDEX + ct.attempt, 1)[0]):
            ct.escalated = True
            work += esc.transfer_s  # the first-line agent hands over; the customer holds meanwhile
        if pool.shared:
            # parallel chats share the agent: every chat in hand slows while another is added
            self._share(pool, agent, now)
            ct.work = work
            pool.inhand[agent].append(ct)
            self._reschedule(pool, agent, now)
            return
        handle = work
        ct.handle = handle
        end = now + handle
        ct.end = end
        self.kernel.at(handle + acw, self._release_cb, (pool, agent))
        self._handled(pool, ct, end)

    def _start_lean(self, pool: AgentPool, agent: int, ct: Contact) -> None:
        """``_start`` for a pool without escalation, shared chats or misroutes, with ``_handled`` inlined
        (the same steps in the same order, so the same numbers and the same event order). A copy: a rule added
        to ``_start`` or ``_handled`` goes here too (tests/unit/test_lean_guard.py fails when they differ)."""
        now = self.kernel.now
        qi = ct.queued_in
        if qi:  # _leave_queues, inlined
            pools = self.pools
            for q in qi:
                pools[q].n_waiting -= 1
            ct.queued_in = None
        cp = pool.cp
        p = cp.index
        load = pool.load[agent] + 1
        pool.load[agent] = load
        if load < pool.k and pool.on[agent]:
            pool.free[load].add(agent)  # a chat agent with room for another conversation
        ct.state = SERVED
        acw = ct.acw0
        if acw != acw or ct.route[0][0] != p:  # not drawn at birth for this pool (NaN check)
            acw = cp.acw.ppf_one(ct.us[2]) if cp.acw is not None else 0.0
        ct.ans = now
        ct.wait = now - ct.arr + ct.wait_before
        ct.acw = acw
        ct.pool = p
        ct.agent = agent
        handle = ct.hdl * cp.handle_time_factor * pool.hfac[ct.rea]
        ct.handle = handle
        end = now + handle
        ct.end = end
        if pool.heap is not None:
            pool.timers[agent].arm(handle + acw)
        else:
            self.kernel.at(handle + acw, self._release_cb, (pool, agent))
        # _handled, inlined (a lean pool never escalates)
        if self.cb_channels:
            pool.busy_sum += handle + acw
            pool.busy_n += 1
        self.done.append(ct)
        kind = ct.kind
        if kind == OUTREACH or kind == WEBCARE:
            ct.res = True
            return
        resolved = self.always_resolved or ct.us[0] < pool.fcr[ct.rea][ct.ch] * self._seg_res[ct.seg]
        ct.res = resolved
        if resolved:
            self.final.append((ct.need, RESOLVED, ct.rep))
            return
        self._unresolved(ct, end)

    def _share(self, pool: AgentPool, agent: int, now: float) -> None:
        """Advance the work of an agent's chats in hand to ``now`` at the rate they had."""
        chats = pool.inhand[agent]
        if chats:
            done_work = (now - pool.since[agent]) / (1.0 + pool.cp.stretch * (len(chats) - 1))
            for c in chats:
                c.work -= done_work
        pool.since[agent] = now

    def _reschedule(self, pool: AgentPool, agent: int, now: float) -> None:
        """(Re)schedule the end of every chat in hand at the agent's new rate; older end events go stale."""
        chats = pool.inhand[agent]
        slow = 1.0 + pool.cp.stretch * (len(chats) - 1)
        for c in chats:
            c.ver += 1
            self.kernel.at(max(c.work, 0.0) * slow, self._chat_end, (pool, agent, c, c.ver))

    def _chat_end(self, arg: tuple[AgentPool, int, Contact, int]) -> None:
        pool, agent, ct, ver = arg
        if ct.ver != ver:
            return
        now = self.kernel.now
        self._share(pool, agent, now)
        pool.inhand[agent].remove(ct)
        self._reschedule(pool, agent, now)
        ct.handle = now - ct.ans
        ct.end = now
        self.kernel.at(ct.acw, self._release_cb, (pool, agent))
        self._handled(pool, ct, now)

    def _handled(self, pool: AgentPool, ct: Contact, end: float) -> None:
        """The talk is over (or its end is known): record the contact and decide what its need does next.
        ``_start_lean`` carries a copy of this for lean pools: change both."""
        if self.cb_channels:  # the pool's running mean agent time only feeds callback wait predictions
            pool.busy_sum += ct.handle + ct.acw
            pool.busy_n += 1
        self.done.append(ct)
        if ct.kind in (OUTREACH, WEBCARE):
            ct.res = True
            return
        if ct.escalated:
            esc = self.escalation[pool.cp.index]
            assert esc is not None
            self._escalate(ct, esc, end)
            return
        # Skills.resolves, inlined on the hot path
        resolved = self.always_resolved or ct.us[0] < self._fcr[pool.cp.index][ct.rea][ct.ch] * self._seg_res[ct.seg]
        ct.res = resolved
        if resolved:
            self.final.append((ct.need, RESOLVED, ct.rep))
            return
        self._unresolved(ct, end)

    def _unresolved(self, ct: Contact, end: float) -> None:
        """The talk ended without resolving the need: a repeat contact, or the need ends unresolved."""
        action = self.repeat.after_unresolved(ct, end)
        if action is not None:
            self._follow_up(ct, action)
        else:
            self._finalise(ct, UNRESOLVED)

    def _follow_up(self, ct: Contact, action: FollowUp) -> None:
        """A retrial or repeat contact of the same need, on the same channel or, when the segment switches
        channel on follow-ups (``omnichannel.ChannelSwitch``), maybe another (next opening if closed), with
        the need's own uniforms for this follow-up. One that would come after the drain is censored."""
        ch, at, u, kind = ct.ch, action.at, action.u, action.kind
        sw = self.switch
        if sw is not None and sw.probability[ct.seg][ch] > 0:
            u_sw = keyed_uniforms(ct.key, SWITCH_INDEX + ct.attempt + 1, 2)
            ch = sw.choose(ct.seg, ct.rea, ch, u_sw[0], u_sw[1])
            if not self.routes.get((ct.seg, ct.rea, ch, ct.prem)):
                ch = ct.ch  # no pool takes this customer there (e.g. an anonymous contact): stays
        if not self.c.steady_state:
            t = self._open_fns[ch](at)
            at = t if t == at else t + u[1] * DEFER_SPREAD_S
        if at >= self.c.end_s:
            self._finalise(ct, NEED_CENSORED)
            return
        info = self._info(ct)
        ss = info[2]
        smp = self.patience.get((ct.seg, ch))
        pat = smp.ppf_one(u[2]) if smp is not None and self.abandons[ch] else math.inf
        smp = self.handle.get((ct.rea, ch))
        hdl = smp.ppf_one(u[3]) if smp is not None else math.inf
        if ss:  # a need whose self-service failed keeps its handle-time and patience factors
            hdl *= self.ss_hfac[ct.rea]
            pat *= self.ss_pfac[ct.rea]
        f = self.factors  # the segment's handle-time factor and patience by hour, as at the first contact
        hdl *= f.handle[ct.seg]
        pat *= f.patience_at(ct.seg, at)
        retr, rep = (ct.retr + 1, ct.rep) if kind == RETRIAL else (0, ct.rep + 1)
        self._new_contact(ct.need, ct.seg, ct.rea, ct.prem, ch, at, pat, hdl, kind, ct.attempt + 1, info,
                          u[4:9], ct.key, retr=retr, rep=rep, advisor=ct.advisor)

    def _escalate(self, ct: Contact, esc: Escalation, end: float) -> None:
        """The first line hands the contact to the second line: a new contact there when the hand-over
        ends (the customer stays on the line), whose own resolution decides the need."""
        ct.res = False
        u = keyed_uniforms(ct.key, ESCALATION_INDEX + ct.attempt, 6)
        self._new_contact(ct.need, ct.seg, ct.rea, ct.prem, ct.ch, end, math.inf, ct.hdl * esc.handle_factor,
                          ESCALATION, ct.attempt, self._info(ct), u[1:6], ct.key, forced_pool=esc.to_pool, retr=ct.retr,
                          rep=ct.rep)

    def _balk(self, ct: Contact) -> None:
        """The queue is full ("all our agents are busy"): the contact leaves at once, never queued, and may
        try again like one who abandoned (the retrial rule)."""
        ct.balked = True
        self._gave_up(ct, ct.wait_before, self.kernel.now)

    def _gave_up(self, ct: Contact, wait: float, now: float) -> None:
        """The customer left unanswered at ``now`` (abandoned or balked): may try again (the retrial rule)."""
        ct.not_served(ABANDONED, wait, now)
        self.done.append(ct)
        action = self.retrial.after_abandon(ct, now)
        if action is not None:
            self._follow_up(ct, action)
        else:
            self._finalise(ct, NEED_ABANDONED)

    def _finalise(self, ct: Contact, final: int) -> None:
        self.final.append((ct.need, final, ct.rep))
        if final == NEED_CENSORED:
            return
        complaint = self.webcare.after_final(ct, final)
        if complaint is None:
            return
        self.complained.add(ct.need)
        if complaint.handle_s is not None:
            pool = self.webcare.pool
            ch = self.c.pool_defs[pool].channels[0]
            self._new_contact(ct.need, ct.seg, ct.rea, ct.prem, ch, self.kernel.now + complaint.delay_s, math.inf,
                              complaint.handle_s, WEBCARE, 1, self._info(ct), complaint.u, ct.key, forced_pool=pool)

    def _requeue(self, ct: Contact) -> None:
        if math.isnan(ct.queued_at0):
            ct.queued_at0 = ct.arr
        ct.arr = self.kernel.now
        self._arrive_now(ct)

    def _abandon(self, arg: tuple[Contact, int]) -> None:
        ct, leg = arg
        if ct.state != WAITING or ct.leg != leg:
            return
        self._leave_queues(ct)
        now = self.kernel.now
        self._gave_up(ct, now - ct.arr + ct.wait_before, now)

    def _release(self, arg: tuple[AgentPool, int]) -> None:
        pool, agent = arg
        heap = pool.heap
        if heap is not None and pool.on[agent]:
            # the lean k = 1 path below for a one-heap pool, its pop (policies.base.pop_live) inlined
            pool.load[agent] = 0
            now = self.kernel.now
            while heap:
                _, _, _, ct, leg = heappop(heap)
                if ct.state == WAITING and ct.leg == leg:
                    if ct.deadline < now:
                        self._expired(ct)
                        continue
                    self._start_lean(pool, agent, ct)
                    return
            pool.n_idle_agents += 1
            pool.free[0].add(agent)
            return
        if pool.k == 1 and pool.on[agent]:
            # one contact per agent: a waiting contact this agent may take means no other free agent could
            # take it, so the freed agent takes the next one directly (what dispatching from the free set
            # would do, without the detour); the discipline decides who, for every discipline alike
            pool.load[agent] = 0
            pool.n_idle_agents += 1
            if pool.cp.index == self.am_pool:
                ct = pool.queue.pop_for(agent, self.kernel.now)  # type: ignore[attr-defined]
            else:
                ct = pool.queue.pop(self.kernel.now, pool.reserved_only())
            if ct is not None:
                pool.n_idle_agents -= 1
                pool.start(pool, agent, ct)
            else:
                pool.free[0].add(agent)
            return
        load = pool.load[agent] - 1
        pool.load[agent] = load
        if pool.on[agent]:
            pool.free[load].add(agent)
            if load == 0:
                pool.n_idle_agents += 1
            if load + 1 < pool.k:
                pool.free[load + 1].discard(agent)
        elif load == 0:
            pool.off_duty_done(agent, self.kernel.now)
        self._dispatch(pool)

    def _expired(self, ct: Contact) -> None:
        """A discipline found ``ct`` past its patience deadline: it abandoned then (lazy abandonment)."""
        self._abandoned_at(ct, ct.deadline)

    def _abandoned_at(self, ct: Contact, t: float) -> None:
        """Settle a lazily abandoned contact: it left the queue at ``t``, its patience deadline."""
        self._leave_queues(ct)
        ct.not_served(ABANDONED, t - ct.arr + ct.wait_before, t)
        self.done.append(ct)
        self._finalise(ct, NEED_ABANDONED)

    @staticmethod
    def _advisor_on(pool: AgentPool, advisor: int) -> bool:
        return 0 <= advisor < len(pool.on) and pool.on[advisor]

    def _own_advisor_free(self, pool: AgentPool, advisor: int) -> bool:
        return self._advisor_on(pool, advisor) and pool.load[advisor] == 0

    @staticmethod
    def _take_advisor(pool: AgentPool, advisor: int) -> int:
        pool.free[0].discard(advisor)
        pool.n_idle_agents -= 1
        return advisor

    def _dispatch(self, pool: AgentPool) -> None:
        if pool.cp.index == self.am_pool:  # each idle advisor takes the longest-waiting own customer
            for a in sorted(pool.free[0]):
                ct = pool.queue.pop_for(a, self.kernel.now)  # type: ignore[attr-defined]
                if ct is not None:
                    pool.start(pool, self._take_advisor(pool, a), ct)
            return
        queue = pool.queue
        while pool.has_free():
            ct = queue.pop(self.kernel.now, pool.reserved_only())
            if ct is None:
                return
            pool.start(pool, pool.take_agent(), ct)

    def _staff(self, arg: tuple[AgentPool, int, int]) -> None:
        pool, group, n = arg
        if n > 0:
            pool.join(group, n)
            timers = pool.timers
            if pool.heap is not None and len(timers) < len(pool.load):  # one release timer per agent number
                timers += [self.kernel.timer(self._release_cb, (pool, a)) for a in range(len(timers), len(pool.load))]
            self._dispatch(pool)
        else:
            pool.leave(group, -n, self.kernel.now)


def _contacts_in(arg: object) -> list[Contact]:
    """Contacts referenced by a pending event's payload."""
    if isinstance(arg, Contact):
        return [arg]
    if isinstance(arg, tuple):
        return [x for x in arg if isinstance(x, Contact)]
    return []
