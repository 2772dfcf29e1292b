"""Per-concern tables of a compiled scenario: what arrivals, customers, the funnel, costs and the follow-up rules
read, built once by ``compile_scenario`` (names turned into indices, distributions into samplers).

Downstream modules read these, never the raw scenario (tests/unit/test_architecture.py checks that no
simulation or KPI module touches ``.scenario``). Each table is a frozen dataclass of numpy arrays, tuples
indexed like ``Compiled.segments`` / ``reasons`` / ``channels`` / ``pools``, and typed schema sections where a
policy is a handful of parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contactsim.distributions import Sampler
from contactsim.scenario.samplers import sampler
from contactsim.scenario.schema import Churn, Csat, Scenario
from contactsim.scenario.timespec import DAY_S, WEEKDAYS, parse_clock

ATTRIBUTES = ("value_per_year", "tenure_years", "products", "potential")
"""Customer attributes (customers.py); a segment without a population gives every customer its own values."""
_MINIMUMS = (("min_value_per_year", "value_per_year"), ("min_tenure_years", "tenure_years"),
             ("min_products", "products"), ("min_potential", "potential"))


# --- arrivals -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledIncident:
    """An outage: ``extra_needs`` (mean) of one reason spread over ``duration_minutes`` from ``start_s``."""

    start_s: float
    extra_needs: float
    duration_minutes: float
    reason: int
    segments: np.ndarray
    """[segment] True where the incident's needs may come from (all when it names none)."""


@dataclass(frozen=True)
class ArrivalTables:
    volume: np.ndarray
    """[segment, reason] needs per average day."""
    uses_extra: bool
    """Whether needs draw the second uniform matrix (identity, identification, relationship modes, questions)."""
    overdispersion_cv: float
    day_persistence: float
    interval_overdispersion_cv: float
    weekly: tuple[float, ...]
    """Weekly factor per weekday (Monday first)."""
    intraday: tuple[np.ndarray | None, ...]
    """Intraday profile per weekday (Monday first): the weekday's own or the common one; None: flat."""
    reason_intraday: tuple[np.ndarray | None, ...]
    """[reason] the reason's own intraday profile, or None."""
    incidents: tuple[CompiledIncident, ...]


def daily_volume(sc: Scenario, segs: list[str]) -> np.ndarray:
    """Needs per average day, [segment, reason]."""
    shares = np.array([s.share if s.share is not None else 0.0 for s in sc.segments.values()])
    customers = np.array([s.customers or 0 for s in sc.segments.values()], dtype=float)
    if shares.sum() == 0:
        shares = customers / customers.sum()
    out = np.zeros((len(segs), len(sc.reasons)))
    for j, r in enumerate(sc.reasons.values()):
        mix = np.array([r.segment_mix.get(s, 1.0) for s in segs])
        if r.volume_per_day is not None:
            w = shares * mix
            out[:, j] = r.volume_per_day * w / w.sum() if w.sum() > 0 else 0.0
        else:
            out[:, j] = customers * mix * (r.per_customer_per_year or 0.0) / 365.0
    return out


def arrival_tables(sc: Scenario, segs: list[str], reasons: list[str]) -> ArrivalTables:
    a = sc.arrivals
    extra = any(s.population is not None or s.identified_share < 1.0
                or s.relationship in ("automated", "community") for s in sc.segments.values()) or any(
        r.proactive is not None and r.proactive.question_probability > 0 for r in sc.reasons.values())

    def profile(p) -> np.ndarray | None:
        return np.asarray(p, dtype=float) if p is not None else None

    by_day = []
    for wd in WEEKDAYS:
        own = a.intraday_by_weekday.get(wd)
        by_day.append(profile(own if own is not None and not sc.horizon.steady_state else a.intraday))
    incidents = tuple(
        CompiledIncident((inc.day - 1) * DAY_S + parse_clock(inc.start), inc.extra_needs, inc.duration_minutes,
                         reasons.index(inc.reason), np.array([not inc.segments or s in inc.segments for s in segs]))
        for inc in sc.incidents)
    return ArrivalTables(daily_volume(sc, segs), extra, a.overdispersion_cv, a.day_persistence,
                         a.interval_overdispersion_cv, tuple(a.weekly), tuple(by_day),
                         tuple(profile(sc.reasons[r].intraday) for r in reasons), incidents)


