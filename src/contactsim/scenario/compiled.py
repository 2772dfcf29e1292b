"""A scenario turned into index-based arrays and lookup tables the simulation uses directly.

Names become small integers once, here, so the arrival generator, the funnel and the engine work on
numpy arrays and Python lists instead of dictionaries of strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from contactsim.distributions import Sampler
from contactsim.scenario.calendar_inputs import forecast_arrays
from contactsim.scenario.opening import WeeklyWindows
from contactsim.scenario.rules import ATTRIBUTE_CRITERIA, attribute_atoms
from contactsim.scenario.samplers import sampler
from contactsim.scenario.schedules import paid_per_duty
from contactsim.scenario.schema import ContactClass, CustomerCriteria, Pool, Scenario
from contactsim.scenario.shifts import (  # noqa: F401 - staffing_timeline, weekly_staffing re-exported
    levels_of,
    staff_events,
    staffing_timeline,
    weekly_staffing,
)
from contactsim.scenario.tables import (
    ArrivalTables,
    CompiledTier,
    CostTables,
    CustomerTables,
    Escalation,
    FunnelTables,
    KpiTables,
    ProficiencySpec,
    RuleTables,
    arrival_tables,
    compiled_tiers,
    cost_tables,
    customer_tables,
    funnel_tables,
    kpi_tables,
    pool_rules,
    rule_tables,
)
from contactsim.scenario.timespec import DAY_S, WEEK_S, WEEKDAYS, opening_windows


@dataclass
class CompiledPool:
    index: int
    name: str
    channels: list[int]
    concurrency: int
    stretch: float
    handle_time_factor: float
    acw: Sampler | None
    change_times: np.ndarray
    """Seconds from the start at which staffing changes (first is 0)."""
    change_agents: np.ndarray
    max_agents: int
    hourly_cost: float
    shrinkage: float
    reserve_agents: int
    discipline: str = "fcfs"
    """The queue discipline unit (``policies.DISCIPLINES``): fcfs, priority, ageing, weighted or advisors."""
    rank: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """rank[segment, reason, profile] -> priority class (0 = highest) in this pool."""
    headstart: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """headstart[rank] -> seconds subtracted from the arrival time (ageing); inf for strict priority."""
    reserved_for: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    strict: bool = True
    weights: list[float] = field(default_factory=list)
    """Weighted shares per class (last: unmatched); empty unless the discipline is weighted."""
    staff_events: list[tuple[float, int, int]] = field(default_factory=list)
    """(time, group, n): n > 0 agents of a new group join; n < 0 that many agents of the group leave (their
    shift ends: each finishes the contact in hand). Sorted by time, leaves before joins at the same time."""
    paid_per_duty: float = 1.0
    """Scheduled (paid) agent-hours per available on-duty agent-hour (breaks, absence, adherence)."""
    expected_busy_s: float = 300.0
    """Mean agent time per contact (handle + after-contact work) before any is observed (callback predictions)."""
    queue_cap: int | None = None
    """Most contacts that may wait for this pool (None: no cap)."""
    escalation: Escalation | None = None
    """Its first-line to second-line rule, or None."""
    proficiency: ProficiencySpec | None = None
    """Its skill depth per reason (handle-time factor, own FCR)."""


@dataclass
class Compiled:
    """Everything the simulation and the KPIs read; built once, never the raw scenario (see tables.py)."""

    segments: list[str]
    reasons: list[str]
    channels: list[str]
    pools: list[str]
    horizon_s: float
    warmup_s: float
    end_s: float
    interval_s: float
    start_weekday: int
    steady_state: bool
    channel_abandons: list[bool]
    opening: WeeklyWindows
    """Per channel: its opening hours (always open in a steady state), for the funnel and the engine alike."""
    callback_hours: WeeklyWindows
    """Per channel: when callbacks are made (the callback's hours or the channel's; always in a steady state)."""
    reason_preference: np.ndarray
    """reason_preference[segment, reason, channel]: the segment's preference, or its own for that reason."""
    handle: dict[tuple[int, int], Sampler]
    """(reason, channel) -> handle-time sampler."""
    patience: dict[tuple[int, int], Sampler]
    """(segment, channel) -> patience sampler."""
    routes: dict[tuple[int, int, int, int], list[tuple[int, float]]]
    """(segment, reason, channel, profile) -> [(pool, join delay s)], first choice first."""
    servable: np.ndarray
    """servable[segment, reason, profile, channel]: some pool serves such a contact on the channel, which has a
    handle time for the reason (the funnel offers no dead ends)."""
    pool_defs: list[CompiledPool]
    sl_seconds: np.ndarray
    """sl_seconds[segment, channel]: service-level threshold."""
    sl_share: np.ndarray
    fcr: np.ndarray
    """fcr[reason, channel]."""
    arrivals: ArrivalTables
    customers: CustomerTables
    paid_tiers: tuple[CompiledTier, ...]
    """``policies.paid_tiers`` (tier k+1 of a customer is ``paid_tiers[k]``)."""
    costs: CostTables
    funnel: FunnelTables
    rules: RuleTables
    kpi: KpiTables
    ss_handle_factor: np.ndarray = field(default_factory=lambda: np.ones(0))
    """ss_handle_factor[reason]: handle-time factor of a need whose self-service failed (all its contacts)."""
    ss_patience_factor: np.ndarray = field(default_factory=lambda: np.ones(0))
    forecast: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict)
    """(day, segment, reason) -> expected needs per interval of that day, from ``arrivals.forecast_file``."""
    patience_by_hour: list[list[float]] | None = None
    """[segment][hour of day] patience factor (``segments.*.patience_by_hour``), None when none varies."""
    profiles: Profiles = field(default_factory=lambda: Profiles((), ()))
    profile_tier: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))
    """Paid tier of each profile (0: none)."""

    @property
    def n_intervals(self) -> int:
        """Intervals from the start of the run to the end of the drain."""
        return int(np.ceil(self.end_s / self.interval_s - 1e-9))

    @property
    def per_day(self) -> int:
        return round(DAY_S / self.interval_s)

    def interval_label(self, k: int) -> str:
        """'d01 Mon 08:30' for interval k from the start of the run (sortable text)."""
        d, r = divmod(k, self.per_day)
        secs = int(r * self.interval_s)
        wd = WEEKDAYS[(self.start_weekday + d) % 7].capitalize()
        return f"d{d + 1:02d} {wd} {secs // 3600:02d}:{secs % 3600 // 60:02d}"

    def week_slot_label(self, slot: int) -> str:
        """'1 Mon 08:30' for interval ``slot`` of the week (Monday first)."""
        d, r = divmod(slot, self.per_day)
        secs = int(r * self.interval_s)
        return f"{d + 1} {WEEKDAYS[d].capitalize()} {secs // 3600:02d}:{secs % 3600 // 60:02d}"


