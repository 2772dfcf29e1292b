"""One replication end to end, a day at a time: needs -> funnel -> engine -> records, costs, satisfaction, KPIs.

The horizon is processed in blocks (days). Each block's needs pass the funnel and feed the engine;
whatever the engine has finished is flushed into the KPI accumulator (and kept as records when asked).
A block's need records are emitted once all its needs reached their final state. Memory therefore
follows the contacts in the system and the days still open, not the length of the horizon.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contactsim import arrivals, costs, customers, satisfaction
from contactsim.engine import Engine, Flushed
from contactsim.funnel import ASSISTED, FunnelResult, run_funnel
from contactsim.metrics import KEYS, KpiAccumulator
from contactsim.records import (
    FINAL_TO_TERMINAL,
    LEVELS,
    TERMINAL_STATES,
    contacts_frame,
    enrich,
    interval_categories,
    need_levels,
    needs_frame,
)
from contactsim.scenario.compiled import Compiled

_TERMINAL_OF_FINAL = np.zeros(max(FINAL_TO_TERMINAL) + 1, dtype=np.int8)
for _final, _terminal in FINAL_TO_TERMINAL.items():
    _TERMINAL_OF_FINAL[_final] = _terminal

FEED_CONTACTS = 25_000
"""Contacts are handed to the engine (and finished ones flushed) in steps of about this many contacts
(at least an hour, at most a day): few enough to bound memory, many enough that per-step work is small."""


@dataclass
class ReplicationResult:
    replication: int
    kpis: pd.DataFrame
    waterfall: pd.DataFrame
    by_reason: pd.DataFrame
    contacts: pd.DataFrame | None
    needs: pd.DataFrame | None
    n_needs: int
    n_contacts: int
    seconds: float


@dataclass
class _Block:
    """A day's needs while some of them are still in the engine."""

    offset: int
    needs: arrivals.Needs
    f: FunnelResult
    level: np.ndarray
    terminal: np.ndarray
    repeats: np.ndarray
    complained: np.ndarray
    last_csat: np.ndarray
    last_contact: np.ndarray
    open: int