# --- customers ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Criteria:
    """Customer criteria compiled per segment: which segments may pass at all, then attribute minimums."""

    segment_ok: np.ndarray
    """[segment] the segment (and its tier label) meets the criteria's segment/tier part."""
    minimums: tuple[tuple[str, float], ...]
    """(attribute, minimum) the customer's attributes must reach."""

    def mask(self, seg: int, attrs: dict[str, np.ndarray]) -> np.ndarray:
        """Which of these customers (attribute arrays of segment ``seg``) meet the criteria."""
        n = attrs["value_per_year"].size
        if not self.segment_ok[seg]:
            return np.zeros(n, dtype=bool)
        ok = np.ones(n, dtype=bool)
        for attr, v in self.minimums:
            ok &= attrs[attr] >= v
        return ok


def criteria(crit, sc: Scenario, segs: list[str]) -> Criteria | None:
    if crit is None:
        return None
    ok = np.array([not ((crit.segments and s not in crit.segments) or (crit.tiers and sc.segments[s].tier
                                                                       not in crit.tiers)) for s in segs])
    return Criteria(ok, tuple((attr, getattr(crit, f)) for f, attr in _MINIMUMS if getattr(crit, f) is not None))


@dataclass(frozen=True)
class CompiledTier:
    """A paid tier (``policies.paid_tiers``) as the customers, funnel, costs and KPIs use it."""

    take_up: np.ndarray
    """[segment] share of (eligible) customers who join."""
    eligible: Criteria | None
    default_share: np.ndarray
    """[segment] members' share of a segment without a population (take-up where the segment's own values are
    eligible)."""
    fee_per_month: float
    fee_per_contact: float
    promise: tuple[float, float] | None
    """(seconds, share) of the tier's service promise, or None."""
    promise_channels: np.ndarray
    """[channel] channels the promise covers."""


@dataclass(frozen=True)
class CustomerTables:
    population: tuple[dict[str, Sampler | None] | None, ...]
    """[segment] per attribute its sampler (None: the segment's value); None: no population."""
    population_size: np.ndarray
    value_per_year: np.ndarray
    tenure_years: np.ndarray
    """[segment] the segments' own values, every customer's when no distribution is given."""
    identified_share: np.ndarray
    advisor_segment: np.ndarray
    """[segment] customers have an account manager (relationship account_manager, with the mode on)."""
    customers_per_advisor: int

    def own_attributes(self, seg: int, n: int) -> dict[str, np.ndarray]:
        """Attributes of ``n`` customers with the segment's own values: its value and tenure, one product, no
        potential (a segment without a population, or an attribute its population does not draw)."""
        return {"value_per_year": np.full(n, self.value_per_year[seg]),
                "tenure_years": np.full(n, self.tenure_years[seg]), "products": np.ones(n), "potential": np.zeros(n)}


def customer_tables(sc: Scenario, segs: list[str]) -> CustomerTables:
    am = sc.relationships.account_manager
    pops = []
    for s in sc.segments.values():
        p = s.population
        pops.append(None if p is None else {a: sampler(getattr(p, a)) if getattr(p, a) is not None else None
                                            for a in ATTRIBUTES})
    size = [0 if s.population is None else int(s.population.size if s.population.size is not None
                                               else (s.customers or 0)) for s in sc.segments.values()]
    return CustomerTables(
        tuple(pops), np.array(size, dtype=np.int64),
        np.array([s.value_per_year for s in sc.segments.values()]),
        np.array([s.tenure_years for s in sc.segments.values()]),
        np.array([s.identified_share for s in sc.segments.values()]),
        np.array([am is not None and s.relationship == "account_manager" for s in sc.segments.values()]),
        am.customers_per_advisor if am is not None else 1)


