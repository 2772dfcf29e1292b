"""The SimPy engine: contacts wait for agents of a pool, abandon, are served, resolved or come back.

Design for speed (see issue 8): arrivals and everything drawn at a customer's birth come in as arrays;
no generator process or ``Condition`` per contact. Each pool is a dispatcher over a heap of waiting
contacts; abandonment and overflow are scheduled deadlines that are cancelled lazily (a fired deadline
of a contact no longer waiting does nothing). A served contact costs one event (the agent's release),
a queued one two or three. Per-contact state lives in Python lists (the fastest scalar access in
CPython) and becomes numpy columns at the end.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.core import NORMAL
from simpy.events import Event

from contactsim.arrivals import U, Needs
from contactsim.funnel import FunnelResult, next_opening
from contactsim.rng import stream
from contactsim.scenario.compiled import Compiled, CompiledPool, sampler

# contact states / outcomes
WAITING, SERVED, ABANDONED, UNSERVED, PENDING = 0, 1, 2, 3, 4
OUTCOME_NAMES = {SERVED: "handled", ABANDONED: "abandoned", UNSERVED: "unserved", WAITING: "unserved"}
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
        env.schedule(self, NORMAL, delay)


class _Pool:
    """Agents of one pool: who is free (by load, for chat concurrency) and who waits."""

    def __init__(self, cp: CompiledPool) -> None:
        self.cp = cp
        self.k = cp.concurrency
        self.staffed = 0
        n = max(cp.max_agents, 1)
        self.load = [0] * n
        self.free: list[set[int]] = [set() for _ in range(self.k)]
        self.n_idle_agents = 0
        self.heap: list[tuple[int, float, int, int]] = []
        self.rheap: list[tuple[int, float, int, int]] = []  # reserved-class contacts (reserve policy)
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
class EngineOutput:
    contacts: dict[str, np.ndarray]
    need_final: np.ndarray
    """Per need: RESOLVED/UNRESOLVED/NEED_ABANDONED/NEED_UNSERVED for assisted needs, -1 otherwise."""
    complained: np.ndarray
    repeats: np.ndarray
    staffing: list[tuple[np.ndarray, np.ndarray]]


class Engine:
    def __init__(self, c: Compiled, needs: Needs, f: FunnelResult, seed: int, rep: int) -> None:
        self.c = c
        self.sc = c.scenario
        self.env = simpy.Environment()
        self.needs = needs
        self.f = f
        self.rng = stream(seed, rep, "engine/dynamic")
        self.pools = [_Pool(cp) for cp in c.pool_defs]
        n_need = len(needs)
        self.need_final = np.full(n_need, -1, dtype=np.int8)
        self.complained = np.zeros(n_need, dtype=bool)
        self.repeats = np.zeros(n_need, dtype=np.int16)
        # per-contact columns
        nc = f.contact_need.size
        self.c_need = f.contact_need.tolist()
        self.c_seg = needs.segment[f.contact_need].tolist()
        self.c_rea = needs.reason[f.contact_need].tolist()
        self.c_ch = f.channel.tolist()
        self.c_arr = (f.contact_at + f.ivr_s).tolist()
        self.c_pat = f.patience_s.tolist()
        self.c_hdl = f.handle_s.tolist()
        self.c_kind = [FIRST] * nc
        self.c_attempt = [1] * nc
        self.c_prem = f.premium[f.contact_need].tolist()
        self.c_misroute = f.misrouted.tolist()
        self.c_ivr = f.ivr_s.tolist()
        self.c_u_fcr = needs.u[f.contact_need, U["fcr"]].tolist()
        self.c_u_retry = needs.u[f.contact_need, U["retrial"]].tolist()
        self.c_u_acw = needs.u[f.contact_need, U["acw"]].tolist()
        self.c_u_cmp = needs.u[f.contact_need, U["complaint"]].tolist()
        self.c_u_cb = needs.u[f.contact_need, U["callback"]].tolist()
        self.c_pool_forced = [-1] * nc
        # outputs
        nan = math.nan
        self.state = [PENDING] * nc
        self.o_ans = [nan] * nc
        self.o_end = [nan] * nc
        self.o_wait = [nan] * nc
        self.o_hdl = [nan] * nc
        self.o_acw = [0.0] * nc
        self.o_pool = [-1] * nc
        self.o_res = [False] * nc
        self.o_transfers = [0] * nc
        self.o_callback = [False] * nc
        self.o_first_wait = [nan] * nc
        self.queued_in: list[list[int] | None] = [None] * nc
        self.routes = c.routes
        self.fcr = c.fcr
        self.abandons = c.channel_abandons
        self.handle = c.handle
        self.patience = c.patience
        cb = self.sc.policies.callback
        self.cb_channels = {c.channels.index(x) for x in cb.channels} if cb else set()
        self.cb_limit = cb.offer_when_wait_exceeds_s if cb else math.inf
        self.cb_accept = cb.acceptance if cb else 0.0
        self.webcare_pool = c.pools.index(self.sc.webcare.pool) if self.sc.webcare and self.sc.webcare.pool else -1
        self.seq = 0
        self.c_wait_before: dict[int, float] = {}
        self.c_queued_first_at: dict[int, float] = {}
        """Misrouted contacts: when they first entered a queue (c_arr then holds the re-queue time)."""
        self._samplers: dict = {}
        self._aht_seen = 0.0
        self._aht_n = 0
        # outreach tasks join as contacts forced onto their pool, without patience
        for need, at, pool, h in zip(f.outreach_need.tolist(), f.outreach_at.tolist(), f.outreach_pool.tolist(),
                                     f.outreach_handle_s.tolist(), strict=True):
            ch = c.pool_defs[pool].channels[0]
            self._new_contact(need, ch, at, math.inf, h, OUTREACH, 1, forced_pool=pool)

    # -- contact bookkeeping ---------------------------------------------------------------------------
    def _new_contact(self, need: int, ch: int, at: float, patience: float, handle: float, kind: int, attempt: int,
                     forced_pool: int = -1) -> int:
        i = len(self.c_need)
        r = self.rng.random(5)
        self.c_need.append(need)
        self.c_seg.append(int(self.needs.segment[need]))
        self.c_rea.append(int(self.needs.reason[need]))
        self.c_ch.append(ch)
        self.c_arr.append(at)
        self.c_pat.append(patience)
        self.c_hdl.append(handle)
        self.c_kind.append(kind)
        self.c_attempt.append(attempt)
        self.c_prem.append(bool(self.f.premium[need]))
        self.c_misroute.append(False)
        self.c_ivr.append(0.0)
        self.c_u_fcr.append(float(r[0]))
        self.c_u_retry.append(float(r[1]))
        self.c_u_acw.append(float(r[2]))
        self.c_u_cmp.append(float(r[3]))
        self.c_u_cb.append(float(r[4]))
        self.c_pool_forced.append(forced_pool)
        self.state.append(PENDING)
        for col in (self.o_ans, self.o_end, self.o_wait, self.o_hdl, self.o_first_wait):
            col.append(math.nan)
        self.o_acw.append(0.0)
        self.o_pool.append(-1)
        self.o_res.append(False)
        self.o_transfers.append(0)
        self.o_callback.append(False)
        self.queued_in.append(None)
        if at >= self.env.now:
            _Call(self.env, at - self.env.now, self._arrive, i)
        return i

    def _draw(self, smp_key: tuple[int, int], table: dict) -> float:  # noqa: ANN001
        smp = table.get(smp_key)
        if smp is None:
            return math.inf
        return float(smp.ppf(self.rng.random(1))[0])

    # -- events ----------------------------------------------------------------------------------------
    def _arrival_chain(self, ev: Event) -> None:
        i = ev._value
        self._arrive_now(i)
        n0 = self._n_initial
        if i + 1 < n0:
            _Call(self.env, self.c_arr[i + 1] - self.env.now, self._arrival_chain, i + 1)

    def _arrive(self, ev: Event) -> None:
        self._arrive_now(ev._value)

    def _route(self, i: int) -> list[tuple[int, float]]:
        forced = self.c_pool_forced[i]
        if forced >= 0:
            return [(forced, 0.0)]
        return self.routes[(self.c_seg[i], self.c_rea[i], self.c_ch[i])]

    def _arrive_now(self, i: int) -> None:
        self.state[i] = WAITING
        route = self._route(i)
        for p, delay in route:
            if delay == 0.0 and self._try_serve(self.pools[p], i):
                return
        # callback offer on long predicted waits: the customer keeps its place and cannot abandon
        pat = self.c_pat[i]
        if self.c_ch[i] in self.cb_channels and self.c_kind[i] != OUTREACH:
            primary = self.pools[route[0][0]]
            agents = max(primary.staffed, 1)
            predicted = primary.n_waiting * self._aht_guess(primary) / agents
            if predicted > self.cb_limit and self.c_u_cb[i] < self.cb_accept:
                self.o_callback[i] = True
                pat = math.inf
        qi: list[int] = []
        self.queued_in[i] = qi
        for p, delay in route:
            if delay == 0.0:
                self._enqueue(self.pools[p], i)
                qi.append(p)
            else:
                _Call(self.env, delay, self._overflow, (i, p))
        if pat != math.inf and self.abandons[self.c_ch[i]]:
            _Call(self.env, pat, self._abandon, i)

    def _aht_guess(self, pool: _Pool) -> float:
        return pool.cp.handle_time_factor * 300.0 if not self._aht_seen else self._aht_seen / max(self._aht_n, 1)

    def _overflow(self, ev: Event) -> None:
        i, p = ev._value
        if self.state[i] != WAITING:
            return
        pool = self.pools[p]
        if self._try_serve(pool, i):
            return
        self._enqueue(pool, i)
        qi = self.queued_in[i]
        if qi is not None:
            qi.append(p)

    def _enqueue(self, pool: _Pool, i: int) -> None:
        cp = pool.cp
        prem = 1 if self.c_prem[i] else 0
        rank = int(cp.rank[self.c_seg[i], self.c_rea[i], prem])
        eff = self.c_arr[i] - float(cp.headstart[rank])
        if not cp.strict:
            rank = 0
        self.seq += 1
        entry = (rank, eff, self.seq, i)
        heapq.heappush(pool.heap, entry)
        if cp.reserve_agents and cp.reserved_for[self.c_seg[i], self.c_rea[i], prem]:
            heapq.heappush(pool.rheap, entry)
        pool.n_waiting += 1

    def _reserved_ok(self, pool: _Pool, i: int) -> bool:
        cp = pool.cp
        if not cp.reserve_agents or pool.n_idle_agents > cp.reserve_agents:
            return True
        return bool(cp.reserved_for[self.c_seg[i], self.c_rea[i], 1 if self.c_prem[i] else 0])

    def _try_serve(self, pool: _Pool, i: int) -> bool:
        if not pool.has_free() or not self._reserved_ok(pool, i):
            return False
        self._start(pool, pool.take_agent(), i)
        return True

    def _leave_queues(self, i: int) -> None:
        qi = self.queued_in[i]
        if qi:
            for p in qi:
                self.pools[p].n_waiting -= 1
        self.queued_in[i] = None

    def _start(self, pool: _Pool, agent: int, i: int) -> None:
        now = self.env.now
        self._leave_queues(i)
        cp = pool.cp
        load = pool.load[agent]
        pool.load[agent] = load + 1
        if load + 1 < pool.k and agent < pool.staffed:
            pool.free[load + 1].add(agent)  # a chat agent with room for another conversation
        wait = now - self.c_arr[i]
        if self.c_misroute[i]:
            # misrouted by the IVR: a short talk, then a transfer into the queue again
            self.c_misroute[i] = False
            self.o_transfers[i] += 1
            self.o_first_wait[i] = wait
            busy = self.sc.policies.ivr.transfer_time_s if self.sc.policies.ivr else 0.0
            _Call(self.env, busy, self._release, (pool, agent))
            self.state[i] = PENDING
            self.c_wait_before[i] = self.c_wait_before.get(i, 0.0) + wait + busy
            _Call(self.env, busy, self._requeue, i)
            return
        self.state[i] = SERVED
        earlier = self.c_wait_before.get(i, 0.0)
        handle = self.c_hdl[i] * cp.handle_time_factor * (1.0 + cp.stretch * load)
        acw = float(cp.acw.ppf(np.array([self.c_u_acw[i]]))[0]) if cp.acw is not None else 0.0
        self.o_ans[i] = now
        self.o_wait[i] = wait + earlier
        if math.isnan(self.o_first_wait[i]):
            self.o_first_wait[i] = wait
        self.o_hdl[i] = handle
        self.o_acw[i] = acw
        self.o_pool[i] = cp.index
        end = now + handle
        self.o_end[i] = end
        self._aht_seen += handle
        self._aht_n += 1
        _Call(self.env, handle + acw, self._release, (pool, agent))
        kind = self.c_kind[i]
        if kind in (OUTREACH, WEBCARE):
            self.o_res[i] = True
            return
        resolved = self.c_u_fcr[i] < self.fcr[self.c_rea[i], self.c_ch[i]]
        self.o_res[i] = resolved
        need = self.c_need[i]
        if resolved:
            self.need_final[need] = RESOLVED
            return
        rep = self.sc.reasons[self.c.reasons[self.c_rea[i]]].repeat
        if self.repeats[need] < rep.max_repeats and self.rng.random() < rep.probability:
            self.repeats[need] += 1
            delay = float(self._sampler_cache(("repeat", self.c_rea[i]), rep.delay).ppf(self.rng.random(1))[0])
            self._follow_up(i, end + delay, REPEAT)
        else:
            self._finalise(i, UNRESOLVED)

    def _sampler_cache(self, key: tuple, spec):  # noqa: ANN001, ANN202
        s = self._samplers.get(key)
        if s is None:
            s = self._samplers[key] = sampler(spec)
        return s

    def _follow_up(self, i: int, at: float, kind: int) -> None:
        """A retrial or repeat contact of the same need, on the same channel (next opening if closed)."""
        ch = self.c_ch[i]
        if not self.c.steady_state:
            at = float(next_opening_if_closed(self.c, ch, at))
        if at >= self.c.horizon_s:
            self._finalise(i, NEED_ABANDONED if kind == RETRIAL else UNRESOLVED)
            return
        seg, rea = self.c_seg[i], self.c_rea[i]
        pat = self._draw((seg, ch), self.patience) if self.abandons[ch] else math.inf
        hdl = self._draw((rea, ch), self.handle)
        self._new_contact(self.c_need[i], ch, at, pat, hdl, kind, self.c_attempt[i] + 1)

    def _finalise(self, i: int, final: int) -> None:
        need = self.c_need[i]
        self.need_final[need] = final
        wc = self.sc.webcare
        if wc is None or final == RESOLVED:
            return
        p = wc.complaint_probability_unresolved if final == UNRESOLVED else wc.complaint_probability_abandoned
        if self.c_u_cmp[i] < p:
            self.complained[need] = True
            if self.webcare_pool >= 0:
                ch = self.c.pool_defs[self.webcare_pool].channels[0]
                h = float(self._sampler_cache(("webcare",), wc.handle_time).ppf(self.rng.random(1))[0])
                self._new_contact(need, ch, self.env.now + 600.0, math.inf, h, WEBCARE, 1,
                                  forced_pool=self.webcare_pool)

    def _requeue(self, ev: Event) -> None:
        i = ev._value
        self.c_queued_first_at.setdefault(i, self.c_arr[i])
        self.c_arr[i] = self.env.now
        self._arrive_now(i)

    def _abandon(self, ev: Event) -> None:
        i = ev._value
        if self.state[i] != WAITING:
            return
        self._leave_queues(i)
        self.state[i] = ABANDONED
        now = self.env.now
        earlier = self.c_wait_before.get(i, 0.0)
        self.o_wait[i] = now - self.c_arr[i] + earlier
        self.o_end[i] = now
        seg = self.c_seg[i]
        retrial = self.sc.segments[self.c.segments[seg]].retrial
        if retrial and self.c_attempt[i] < retrial.max_attempts and self.c_u_retry[i] < retrial.probability:
            delay = float(self._sampler_cache(("retrial", seg), retrial.delay).ppf(self.rng.random(1))[0])
            self._follow_up(i, now + delay, RETRIAL)
        else:
            self._finalise(i, NEED_ABANDONED)

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

    def _pop(self, pool: _Pool, heap: list) -> int:
        state = self.state
        while heap:
            i = heapq.heappop(heap)[3]
            if state[i] == WAITING:
                return i
        return -1

    def _dispatch(self, pool: _Pool) -> None:
        reserve = pool.cp.reserve_agents
        while pool.has_free():
            if reserve and pool.n_idle_agents <= reserve:
                i = self._pop(pool, pool.rheap)
            else:
                i = self._pop(pool, pool.heap)
            if i < 0:
                return
            self._start(pool, pool.take_agent(), i)

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

    # -- run -------------------------------------------------------------------------------------------
    def run(self) -> EngineOutput:
        env = self.env
        for pool in self.pools:
            for t, n in zip(pool.cp.change_times.tolist(), pool.cp.change_agents.tolist(), strict=True):
                _Call(env, t, self._staff, (pool, int(n)))
        # the funnel's contacts are sorted by need arrival; the contact time may be later (self-service,
        # deferral), so order them by contact time for the arrival chain
        n0 = len(self.c_arr) - self.f.outreach_need.size
        order = sorted(range(n0), key=self.c_arr.__getitem__)
        if order != list(range(n0)):
            self._reorder(order, n0)
        self._n_initial = n0
        if n0:
            _Call(env, self.c_arr[0], self._arrival_chain, 0)
        env.run(until=self.c.end_s)
        for i, s in enumerate(self.state):
            if s in (WAITING, PENDING):
                self.state[i] = UNSERVED
                if self.c_kind[i] not in (OUTREACH, WEBCARE):
                    self.need_final[self.c_need[i]] = NEED_UNSERVED
        staffing = [(p.cp.change_times, p.cp.change_agents) for p in self.pools]
        return EngineOutput(self._columns(), self.need_final, self.complained, self.repeats, staffing)

    def _reorder(self, order: list[int], n0: int) -> None:
        full = order + list(range(n0, len(self.c_arr)))
        for name in ("c_need", "c_seg", "c_rea", "c_ch", "c_arr", "c_pat", "c_hdl", "c_kind", "c_attempt",
                     "c_prem", "c_misroute", "c_ivr", "c_u_fcr", "c_u_retry", "c_u_acw", "c_u_cmp", "c_u_cb",
                     "c_pool_forced"):
            col = getattr(self, name)
            setattr(self, name, [col[k] for k in full])

    def _columns(self) -> dict[str, np.ndarray]:
        state = np.array(self.state, dtype=np.int8)
        arrival = np.array(self.c_arr, dtype=float)
        for i, t in self.c_queued_first_at.items():
            arrival[i] = t
        return {
            "need_id": np.array(self.c_need, dtype=np.int64),
            "kind": np.array(self.c_kind, dtype=np.int8),
            "attempt": np.array(self.c_attempt, dtype=np.int16),
            "segment": np.array(self.c_seg, dtype=np.int16),
            "reason": np.array(self.c_rea, dtype=np.int16),
            "channel": np.array(self.c_ch, dtype=np.int16),
            "pool": np.array(self.o_pool, dtype=np.int16),
            "premium": np.array(self.c_prem, dtype=bool),
            "arrival_at": arrival,
            "answered_at": np.array(self.o_ans, dtype=float),
            "end_at": np.array(self.o_end, dtype=float),
            "wait_s": np.array(self.o_wait, dtype=float),
            "handle_s": np.array(self.o_hdl, dtype=float),
            "acw_s": np.array(self.o_acw, dtype=float),
            "ivr_s": np.array(self.c_ivr, dtype=float),
            "outcome": state,
            "resolved": np.array(self.o_res, dtype=bool),
            "transfers": np.array(self.o_transfers, dtype=np.int8),
            "callback": np.array(self.o_callback, dtype=bool),
        }


def next_opening_if_closed(c: Compiled, ch: int, t: float) -> float:
    """``t`` if the channel is open then, else its next opening."""
    from contactsim.funnel import open_mask  # local: keeps the hot path free of array work

    arr = np.array([t])
    if open_mask(c, arr)[0, ch]:
        return t
    return float(next_opening(c, ch, arr)[0])