class _Run:
    def __init__(self, c: Compiled, seed: int, rep: int, keep_records: bool, engine: bool = True,
                 population: customers.Population | None = None) -> None:
        self.c, self.rep, self.keep = c, rep, keep_records
        self.t0 = time.perf_counter()
        self.acc = KpiAccumulator(c, LEVELS, TERMINAL_STATES)
        self.engine = Engine(c, seed, rep) if engine else None
        self.population = customers.draw_population(c, seed, rep) if population is None else population
        self.fees = np.zeros(len(c.segments))
        """Per segment: paid tiers' fees per contact (contacts that arrived in the measured window)."""
        self.blocks: dict[int, _Block] = {}
        self.starts: list[int] = []
        self.labels = interval_categories(c) if keep_records else []  # records only (~5 us a label)
        self.contact_frames: list[pd.DataFrame] = []
        self.need_frames: list[pd.DataFrame] = []
        self.expected = np.zeros(len(c.segments))
        """Needs arriving in the measured window, per segment (the conservation check)."""
        self.n_needs = 0
        self.n_contacts = 0
        self.csat_params = c.kpi.csat
        self.expect = c.kpi.expected_wait

    def open_block(self, needs: arrivals.Needs, f: FunnelResult) -> _Block:
        """Keep a day's needs (and their funnel) open until all of them reached their final state."""
        c = self.c
        level = need_levels(c, f)
        n = len(needs)
        terminal = np.where(f.stage < ASSISTED, f.stage, -1).astype(np.int8)
        blk = _Block(self.n_needs, needs, f, level, terminal, np.zeros(n, np.int16), np.zeros(n, bool),
                     np.full(n, np.nan), np.full(n, -1, np.int64), int((f.stage == ASSISTED).sum()))
        in_win = (needs.arrival_at >= c.warmup_s) & (needs.arrival_at < c.horizon_s)
        self.expected += np.bincount(needs.segment[in_win].astype(np.int64), minlength=len(c.segments))
        self.blocks[blk.offset] = blk
        self.starts.append(blk.offset)
        self.n_needs += n
        return blk

    def add_block(self, b: int, needs: arrivals.Needs, f: FunnelResult) -> None:
        """Open a day and feed the engine its contacts a few hours at a time, flushing in between, so only a
        few hours of contacts are ever held as objects."""
        c = self.c
        blk = self.open_block(needs, f)
        level = blk.level
        start = b * arrivals.BLOCK_S
        end = min(start + arrivals.BLOCK_S, c.horizon_s)
        at = f.contact_at + f.ivr_s
        step = float(np.clip((end - start) * FEED_CONTACTS / max(at.size, 1), 3600.0, arrivals.BLOCK_S))
        cuts = [start + k * step for k in range(1, int(np.ceil((end - start) / step - 1e-9)))]
        edges = np.searchsorted(np.sort(at), cuts)
        order = np.argsort(at, kind="stable")
        pieces = np.split(order, edges)
        for k, piece in enumerate(pieces):
            self.engine.feed(needs, f, blk.offset, level, select=piece, outreach=k == 0)
            if k < len(cuts):
                self.engine.run_until(cuts[k])
                self.process(self.engine.flush())
        if blk.open == 0 and blk.offset in self.blocks:  # no assisted needs at all
            self._emit(blk)

    def _block_of(self, need_ids: np.ndarray) -> np.ndarray:
        starts = np.array(self.starts)
        return starts[np.searchsorted(starts, need_ids, side="right") - 1]

    def process(self, fl: Flushed) -> None:
        c = self.c
        col = fl.contacts
        if fl.overtime:
            self.acc.add_overtime(fl.overtime)
        if len(col["contact_id"]):
            enrich(c, col, self.expect, self.csat_params)
            if c.paid_tiers:
                arr = col["arrival_at"]
                counted = col["customer"] & (arr >= c.warmup_s) & (arr < c.horizon_s)
                self.fees += np.bincount(col["segment"].astype(np.int64), costs.contact_fees(c, col["tier"], counted),
                                         minlength=len(c.segments))
            self.acc.add_contacts(col)
            self.n_contacts += len(col["contact_id"])
            cust = col["customer"]
            if cust.any():
                need_ids, cids, csat = col["need_id"][cust], col["contact_id"][cust], col["csat"][cust]
                owners = self._block_of(need_ids)
                for start in np.unique(owners):
                    blk = self.blocks[int(start)]
                    sel = owners == start
                    local = need_ids[sel] - blk.offset
                    later = cids[sel] > blk.last_contact[local]
                    blk.last_contact[local[later]] = cids[sel][later]
                    blk.last_csat[local[later]] = csat[sel][later]
            if self.keep:
                self.contact_frames.append(contacts_frame(c, col, self.rep, self.labels))
        if len(fl.final_needs):
            owners = self._block_of(fl.final_needs)
            for start in np.unique(owners):
                blk = self.blocks[int(start)]
                sel = owners == start
                local = fl.final_needs[sel] - blk.offset
                blk.terminal[local] = _TERMINAL_OF_FINAL[fl.final_codes[sel]]
                blk.repeats[local] = fl.repeats[sel]
                blk.complained[local] = fl.complained[sel]
                blk.open -= int(sel.sum())
                if blk.open == 0:
                    self._emit(blk)

    def _emit(self, blk: _Block) -> None:
        """All needs of a block are final: account for them and drop the block."""
        c, f, p = self.c, blk.f, self.csat_params
        csat = blk.last_csat.copy()
        csat[blk.terminal == 1] = p.base
        csat[blk.terminal == 2] = p.base - p.effort_weight
        unresolved = blk.terminal == 4
        csat[unresolved] = np.maximum(csat[unresolved] - p.resolution_weight * 0.5, 1.0)
        csat[f.automated] = p.base  # straight through: no effort at all, unlike self-service
        value = f.customers.attrs["value_per_year"]  # the customer's own value (the segment's without a population)
        var = np.where(np.isnan(csat), 0.0, satisfaction.value_at_risk(
            c.kpi.churn, np.nan_to_num(csat, nan=5.0), value))
        other = costs.need_costs(c, blk.needs.reason, blk.terminal == 0, f.notified, f.ss_attempted, blk.complained,
                                 f.automation_tried, f.community_posted)
        self.acc.add_need_flags(blk.needs.segment, blk.needs.arrival_at, {
            "needs_automated": f.automated, "community_posts": f.community_posted,
            "community_solved": f.community_solved, "notification_contacts": f.about_notification,
            "moderator_hours": f.community_posted * (c.kpi.moderator_minutes_per_post / 60.0),
        })
        self.acc.add_needs(blk.needs.segment, blk.needs.reason, blk.level, blk.terminal, blk.needs.arrival_at, other,
                           blk.repeats, blk.complained, csat, var)
        if self.keep:
            nf = needs_frame(c, blk.needs, f, blk.level, blk.terminal, blk.repeats, blk.complained, blk.offset,
                             self.rep, self.labels)
            nf["own_cost"] = other
            nf["csat"] = csat
            nf["value_at_risk"] = var
            self.need_frames.append(nf)
        del self.blocks[blk.offset]
        self.starts.remove(blk.offset)

    def result(self) -> ReplicationResult:
        """The replication's KPIs (and records when kept) once every contact was processed."""
        c, rep = self.c, self.rep
        revenue = costs.premium_revenue(c, dict(zip(c.segments, self.fees.tolist(), strict=True)),
                                        customers.member_shares(c, self.population))
        fixed = costs.fixed_cost_breakdown(c)
        kpis, wf, by_reason = self.acc.finish(rep, sum(fixed.values()), revenue, expected_needs=self.expected)
        extra = pd.DataFrame([(rep, "all", "all", "all", "all", f"fixed_cost_{k}", v) for k, v in fixed.items()],
                             columns=["replication", *KEYS, "metric", "value"])
        kpis = pd.concat([kpis, extra], ignore_index=True)
        _, rate = self.acc.pool_frame()
        contacts, needs = self.records(rate)
        return ReplicationResult(replication=rep, kpis=kpis, waterfall=wf, by_reason=by_reason, contacts=contacts,
                                 needs=needs, n_needs=self.n_needs, n_contacts=self.n_contacts,
                                 seconds=time.perf_counter() - self.t0)

    def records(self, rate: np.ndarray) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        if not self.keep:
            return None, None
        contacts = pd.concat(self.contact_frames, ignore_index=True) if self.contact_frames else None
        needs = pd.concat(self.need_frames, ignore_index=True) if self.need_frames else None
        if contacts is not None:
            pool = contacts["pool"].cat.codes.to_numpy()
            mis = contacts["misroute_pool"].cat.codes.to_numpy()
            contacts["cost"] = (contacts["other_cost"] + contacts["busy_s"] * np.where(pool >= 0, rate[pool], 0.0)
                                + contacts["misroute_s"] * np.where(mis >= 0, rate[mis], 0.0))
            contacts = contacts.drop(columns=["other_cost", "busy_s"])
            contacts = contacts.sort_values(["arrival_at", "contact_id"], kind="stable").reset_index(drop=True)
        if needs is not None:
            per_need = contacts.groupby("need_id", sort=False)["cost"].sum() if contacts is not None else None
            needs["cost"] = needs["own_cost"]
            if per_need is not None:
                needs["cost"] += per_need.reindex(needs["need_id"]).fillna(0.0).to_numpy()
            needs = needs.drop(columns=["own_cost"]).sort_values("need_id").reset_index(drop=True)
        return contacts, needs