def compiled_tiers(sc: Scenario, segs: list[str], chans: list[str], own: CustomerTables) -> tuple[CompiledTier, ...]:
    """The paid tiers; a segment's default share is the take-up where its own values (``own``) are eligible,
    by the same ``Criteria.mask`` that decides each drawn customer's eligibility."""
    out = []
    for t in sc.policies.paid_tiers:
        crit = criteria(t.eligible, sc, segs)
        default = [t.take_up.get(s, 0.0) if (crit is None or crit.mask(i, own.own_attributes(i, 1))[0]) else 0.0
                   for i, s in enumerate(segs)]
        covered = t.promise_channels or chans
        out.append(CompiledTier(
            np.array([t.take_up.get(s, 0.0) for s in segs]), crit, np.array(default),
            t.fee_per_month, t.fee_per_contact,
            (t.promise.seconds, t.promise.share) if t.promise is not None else None,
            np.array([ch in covered for ch in chans])))
    return tuple(out)


# --- costs ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CostTables:
    per_minute: np.ndarray
    """[channel] telephony cost per connected minute."""
    per_contact: np.ndarray
    """[channel] cost per contact."""
    ivr_per_minute: float
    prevented: np.ndarray
    notification: np.ndarray
    session: np.ndarray
    """[reason] cost per prevented need, per proactive notification, per self-service session."""
    webcare_per_case: float | None
    automated_per_transaction: float
    moderation_per_post: float
    fixed: dict[str, float]
    """Period costs over the measured horizon: prevention, differentiation, relationship_modes."""
    customers: np.ndarray
    """[segment] customers (for monthly fees)."""


DAYS_PER_MONTH = 365.25 / 12


def cost_tables(sc: Scenario, chans: list[str], measured_days: float) -> CostTables:
    rel, pol = sc.relationships, sc.policies
    com = rel.community
    months = measured_days / DAYS_PER_MONTH
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
    fixed = {
        "prevention": measured_days * sum(r.prevention.fixed_cost_per_day for r in sc.reasons.values()
                                          if r.prevention),
        "differentiation": differentiation * months,
        "relationship_modes": modes * months,
    }
    rs = sc.reasons.values()
    return CostTables(
        np.array([sc.channels[x].cost_per_minute for x in chans]),
        np.array([sc.channels[x].cost_per_contact for x in chans]),
        pol.ivr.cost_per_minute if pol.ivr else 0.0,
        np.array([x.prevention.cost_per_prevented if x.prevention else 0.0 for x in rs]),
        np.array([x.proactive.cost_per_notification if x.proactive else 0.0 for x in rs]),
        np.array([x.self_service.cost_per_session if x.self_service else 0.0 for x in rs]),
        sc.webcare.cost_per_case if sc.webcare else None,
        rel.automated.cost_per_transaction,
        com.moderator_minutes_per_post / 60.0 * com.moderator_hourly_cost,
        fixed,
        np.array([s.customers or 0 for s in sc.segments.values()]),
    )


# --- funnel ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outreach:
    """Agent outreach for the proactively detected needs of one reason."""

    reason: int
    share: float
    lead_time_s: float
    pool: int
    handle: Sampler


@dataclass(frozen=True)
class CompiledSteering:
    table: np.ndarray
    """[segment, reason, profile] contacts the rule applies to."""
    compliance: float
    effort_penalty: float
    offered: np.ndarray | None
    """[channel] channels offered, or None (unchanged)."""
    self_service_first: bool


@dataclass(frozen=True)
class ModeParameters:
    """The relationship modes' numbers the funnel uses (``relationships.*``)."""

    co_creation_months_running: float
    co_creation_prevented_per_month: float
    co_creation_max_prevented: float
    automated_straight_through: float
    community_share: float
    community_wrong_answer_share: float
    self_service_compliance: float


