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

import heapq
import math
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import simpy
from simpy.core import NORMAL
from simpy.events import Event

from contactsim.arrivals import U, Needs
from contactsim.funnel import FunnelResult, next_opening, open_mask
from contactsim.rng import stream
from contactsim.scenario.compiled import Compiled, CompiledPool, sampler

# contact states / outcomes
WAITING, SERVED, ABANDONED, UNSERVED, PENDING = 0, 1, 2, 3, 4
# contact kinds
FIRST, RETRIAL, REPEAT, OUTREACH, WEBCARE = 0, 1, 2, 3, 4
KIND_NAMES = ("first", "retrial", "repeat", "outreach", "webcare")
# final state of an assisted need
RESOLVED, UNRESOLVED, NEED_ABANDONED, NEED_UNSERVED = 10, 11, 12, 13


class _Call(Event):
    """A bare scheduled callback: cheaper than a Timeout plus a closure per event."""

    __slots__ = ()

    def __init__(self, env: simpy.Environment, delay: float, fn, arg) -> None:  # noqa: ANN001
        self.env = env
        self.callbacks = [fn]
        self._value = arg
        self._ok = True
        # what env.schedule(self, NORMAL, delay) does, without the extra call on the hot path
        heapq.heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), self))


class Contact:
    """One contact attempt while it is in the system (inputs fixed at birth, outputs filled in)."""

    __slots__ = ("id", "need", "seg", "rea", "ch", "arr", "pat", "hdl", "kind", "attempt", "prem", "misroute",
                 "ivr", "u_fcr", "u_retry", "u_acw", "u_cmp", "u_cb", "forced", "state", "ans", "end", "wait",
                 "handle", "acw", "pool", "res", "transfers", "callback", "queued_at0", "wait_before",
                 "queued_in", "nat", "lvl", "ssf", "pref", "nonc")

    def __init__(self, cid: int, need: int, seg: int, rea: int, ch: int, arr: float, pat: float, hdl: float,
                 kind: int, attempt: int, prem: bool, us: tuple[float, float, float, float, float],
                 need_info: tuple[float, int, bool, int, bool], forced: int = -1, misroute: bool = False,
                 ivr: float = 0.0) -> None:
        self.id = cid
        self.need = need
        self.seg = seg
        self.rea = rea
        self.ch = ch
        self.arr = arr
        self.pat = pat
        self.hdl = hdl
        self.kind = kind
        self.attempt = attempt
        self.prem = prem
        self.misroute = misroute
        self.ivr = ivr
        self.u_fcr, self.u_retry, self.u_acw, self.u_cmp, self.u_cb = us
        self.forced = forced
        self.state = PENDING
        self.transfers = 0
        self.callback = False
        self.queued_at0 = math.nan
        self.wait_before = 0.0
        self.queued_in: list[int] | None = None
        # the need's arrival time, funnel level, failed self-service, preferred channel, ignored steering
        self.nat, self.lvl, self.ssf, self.pref, self.nonc = need_info
        # outcome fields (ans, end, wait, handle, acw, pool, res) are set by _start, _abandon or not_served()

    def not_served(self, state: int, wait: float = math.nan, end: float = math.nan) -> None:
        """Fill the outcome fields of a contact that no agent answered."""
        self.state = state
        self.ans = math.nan
        self.end = end
        self.wait = wait
        self.handle = math.nan
        self.acw = 0.0
        self.pool = -1
        self.res = False


class _Pool:
    """Agents of one pool: who is free (by load, for chat concurrency) and who waits."""

    def __init__(self, cp: CompiledPool) -> None:
        self.cp = cp
        self.k = cp.concurrency
        self.staffed = 0
        self.load = [0] * max(cp.max_agents, 1)
        self.free: list[set[int]] = [set() for _ in range(self.k)]
        self.n_idle_agents = 0
        self.heap: list[tuple[int, float, int, Contact]] = []
        self.rheap: list[tuple[int, float, int, Contact]] = []  # reserved-class contacts (reserve policy)
        self.n_waiting = 0

    def take_agent(self) -> int:
        for level, bucket in enumerate(self.free):
            if bucket:
                a = bucket.pop()
                if level == 0:
                    self.n_idle_agents -= 1
                return a
        return -1

    def has_free(self) -> bool:
        return any(self.free)


@dataclass
class Flushed:
    """What left the system since the last flush."""

    contacts: dict[str, np.ndarray]
    final_needs: np.ndarray
    """Global ids of needs that reached their final state."""
    final_codes: np.ndarray
    repeats: np.ndarray
    complained: np.ndarray