def run_replication(c: Compiled, seed: int, rep: int, keep_records: bool = True) -> ReplicationResult:
    """Simulate one replication. The cyclic garbage collector is paused meanwhile: the engine makes
    hundreds of thousands of small acyclic objects, and repeated full collections over them would cost
    more than the simulation itself."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_replication(c, seed, rep, keep_records)
    finally:
        if enabled:
            gc.enable()


def _run_replication(c: Compiled, seed: int, rep: int, keep_records: bool) -> ReplicationResult:
    run = _Run(c, seed, rep, keep_records)  # its clock starts here: ReplicationResult.seconds
    for b, (needs, f) in enumerate(draw_days(c, seed, rep, run.population)):
        run.add_block(b, needs, f)
        run.engine.run_until(min((b + 1) * arrivals.BLOCK_S, c.horizon_s))
        run.process(run.engine.flush())
    run.engine.run_until(c.end_s)
    run.engine.finish()
    run.process(run.engine.flush())
    return run.result()


def draw_days(c: Compiled, seed: int, rep: int,
              population: customers.Population) -> Iterator[tuple[arrivals.Needs, FunnelResult]]:
    """A replication's needs and their funnel, a day at a time (lazily: memory follows a day): the draws every
    simulator of the replication shares, the event engine and the FCFS recursion (``fcfs_scenario``)."""
    for b in range(arrivals.n_blocks(c)):
        needs = arrivals.generate(c, seed, rep, b)
        yield needs, run_funnel(c, needs, population)


def without_engine(c: Compiled, seed: int, rep: int, keep_records: bool = False,
                   days: list[tuple[arrivals.Needs, FunnelResult]] | None = None,
                   population: customers.Population | None = None) -> _Run:
    """A replication's bookkeeping with every day opened (needs, funnel) and no event engine: for a simulator
    that settles the contacts itself (``fcfs_scenario``: the FCFS recursion). It hands them in as the engine
    would (``process(Flushed(...))``: the record batch of ``records.ENGINE_COLUMNS`` + ``INFO_FIELDS`` and the
    needs' final states); ``result()`` then gives the KPIs through the same enrichment and accumulator as a
    simulated replication. ``days`` (with the ``population`` they were drawn for): :func:`draw_days`, drawn
    once and reused (every agent count of a sweep)."""
    run = _Run(c, seed, rep, keep_records, engine=False, population=population)
    for needs, f in draw_days(c, seed, rep, run.population) if days is None else days:
        blk = run.open_block(needs, f)
        if blk.open == 0:  # no assisted needs at all
            run._emit(blk)
    return run