@dataclass(frozen=True)
class FunnelTables:
    prevent: np.ndarray
    """[segment, reason] probability that prevention removes the need."""
    detect: np.ndarray
    satisfied: np.ndarray
    question: np.ndarray
    question_handle_factor: np.ndarray
    """[reason] proactive detection, satisfied-by-notification, question and question handle-time factor."""
    outreach: tuple[Outreach, ...]
    mode: dict[str, np.ndarray]
    """Relationship mode -> [segment, reason] needs in that mode (and of the mode's reasons)."""
    modes: ModeParameters
    community_delay: Sampler
    has_population: bool
    members_only: np.ndarray | None
    """[channel] channels open to paid-tier members only, or None."""
    steering: tuple[CompiledSteering, ...]
    suitability: np.ndarray
    """[reason] self-service suitability."""
    propensity: np.ndarray
    """[segment] self-service propensity."""
    containment: np.ndarray
    """[segment, reason] self-service containment."""
    ss_duration: tuple[Sampler | None, ...]
    """[reason] self-service session length, None without self-service."""
    segment_handle_factor: np.ndarray
    """[segment] handle-time factor of the segment's contacts (first contacts here; follow-ups in
    ``policies.omnichannel.FollowUpFactors``)."""
    ivr_channels: np.ndarray | None
    """[channel] channels behind the IVR, or None without an IVR."""
    ivr_duration: Sampler | None
    misroute_probability: float


def funnel_tables(sc: Scenario, segs: list[str], reasons: list[str], chans: list[str], pools: list[str],
                  class_table) -> FunnelTables:
    rs = list(sc.reasons.values())
    prev = np.zeros((len(segs), len(reasons)))
    contain = np.zeros((len(segs), len(reasons)))
    for j, r in enumerate(rs):
        if r.prevention:
            prev[:, j] = [r.prevention.by_segment.get(s, r.prevention.share) for s in segs]
        if r.self_service:
            contain[:, j] = [r.self_service.containment_by_segment.get(s, r.self_service.containment)
                             for s in segs]
    rel = sc.relationships

    def mode_mask(mode: str, mode_reasons) -> np.ndarray:
        in_mode = np.array([s.relationship == mode for s in sc.segments.values()])
        ok_reason = np.array([mode_reasons == "all" or r in mode_reasons for r in reasons])
        return in_mode[:, None] & ok_reason[None, :]

    outreach = tuple(Outreach(j, o.share, r.proactive.lead_time_s, pools.index(o.pool), sampler(o.handle_time))
                     for j, r in enumerate(rs) if r.proactive and (o := r.proactive.agent_outreach))
    member_channels = {ch for t in sc.policies.paid_tiers for ch in t.channels}
    ivr = sc.policies.ivr
    return FunnelTables(
        prevent=prev,
        detect=np.array([r.proactive.detected_share if r.proactive else 0.0 for r in rs]),
        satisfied=np.array([r.proactive.satisfied_probability if r.proactive else 0.0 for r in rs]),
        question=np.array([r.proactive.question_probability if r.proactive else 0.0 for r in rs]),
        question_handle_factor=np.array([r.proactive.question_handle_time_factor if r.proactive else 1.0
                                         for r in rs]),
        outreach=outreach,
        mode={"co_creation": mode_mask("co_creation", "all"),
              "automated": mode_mask("automated", rel.automated.reasons),
              "community": mode_mask("community", rel.community.reasons),
              "self_service": mode_mask("self_service", "all")},
        modes=ModeParameters(rel.co_creation.months_running, rel.co_creation.prevented_share_per_month,
                             rel.co_creation.max_prevented_share, rel.automated.straight_through, rel.community.share,
                             rel.community.wrong_answer_share, rel.self_service.compliance),
        community_delay=sampler(rel.community.answer_delay),
        has_population=any(s.population for s in sc.segments.values()),
        members_only=np.array([ch in member_channels for ch in chans]) if member_channels else None,
        steering=tuple(CompiledSteering(
            class_table(rule.applies_to, sc, segs, reasons), rule.compliance, rule.effort_penalty,
            np.array([ch in rule.offered_channels for ch in chans]) if rule.offered_channels is not None else None,
            rule.self_service_first) for rule in sc.policies.steering),
        suitability=np.array([r.self_service.suitability if r.self_service else 0.0 for r in rs]),
        propensity=np.array([s.self_service_propensity for s in sc.segments.values()]),
        containment=contain,
        ss_duration=tuple(sampler(r.self_service.duration) if r.self_service else None for r in rs),
        segment_handle_factor=np.array([s.handle_time_factor for s in sc.segments.values()]),
        ivr_channels=np.isin(np.arange(len(chans)), [chans.index(x) for x in ivr.channels]) if ivr else None,
        ivr_duration=sampler(ivr.duration) if ivr else None,
        misroute_probability=ivr.misroute_probability if ivr else 0.0,
    )