@dataclass(frozen=True)
class Profiles:
    """What the front door knows about a contact, as one small integer (the routing key).

    Profile 0 is an anonymous contact (not identified: general queue, no customer-based class matches);
    an identified contact's profile is ``1 + tier + (tiers + 1) * mask``, where ``tier`` is its paid tier
    (0: none) and bit ``b`` of ``mask`` says whether its customer passes attribute test ``atoms[b]``.
    """

    tiers: tuple[str, ...]
    atoms: tuple[tuple[str, float], ...]

    @property
    def n(self) -> int:
        return 1 + (len(self.tiers) + 1) * 2 ** len(self.atoms)

    def decode(self, p: int) -> tuple[bool, int, int]:
        """(identified, tier, attribute mask) of profile p."""
        if p == 0:
            return False, 0, 0
        q, tier = divmod(p - 1, len(self.tiers) + 1)
        return True, tier, q

    def encode(self, tier: np.ndarray, mask: np.ndarray, identified: np.ndarray) -> np.ndarray:
        return np.where(identified, 1 + tier + (len(self.tiers) + 1) * mask, 0).astype(np.int64)

    def tier_of(self) -> np.ndarray:
        """Paid tier of each profile (0: none or anonymous)."""
        return np.array([self.decode(p)[1] for p in range(self.n)], dtype=np.int64)


def profiles_of(sc: Scenario) -> Profiles:
    return Profiles(tuple(t.name for t in sc.policies.paid_tiers), tuple(attribute_atoms(sc)))


def _customer_criteria_given(cls: CustomerCriteria) -> bool:
    return bool(cls.segments or cls.tiers or any(getattr(cls, k) is not None for k in ATTRIBUTE_CRITERIA)
                or getattr(cls, "premium", None) is not None or getattr(cls, "paid_tiers", None))