CONTACT_FIELDS = (
    ("contact_id", "id", np.int64), ("need_id", "need", np.int64), ("kind", "kind", np.int8),
    ("attempt", "attempt", np.int16), ("segment", "seg", np.int16), ("reason", "rea", np.int16),
    ("channel", "ch", np.int16), ("pool", "pool", np.int16), ("premium", "prem", bool),
    ("arrival_at", "arr", float), ("answered_at", "ans", float), ("end_at", "end", float),
    ("wait_s", "wait", float), ("handle_s", "handle", float), ("acw_s", "acw", float), ("ivr_s", "ivr", float),
    ("outcome", "state", np.int8), ("resolved", "res", bool), ("transfers", "transfers", np.int8),
    ("callback", "callback", bool), ("need_at", "nat", float), ("level", "lvl", np.int8),
    ("self_service_failed", "ssf", bool), ("preferred_channel", "pref", np.int16), ("noncompliant", "nonc", bool),
)


_BY_ID = attrgetter("id")
_ROW = attrgetter(*(attr for _, attr, _ in CONTACT_FIELDS), "queued_at0")


class Engine:
    def __init__(self, c: Compiled, seed: int, rep: int) -> None:
        self.c = c
        self.sc = c.scenario
        self.env = simpy.Environment()
        self.rng = stream(seed, rep, "engine/dynamic")
        self.pools = [_Pool(cp) for cp in c.pool_defs]
        self.routes = c.routes
        self.fcr = c.fcr.tolist()
        self.abandons = c.channel_abandons
        self.handle = c.handle
        self.patience = c.patience
        self.repeat_rules = [self.sc.reasons[r].repeat for r in c.reasons]
        self.retrial_rules = [self.sc.segments[s].retrial for s in c.segments]
        cb = self.sc.policies.callback
        self.cb_channels = {c.channels.index(x) for x in cb.channels} if cb else set()
        self.cb_limit = cb.offer_when_wait_exceeds_s if cb else math.inf
        self.cb_accept = cb.acceptance if cb else 0.0
        self.transfer_s = self.sc.policies.ivr.transfer_time_s if self.sc.policies.ivr else 0.0
        wc = self.sc.webcare
        self.webcare_pool = c.pools.index(wc.pool) if wc and wc.pool else -1
        self.next_id = 0
        self.seq = 0
        self.done: list[Contact] = []
        self.final: list[tuple[int, int]] = []
        self.repeats: dict[int, int] = {}
        self.complained: set[int] = set()
        self._samplers: dict = {}
        self._aht_sum = 0.0
        self._aht_n = 0
        for pool in self.pools:
            for t, n in zip(pool.cp.change_times.tolist(), pool.cp.change_agents.tolist(), strict=True):
                _Call(self.env, t, self._staff, (pool, int(n)))

    # -- feeding and flushing --------------------------------------------------------------------------
    def feed(self, needs: Needs, f: FunnelResult, need_offset: int, level: np.ndarray) -> None:
        """Add a block's assisted contacts and proactive outreach (times at or after now)."""
        now = self.env.now
        idx = f.contact_need
        u = needs.u
        info = list(zip(needs.arrival_at.tolist(), level.tolist(), f.ss_attempted.tolist(),
                        f.preferred_channel.tolist(), f.noncompliant.tolist(), strict=True))
        us = np.stack([u[idx, U["fcr"]], u[idx, U["retrial"]], u[idx, U["acw"]], u[idx, U["complaint"]],
                       u[idx, U["callback"]]], axis=1).tolist()
        at = np.maximum(f.contact_at + f.ivr_s, now)
        order = np.argsort(at, kind="stable").tolist()
        seg, rea, prem = needs.segment[idx].tolist(), needs.reason[idx].tolist(), f.premium[idx].tolist()
        ch, pat, hdl = f.channel.tolist(), f.patience_s.tolist(), f.handle_s.tolist()
        mis, ivr, at_l, need_l = f.misrouted.tolist(), f.ivr_s.tolist(), at.tolist(), (idx + need_offset).tolist()
        idx_l = idx.tolist()
        batch = []
        for k in order:
            batch.append(Contact(self.next_id, need_l[k], seg[k], rea[k], ch[k], at_l[k], pat[k], hdl[k], FIRST, 1,
                                 prem[k], tuple(us[k]), info[idx_l[k]], misroute=mis[k], ivr=ivr[k]))
            self.next_id += 1
        if batch:
            _Call(self.env, batch[0].arr - now, self._arrival_chain, (batch, 0))
        for need, t, pool, h in zip(f.outreach_need.tolist(), f.outreach_at.tolist(), f.outreach_pool.tolist(),
                                    f.outreach_handle_s.tolist(), strict=True):
            ch0 = self.c.pool_defs[pool].channels[0]
            self._new_contact(need + need_offset, int(needs.segment[need]), int(needs.reason[need]),
                              bool(f.premium[need]), ch0, max(t, now), math.inf, h, OUTREACH, 1, info[need],
                              forced_pool=pool)

    def run_until(self, t: float) -> None:
        if t > self.env.now:
            self.env.run(until=t)

    def finish(self) -> None:
        """End of the run: contacts still waiting (or between a transfer) are unserved."""
        pending: dict[int, Contact] = {}
        for pool in self.pools:
            for heap in (pool.heap, pool.rheap):
                for entry in heap:
                    ct = entry[3]
                    if ct.state in (WAITING, PENDING):
                        pending[ct.id] = ct
        for ev in self.env._queue:  # contacts scheduled but not yet arrived or between transfer legs
            arg = getattr(ev[3], "_value", None)
            for ct in _contacts_in(arg):
                if ct.state in (WAITING, PENDING):
                    pending[ct.id] = ct
        for ct in sorted(pending.values(), key=lambda x: x.id):
            ct.not_served(UNSERVED)
            self.done.append(ct)
            if ct.kind not in (OUTREACH, WEBCARE):
                self.final.append((ct.need, NEED_UNSERVED))

    def flush(self) -> Flushed:
        done, self.done = self.done, []
        done.sort(key=_BY_ID)
        rows = list(map(_ROW, done))
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(CONTACT_FIELDS) + 1)
        cols = {name: np.array(columns[k], dtype=dt) for k, (name, _, dt) in enumerate(CONTACT_FIELDS)}
        first_q = np.array(columns[-1], dtype=float)
        moved = ~np.isnan(first_q)
        cols["arrival_at"][moved] = first_q[moved]
        final, self.final = self.final, []
        ids = np.array([n for n, _ in final], dtype=np.int64)
        codes = np.array([k for _, k in final], dtype=np.int8)
        reps = np.array([self.repeats.pop(n, 0) for n in ids.tolist()], dtype=np.int16)
        comp = np.array([n in self.complained for n in ids.tolist()], dtype=bool)
        self.complained.difference_update(ids.tolist())
        return Flushed(cols, ids, codes, reps, comp)

    # -- contact bookkeeping ---------------------------------------------------------------------------
    def _new_contact(self, need: int, seg: int, rea: int, prem: bool, ch: int, at: float, patience: float,
                     handle: float, kind: int, attempt: int, need_info: tuple, forced_pool: int = -1) -> None:
        r = self.rng.random(5).tolist()
        ct = Contact(self.next_id, need, seg, rea, ch, at, patience, handle, kind, attempt, prem, tuple(r),
                     need_info, forced=forced_pool)
        self.next_id += 1
        _Call(self.env, at - self.env.now, self._arrive, ct)

    def _draw(self, key: tuple[int, int], table: dict) -> float:
        smp = table.get(key)
        if smp is None:
            return math.inf
        return float(smp.ppf(self.rng.random(1))[0])

    def _sampler_cache(self, key: tuple, spec):  # noqa: ANN001, ANN202
        s = self._samplers.get(key)
        if s is None:
            s = self._samplers[key] = sampler(spec)
        return s

    # -- events ----------------------------------------------------------------------------------------
    def _arrival_chain(self, ev: Event) -> None:
        batch, k = ev._value
        self._arrive_now(batch[k])
        if k + 1 < len(batch):
            _Call(self.env, batch[k + 1].arr - self.env.now, self._arrival_chain, (batch, k + 1))
        else:
            batch.clear()

    def _arrive(self, ev: Event) -> None:
        self._arrive_now(ev._value)

    def _route(self, ct: Contact) -> list[tuple[int, float]]:
        if ct.forced >= 0:
            return [(ct.forced, 0.0)]
        return self.routes[(ct.seg, ct.rea, ct.ch)]

    def _arrive_now(self, ct: Contact) -> None:
        ct.state = WAITING
        route = self._route(ct)
        for p, delay in route:
            if delay == 0.0 and self._try_serve(self.pools[p], ct):
                return
        # callback offer on long predicted waits: the customer keeps its place and cannot abandon
        pat = ct.pat
        if ct.ch in self.cb_channels and ct.kind != OUTREACH:
            primary = self.pools[route[0][0]]
            predicted = primary.n_waiting * self._aht_guess(primary) / max(primary.staffed, 1)
            if predicted > self.cb_limit and ct.u_cb < self.cb_accept:
                ct.callback = True
                pat = math.inf
        qi: list[int] = []
        ct.queued_in = qi
        for p, delay in route:
            if delay == 0.0:
                self._enqueue(self.pools[p], ct)
                qi.append(p)
            else:
                _Call(self.env, delay, self._overflow, (ct, p))
        if pat != math.inf and self.abandons[ct.ch]:
            _Call(self.env, pat, self._abandon, ct)

    def _aht_guess(self, pool: _Pool) -> float:
        """Running mean handle time (the ACD's estimate behind a predicted wait)."""
        return self._aht_sum / self._aht_n if self._aht_n else pool.cp.handle_time_factor * 300.0

    def _overflow(self, ev: Event) -> None:
        ct, p = ev._value
        if ct.state != WAITING:
            return
        pool = self.pools[p]
        if self._try_serve(pool, ct):
            return
        self._enqueue(pool, ct)
        if ct.queued_in is not None:
            ct.queued_in.append(p)

    def _enqueue(self, pool: _Pool, ct: Contact) -> None:
        cp = pool.cp
        prem = 1 if ct.prem else 0
        rank = int(cp.rank[ct.seg, ct.rea, prem])
        eff = ct.arr - float(cp.headstart[rank])
        if not cp.strict:
            rank = 0
        self.seq += 1
        entry = (rank, eff, self.seq, ct)
        heapq.heappush(pool.heap, entry)
        if cp.reserve_agents and cp.reserved_for[ct.seg, ct.rea, prem]:
            heapq.heappush(pool.rheap, entry)
        pool.n_waiting += 1

    def _reserved_ok(self, pool: _Pool, ct: Contact) -> bool:
        cp = pool.cp
        if not cp.reserve_agents or pool.n_idle_agents > cp.reserve_agents:
            return True
        return bool(cp.reserved_for[ct.seg, ct.rea, 1 if ct.prem else 0])

    def _try_serve(self, pool: _Pool, ct: Contact) -> bool:
        if not pool.has_free() or not self._reserved_ok(pool, ct):
            return False
        self._start(pool, pool.take_agent(), ct)
        return True

    def _leave_queues(self, ct: Contact) -> None:
        qi = ct.queued_in
        if qi:
            for p in qi:
                self.pools[p].n_waiting -= 1
        ct.queued_in = None

    def _start(self, pool: _Pool, agent: int, ct: Contact) -> None:
        now = self.env.now
        self._leave_queues(ct)
        cp = pool.cp
        load = pool.load[agent]
        pool.load[agent] = load + 1
        if load + 1 < pool.k and agent < pool.staffed:
            pool.free[load + 1].add(agent)  # a chat agent with room for another conversation
        wait = now - ct.arr
        if ct.misroute:
            # misrouted by the IVR: a short talk with the wrong agent, then the queue again
            ct.misroute = False
            ct.transfers += 1
            ct.state = PENDING
            ct.wait_before += wait + self.transfer_s
            _Call(self.env, self.transfer_s, self._release, (pool, agent))
            _Call(self.env, self.transfer_s, self._requeue, ct)
            return
        ct.state = SERVED
        handle = ct.hdl * cp.handle_time_factor * (1.0 + cp.stretch * load)
        acw = float(cp.acw.ppf(np.array([ct.u_acw]))[0]) if cp.acw is not None else 0.0
        ct.ans = now
        ct.wait = wait + ct.wait_before
        ct.handle = handle
        ct.acw = acw
        ct.pool = cp.index
        end = now + handle
        ct.end = end
        self._aht_sum += handle
        self._aht_n += 1
        _Call(self.env, handle + acw, self._release, (pool, agent))
        self.done.append(ct)
        if ct.kind in (OUTREACH, WEBCARE):
            ct.res = True
            return
        resolved = ct.u_fcr < self.fcr[ct.rea][ct.ch]
        ct.res = resolved
        if resolved:
            self.final.append((ct.need, RESOLVED))
            return
        rep = self.repeat_rules[ct.rea]
        n_rep = self.repeats.get(ct.need, 0)
        if n_rep < rep.max_repeats and self.rng.random() < rep.probability:
            self.repeats[ct.need] = n_rep + 1
            delay = float(self._sampler_cache(("repeat", ct.rea), rep.delay).ppf(self.rng.random(1))[0])
            self._follow_up(ct, end + delay, REPEAT)
        else:
            self._finalise(ct, UNRESOLVED)

    def _follow_up(self, ct: Contact, at: float, kind: int) -> None:
        """A retrial or repeat contact of the same need, on the same channel (next opening if closed)."""
        ch = ct.ch
        if not self.c.steady_state:
            at = next_opening_if_closed(self.c, ch, at)
        if at >= self.c.horizon_s:
            self._finalise(ct, NEED_ABANDONED if kind == RETRIAL else UNRESOLVED)
            return
        pat = self._draw((ct.seg, ch), self.patience) if self.abandons[ch] else math.inf
        hdl = self._draw((ct.rea, ch), self.handle)
        self._new_contact(ct.need, ct.seg, ct.rea, ct.prem, ch, at, pat, hdl, kind, ct.attempt + 1,
                          (ct.nat, ct.lvl, ct.ssf, ct.pref, ct.nonc))

    def _finalise(self, ct: Contact, final: int) -> None:
        self.final.append((ct.need, final))
        wc = self.sc.webcare
        if wc is None:
            return
        p = wc.complaint_probability_unresolved if final == UNRESOLVED else wc.complaint_probability_abandoned
        if ct.u_cmp < p:
            self.complained.add(ct.need)
            if self.webcare_pool >= 0:
                ch = self.c.pool_defs[self.webcare_pool].channels[0]
                h = float(self._sampler_cache(("webcare",), wc.handle_time).ppf(self.rng.random(1))[0])
                self._new_contact(ct.need, ct.seg, ct.rea, ct.prem, ch, self.env.now + 600.0, math.inf, h, WEBCARE,
                                  1, (ct.nat, ct.lvl, ct.ssf, ct.pref, ct.nonc), forced_pool=self.webcare_pool)

    def _requeue(self, ev: Event) -> None:
        ct = ev._value
        if math.isnan(ct.queued_at0):
            ct.queued_at0 = ct.arr
        ct.arr = self.env.now
        self._arrive_now(ct)

    def _abandon(self, ev: Event) -> None:
        ct = ev._value
        if ct.state != WAITING:
            return
        self._leave_queues(ct)
        now = self.env.now
        ct.not_served(ABANDONED, now - ct.arr + ct.wait_before, now)
        self.done.append(ct)
        retrial = self.retrial_rules[ct.seg]
        if retrial and ct.attempt < retrial.max_attempts and ct.u_retry < retrial.probability:
            delay = float(self._sampler_cache(("retrial", ct.seg), retrial.delay).ppf(self.rng.random(1))[0])
            self._follow_up(ct, now + delay, RETRIAL)
        else:
            self._finalise(ct, NEED_ABANDONED)

    def _release(self, ev: Event) -> None:
        pool, agent = ev._value
        load = pool.load[agent] - 1
        pool.load[agent] = load
        if agent < pool.staffed:
            pool.free[load].add(agent)
            if load == 0:
                pool.n_idle_agents += 1
            if load + 1 < pool.k:
                pool.free[load + 1].discard(agent)
        self._dispatch(pool)

    def _pop(self, heap: list) -> Contact | None:
        while heap:
            ct = heapq.heappop(heap)[3]
            if ct.state == WAITING:
                return ct
        return None

    def _dispatch(self, pool: _Pool) -> None:
        reserve = pool.cp.reserve_agents
        while pool.has_free():
            ct = self._pop(pool.rheap if reserve and pool.n_idle_agents <= reserve else pool.heap)
            if ct is None:
                return
            self._start(pool, pool.take_agent(), ct)

    def _staff(self, ev: Event) -> None:
        pool, n = ev._value
        old = pool.staffed
        if n > len(pool.load):
            pool.load.extend([0] * (n - len(pool.load)))
        pool.staffed = n
        if n > old:
            for a in range(old, n):
                ld = pool.load[a]
                if ld < pool.k:
                    pool.free[ld].add(a)
                    if ld == 0:
                        pool.n_idle_agents += 1
            self._dispatch(pool)
        else:
            for a in range(n, old):
                ld = pool.load[a]
                if ld < pool.k and a in pool.free[ld]:
                    pool.free[ld].discard(a)
                    if ld == 0:
                        pool.n_idle_agents -= 1


def _contacts_in(arg: object) -> list[Contact]:
    """Contacts referenced by a pending event's payload."""
    if isinstance(arg, Contact):
        return [arg]
    if isinstance(arg, tuple):
        if len(arg) == 2 and isinstance(arg[0], list):  # an arrival chain (batch, next index)
            batch, k = arg
            return batch[k:]
        return [x for x in arg if isinstance(x, Contact)]
    return []


def next_opening_if_closed(c: Compiled, ch: int, t: float) -> float:
    """``t`` if the channel is open then, else its next opening."""
    arr = np.array([t])
    if open_mask(c, arr)[0, ch]:
        return t
    return float(next_opening(c, ch, arr)[0])