# --- follow-up rules and the engine's policies ------------------------------------------------------------
@dataclass(frozen=True)
class Escalation:
    """A first-line pool hands a share of its contacts of some reasons to a second line
    (``pools.*.escalation``, names as indices); the engine asks :meth:`escalates`."""

    to_pool: int
    probability: float
    reasons: frozenset[int]
    transfer_s: float
    handle_factor: float

    def escalates(self, rea: int, u: float) -> bool:
        return rea in self.reasons and u < self.probability


@dataclass(frozen=True)
class ProficiencySpec:
    """A pool's skill depth per reason (``pools.*.proficiency``): handle-time factor and its own FCR (None: the
    reason's)."""

    handle_factor: tuple[float, ...]
    fcr: tuple[float | None, ...]


def pool_rules(pool, reasons: list[str], pools: list[str]) -> tuple[Escalation | None, ProficiencySpec]:
    e = pool.escalation
    esc = None if e is None else Escalation(
        pools.index(e.to_pool), e.probability,
        frozenset(range(len(reasons)) if e.reasons == "all" else [reasons.index(r) for r in e.reasons]),
        e.transfer_time_s, e.handle_time_factor)
    prof = [pool.proficiency.get(r) for r in reasons]
    return esc, ProficiencySpec(tuple(p.handle_time_factor if p else 1.0 for p in prof),
                                tuple(p.fcr if p is not None and p.fcr is not None else None for p in prof))


@dataclass(frozen=True)
class RetrialRule:
    """A segment's retrial after abandoning (``segments.*.retrial``; its delay is in ``retrial_delay``)."""

    probability: float
    max_attempts: int


@dataclass(frozen=True)
class RepeatRule:
    """A reason's repeat contact after an unresolved one (``reasons.*.repeat``)."""

    probability: float
    max_repeats: int


@dataclass(frozen=True)
class WebcareRule:
    """Complaint probabilities of needs ending unresolved or abandoned (``webcare``)."""

    complaint_probability_unresolved: float
    complaint_probability_abandoned: float


@dataclass(frozen=True)
class CallbackRule:
    """When a callback is offered and how often it is taken (``policies.callback``)."""

    offer_when_wait_exceeds_s: float
    acceptance: float


@dataclass(frozen=True)
class IvrRule:
    """Talk with the wrong agent before a misrouted contact queues again (``policies.ivr``)."""

    transfer_time_s: float


@dataclass(frozen=True)
class AccountManagerRule:
    """How a customer waits for the own advisor: queue, message or fallback."""

    continuity: str


@dataclass(frozen=True)
class RuleTables:
    retrial: tuple[RetrialRule | None, ...]
    retrial_delay: tuple[Sampler | None, ...]
    """[segment] the segment's retrial rule and its delay."""
    repeat: tuple[RepeatRule, ...]
    repeat_delay: tuple[Sampler, ...]
    """[reason] the reason's repeat rule and its delay."""
    webcare: WebcareRule | None
    webcare_pool: int
    """Pool that handles webcare cases, -1 without one."""
    webcare_handle: Sampler | None
    callback: CallbackRule | None
    callback_channels: frozenset[int]
    ivr: IvrRule | None
    account_manager: AccountManagerRule | None
    account_manager_pool: int
    """The advisors' pool, -1 without the account-manager mode."""
    segment_resolution_factor: tuple[float, ...]
    channel_switch: tuple[tuple[float, ...], ...] | None
    """[segment][channel] probability a follow-up switches to that channel; None when no segment switches."""