def customer_matches(cls: CustomerCriteria, sc: Scenario, seg: str, prof: Profiles, p: int) -> bool:
    """Whether an (identified) customer of segment ``seg`` with profile ``p`` meets the criteria."""
    identified, tier, mask = prof.decode(p)
    if not identified:
        return not _customer_criteria_given(cls)
    s = sc.segments[seg]
    if (cls.segments and seg not in cls.segments) or (cls.tiers and s.tier not in cls.tiers):
        return False
    for crit, attr in ATTRIBUTE_CRITERIA.items():
        v = getattr(cls, crit)
        if v is not None and not (mask >> prof.atoms.index((attr, float(v)))) & 1:
            return False
    premium = getattr(cls, "premium", None)
    if premium is not None and premium != (tier > 0):
        return False
    paid = getattr(cls, "paid_tiers", None)
    return not (paid and (tier == 0 or prof.tiers[tier - 1] not in paid))


def _matches(cls: ContactClass, sc: Scenario, seg: str, reason: str, prof: Profiles, p: int) -> bool:
    r = sc.reasons[reason]
    identified = p != 0
    return (
        (not cls.reasons or reason in cls.reasons)
        and (cls.min_urgency is None or r.urgency >= cls.min_urgency)
        and (cls.identified is None or cls.identified == identified)
        and customer_matches(cls, sc, seg, prof, p)
    )


def class_table(cls: ContactClass, sc: Scenario, segs: list[str], reasons: list[str]) -> np.ndarray:
    """Boolean table [segment, reason, profile] of which contacts a class matches."""
    prof = profiles_of(sc)
    out = np.zeros((len(segs), len(reasons), prof.n), dtype=bool)
    for i, s in enumerate(segs):
        for j, r in enumerate(reasons):
            for p in range(prof.n):
                out[i, j, p] = _matches(cls, sc, s, r, prof, p)
    return out


def _pool_accepts(sc: Scenario, pool: Pool, seg: str, reason: str, ch: str, prof: Profiles, p: int) -> bool:
    """Whether a pool may serve this contact; pools for a segment, members or a class need it identified.
    The account managers' pool serves only (identified) customers of account-manager segments."""
    identified, tier, _ = prof.decode(p)
    am = sc.relationships.account_manager
    if am is not None and sc.pools.get(am.pool) is pool and not (
            identified and sc.segments[seg].relationship == "account_manager"):
        return False
    return (
        ch in pool.channels
        and (pool.reasons == "all" or reason in pool.reasons)
        and (pool.segments == "all" or (identified and seg in pool.segments))
        and (not pool.members_only or (identified and tier > 0))
        and (pool.serves is None or _matches(pool.serves, sc, seg, reason, prof, p))
    )


def first_choice(sc: Scenario, seg: str, reason: str, ch: str, prof: Profiles, p: int) -> str | None:
    """The pool a contact of routing profile ``p`` joins at once (None: no pool serves it). Routing
    (``Compiled.routes``) and staffing (an unanswered contact's pool, the segments a pool answers for) both
    decide it here: ``_pool_accepts`` (channels, reasons, segments, identification, members, ``serves``, the
    account managers' pool) and ``_route`` (the own advisor first)."""
    eligible = [name for name, pool in sc.pools.items() if _pool_accepts(sc, pool, seg, reason, ch, prof, p)]
    route = _route(sc, eligible, list(sc.pools))
    return list(sc.pools)[route[0][0]] if route else None


def segment_profiles(sc: Scenario, seg: str, prof: Profiles, identified: bool | None = None) -> list[int]:
    """The routing profiles a contact of the segment can have: anonymous (0) where its ``identified_share`` is
    below 1, identified ones (every paid tier and attribute mask) where it is above 0; ``identified`` keeps only
    those with that identification."""
    share = sc.segments[seg].identified_share
    out = [0] if share < 1.0 and identified is not True else []
    return out + (list(range(1, prof.n)) if share > 0.0 and identified is not False else [])


def _servable(routes: dict[tuple[int, int, int, int], list[tuple[int, float]]],
              handle: dict[tuple[int, int], Sampler], shape: tuple[int, int, int, int]) -> np.ndarray:
    """[segment, reason, profile, channel]: a route and a handle time (``Compiled.servable``)."""
    out = np.zeros(shape, dtype=bool)
    for (i, j, k, p), route in routes.items():
        out[i, j, p, k] = bool(route) and (j, k) in handle
    return out