def rule_tables(sc: Scenario, chans: list[str], pools: list[str]) -> RuleTables:
    segments = list(sc.segments.values())
    retrial = [s.retrial for s in segments]
    repeat = [r.repeat for r in sc.reasons.values()]
    wc, cb, am, ivr = sc.webcare, sc.policies.callback, sc.relationships.account_manager, sc.policies.ivr
    wc_pool = pools.index(wc.pool) if wc is not None and wc.pool else -1
    return RuleTables(
        tuple(RetrialRule(r.probability, r.max_attempts) if r else None for r in retrial),
        tuple(sampler(r.delay) if r else None for r in retrial),
        tuple(RepeatRule(r.probability, r.max_repeats) for r in repeat), tuple(sampler(r.delay) for r in repeat),
        WebcareRule(wc.complaint_probability_unresolved, wc.complaint_probability_abandoned) if wc else None,
        wc_pool, sampler(wc.handle_time) if wc is not None and wc_pool >= 0 else None,
        CallbackRule(cb.offer_when_wait_exceeds_s, cb.acceptance) if cb else None,
        frozenset(chans.index(x) for x in cb.channels) if cb else frozenset(),
        IvrRule(ivr.transfer_time_s) if ivr else None,
        AccountManagerRule(am.continuity) if am else None, pools.index(am.pool) if am is not None else -1,
        tuple(s.resolution_factor for s in segments),
        tuple(tuple(s.channel_switch.get(ch, 0.0) for ch in chans) for s in segments)
        if any(s.channel_switch for s in segments) else None,
    )


# --- KPIs and enrichment ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class KpiTables:
    interval_kpis: str
    """``absolute`` (per interval of the run) or ``time_of_week``: ``run.interval_kpis`` with auto resolved."""
    csat: Csat
    churn: Churn
    expected_wait: np.ndarray
    """[segment, channel] the wait customers expect (CSAT): the segment's own or its SL threshold."""
    digital: np.ndarray
    """[channel] a digital channel (funnel level personal_digital)."""
    moderator_minutes_per_post: float


DIGITAL_KINDS = {"chat", "messaging", "email", "social"}
ABSOLUTE_UP_TO_DAYS = 35
"""``run.interval_kpis: auto`` keeps per-interval KPIs of the run up to this many measured days."""


def interval_kpis_mode(mode: str, measured_s: float) -> str:
    """``run.interval_kpis`` with ``auto`` resolved (KPIs and the resource estimate alike): per interval of the
    run (``absolute``) up to ``ABSOLUTE_UP_TO_DAYS`` measured days, per interval of the week beyond."""
    if mode != "auto":
        return mode
    return "absolute" if measured_s <= ABSOLUTE_UP_TO_DAYS * DAY_S + 1e-9 else "time_of_week"


def kpi_tables(sc: Scenario, segs: list[str], chans: list[str], sl_seconds: np.ndarray, horizon_s: float,
               warmup_s: float) -> KpiTables:
    mode = interval_kpis_mode(sc.run.interval_kpis, horizon_s - warmup_s)
    expect = np.array([[sc.segments[s].wait_expectation_s.get(k, sl_seconds[i, j]) for j, k in enumerate(chans)]
                       for i, s in enumerate(segs)])
    return KpiTables(mode, sc.satisfaction.csat, sc.satisfaction.churn, expect,
                     np.array([sc.channels[ch].kind in DIGITAL_KINDS for ch in chans]),
                     sc.relationships.community.moderator_minutes_per_post)