def _route(sc: Scenario, eligible: list[str], pools: list[str]) -> list[tuple[int, float]]:
    """[(pool, join delay)] for a contact: its first eligible pool at once, others after their overflow
    delay. A contact for an account manager waits for the advisor only (continuity wait or message), or
    also joins every other eligible pool after ``fallback_after_s`` (continuity fallback)."""
    am = sc.relationships.account_manager
    if am is not None and am.pool in eligible:
        own = [(pools.index(am.pool), 0.0)]
        if am.continuity != "fallback":
            return own
        return own + [(pools.index(p), float(am.fallback_after_s)) for p in eligible if p != am.pool]
    route = []
    for n, p in enumerate(eligible):
        delay = 0.0 if n == 0 else sc.pools[p].takes_overflow_after_s
        if delay is not None:
            route.append((pools.index(p), float(delay)))
    return route


def compile_scenario(sc: Scenario) -> Compiled:
    segs, reasons, chans, pools = list(sc.segments), list(sc.reasons), list(sc.channels), list(sc.pools)
    h = sc.horizon
    interval_s = h.interval_minutes * 60.0
    if h.steady_state:
        warmup = h.warmup_hours * 3600.0
        horizon = warmup + (h.steady_state_hours or 0.0) * 3600.0
    else:
        warmup, horizon = 0.0, (h.days or 0) * DAY_S
    end_s = horizon + h.drain_hours * 3600.0
    start_wd = WEEKDAYS.index(h.start_weekday)

    pref = np.zeros((len(segs), len(chans)))
    for i, s in enumerate(segs):
        for c, w in sc.segments[s].channel_preference.items():
            pref[i, chans.index(c)] = w
    pref = pref / pref.sum(axis=1, keepdims=True)
    rpref = np.repeat(pref[:, None, :], len(reasons), axis=1)
    for i, s in enumerate(segs):
        for r, by_ch in sc.segments[s].channel_preference_by_reason.items():
            row = np.zeros(len(chans))
            for ch, w in by_ch.items():
                row[chans.index(ch)] = w
            rpref[i, reasons.index(r)] = row / row.sum()

    handle = {(j, chans.index(c)): sampler(d) for j, r in enumerate(reasons)
              for c, d in sc.reasons[r].handle_time.items()}
    patience = {(i, chans.index(c)): sampler(d) for i, s in enumerate(segs)
                for c, d in sc.segments[s].patience.items()}

    own = customer_tables(sc, segs)
    prof = profiles_of(sc)
    routes: dict[tuple[int, int, int, int], list[tuple[int, float]]] = {}
    for i, s in enumerate(segs):
        for j, r in enumerate(reasons):
            for k, c in enumerate(chans):
                for pr in range(prof.n):
                    el = [p for p, pool in sc.pools.items() if _pool_accepts(sc, pool, s, r, c, prof, pr)]
                    routes[(i, j, k, pr)] = _route(sc, el, pools)

    pool_defs = []
    for idx, (pname, pool) in enumerate(sc.pools.items()):
        events = staff_events(pool, interval_s, start_wd, end_s, h.start_date, pname)
        times, agents = levels_of(events)
        served = [(j, chans.index(c)) for j in range(len(reasons)) for c in pool.channels
                  if (j, chans.index(c)) in handle]
        mean_handle = float(np.mean([handle[k].mean for k in served])) if served else 300.0
        acw_s = sampler(pool.after_contact_work) if pool.after_contact_work else None
        esc, prof_spec = pool_rules(pool, reasons, pools)
        cp = CompiledPool(
            index=idx,
            name=pname,
            channels=[chans.index(c) for c in pool.channels],
            concurrency=max(sc.channels[c].concurrency for c in pool.channels),
            stretch=max(sc.channels[c].concurrency_stretch for c in pool.channels),
            handle_time_factor=pool.handle_time_factor,
            acw=acw_s,
            change_times=times,
            change_agents=agents,
            max_agents=int(agents.max()) if len(agents) else 0,
            hourly_cost=pool.hourly_cost,
            shrinkage=pool.shrinkage,
            paid_per_duty=paid_per_duty(pool),
            reserve_agents=pool.reserve.agents if pool.reserve else 0,
            staff_events=events,
            expected_busy_s=mean_handle * pool.handle_time_factor + (acw_s.mean if acw_s is not None else 0.0),
            queue_cap=pool.queue_cap,
            escalation=esc,
            proficiency=prof_spec,
        )
        classes = pool.discipline.classes if pool.discipline.type != "fcfs" else []
        n_cls = len(classes)
        rank = np.full((len(segs), len(reasons), prof.n), n_cls, dtype=np.int64)
        for ci in reversed(range(n_cls)):
            rank[class_table(classes[ci], sc, segs, reasons)] = ci
        cp.rank = rank
        if pool.discipline.ageing_s is not None:
            cp.strict = False
            cp.headstart = (n_cls - np.arange(n_cls + 1)) * pool.discipline.ageing_s
        else:
            cp.headstart = np.zeros(n_cls + 1)
        cp.weights = list(pool.discipline.weights) if pool.discipline.type == "weighted" else []
        cp.discipline = ("ageing" if pool.discipline.type == "priority" and pool.discipline.ageing_s is not None
                         else pool.discipline.type)
        am = sc.relationships.account_manager
        if am is not None and am.pool == pname:
            cp.discipline = "advisors"  # each advisor serves their own customers (policies/advisors.py)
        cp.reserved_for = (
            class_table(pool.reserve.for_class, sc, segs, reasons)
            if pool.reserve
            else np.zeros((len(segs), len(reasons), prof.n), dtype=bool)
        )
        pool_defs.append(cp)

    sl_s = np.zeros((len(segs), len(chans)))
    sl_share = np.zeros((len(segs), len(chans)))
    for i, s in enumerate(segs):
        for k, c in enumerate(chans):
            t = sc.service_level_target(c, s)
            sl_s[i, k], sl_share[i, k] = t.seconds, t.share
    fcr = np.ones((len(reasons), len(chans)))
    for j, r in enumerate(reasons):
        for c, p in sc.reasons[r].fcr.items():
            fcr[j, chans.index(c)] = p

    return Compiled(
        segments=segs,
        reasons=reasons,
        channels=chans,
        pools=pools,
        horizon_s=horizon,
        warmup_s=warmup,
        end_s=end_s,
        interval_s=interval_s,
        start_weekday=start_wd,
        steady_state=h.steady_state,
        channel_abandons=[sc.channels[c].abandonment for c in chans],
        opening=WeeklyWindows.of([
            [(0.0, WEEK_S)] if h.steady_state else opening_windows(sc.channels[c].opening_hours) for c in chans
        ], start_wd),
        reason_preference=rpref,
        handle=handle,
        patience=patience,
        routes=routes,
        servable=_servable(routes, handle, (len(segs), len(reasons), prof.n, len(chans))),
        pool_defs=pool_defs,
        sl_seconds=sl_s,
        sl_share=sl_share,
        fcr=fcr,
        arrivals=arrival_tables(sc, segs, reasons),
        customers=own,
        paid_tiers=compiled_tiers(sc, segs, chans, own),
        costs=cost_tables(sc, chans, (horizon - warmup) / 86400.0),
        funnel=funnel_tables(sc, segs, reasons, chans, pools, class_table),
        rules=rule_tables(sc, chans, pools),
        kpi=kpi_tables(sc, segs, chans, sl_s, horizon, warmup),
        ss_handle_factor=np.array([r.self_service.failed_handle_time_factor if r.self_service else 1.0
                                   for r in sc.reasons.values()]),
        ss_patience_factor=np.array([r.self_service.failed_patience_factor if r.self_service else 1.0
                                     for r in sc.reasons.values()]),
        callback_hours=WeeklyWindows.of([
            [(0.0, WEEK_S)] if h.steady_state else opening_windows(
                sc.policies.callback.hours if sc.policies.callback and sc.policies.callback.hours is not None
                else sc.channels[c].opening_hours) for c in chans
        ], start_wd),
        forecast=_forecast(sc, segs, reasons, horizon),
        patience_by_hour=[list(s.patience_by_hour) if s.patience_by_hour is not None else [1.0] * 24
                          for s in sc.segments.values()]
        if any(s.patience_by_hour is not None for s in sc.segments.values()) else None,
        profiles=prof,
        profile_tier=prof.tier_of(),
    )


def _forecast(sc: Scenario, segs: list[str], reasons: list[str], horizon_s: float) -> dict:
    """The forecast file as arrays per (day, segment, reason); rows without a segment split by share x mix."""
    if sc.arrivals.forecast_file is None or sc.horizon.start_date is None or sc.horizon.steady_state:
        return {}
    shares = np.array([s.share if s.share is not None else float(s.customers or 0) for s in sc.segments.values()])
    weights = np.array([[shares[i] * sc.reasons[r].segment_mix.get(s, 1.0) for r in reasons]
                        for i, s in enumerate(segs)])
    days = int(np.ceil(horizon_s / DAY_S - 1e-9))
    return forecast_arrays(sc.arrivals.forecast_file, sc.horizon.start_date, days, reasons, segs, weights)
