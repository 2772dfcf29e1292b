"""The scenario schema (pydantic v2): what a scenario file may say, typed and range-checked.

Every model forbids unknown keys, so a typo is an error instead of a silently ignored setting. Durations
are in seconds unless the field name says otherwise; money is in the scenario's ``currency``.
Cross-field rules (a reason no pool serves, shares that do not sum to one, ...) live in
:mod:`contactsim.scenario.rules`, so that all of them are reported together.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contactsim.scenario.timespec import opening_windows

SCHEMA_VERSION = 1
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ChannelKind = Literal["phone", "chat", "messaging", "email", "store", "callback", "social"]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")]
Probability = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
Money = Annotated[float, Field(ge=0.0, le=1e9, allow_inf_nan=False)]
Seconds = Annotated[float, Field(gt=0.0, le=1e7, allow_inf_nan=False)]
MAX_NEEDS_PER_DAY = 5_000_000
MAX_CHANNELS, MAX_SEGMENTS, MAX_REASONS, MAX_POOLS = 50, 200, 500, 200
"""The schema's maxima for the main collections."""


def _admits_bool(tp: Any) -> bool:
    """Whether a field type accepts true/false as such (bool, a Literal of bools, or a union with one)."""
    if tp is bool or tp is Any:
        return True
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _admits_bool(typing.get_args(tp)[0])
    if origin is Literal:
        return any(isinstance(a, bool) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return any(_admits_bool(a) for a in typing.get_args(tp))
    return False


def _numeric(tp: Any) -> bool:
    """Whether a field type is a number (or a union of numbers and None), where a bool would be coerced."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _numeric(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return any(_numeric(a) for a in typing.get_args(tp))  # pydantic would pick the number for a bool
    return tp in (int, float)


def _unannotated(tp: Any) -> Any:
    return _unannotated(typing.get_args(tp)[0]) if typing.get_origin(tp) is Annotated else tp


def _unbool(value: Any, tp: Any) -> Any:
    """Turn true/false where a number belongs into the text 'true'/'false', which then fails as a number.

    pydantic would silently read ``agents: true`` as one agent; as text it is refused with the field's
    path and the usual 'write a number' fix.
    """
    if _admits_bool(tp):
        return value
    if isinstance(value, bool):
        return str(value).lower() if _numeric(tp) else value
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _unbool(value, typing.get_args(tp)[0])
    if origin in (Union, types.UnionType) and isinstance(value, list | dict):
        kind = list if isinstance(value, list) else dict
        same = [a for a in typing.get_args(tp) if typing.get_origin(_unannotated(a)) is kind]
        return _unbool(value, same[0]) if same else value
    if origin is list and isinstance(value, list) and _numeric(typing.get_args(tp)[0]):
        return [str(v).lower() if isinstance(v, bool) else v for v in value]
    if origin is dict and isinstance(value, dict):
        vt = typing.get_args(tp)[1]
        return {k: _unbool(v, vt) for k, v in value.items()} if not _admits_bool(vt) else value
    return value


_BOOL_PLANS: dict[type, dict[str, Any]] = {}


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, use_attribute_docstrings=True)

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        """Refuse true/false for numbers: ``agents: true`` must not quietly mean one agent."""
        if isinstance(data, dict):
            plan = _BOOL_PLANS.get(cls)
            if plan is None:  # fields that cannot take a bool (computed once per model)
                plan = _BOOL_PLANS[cls] = {n: f.annotation for n, f in cls.model_fields.items()
                                           if not _admits_bool(f.annotation)}
            for name, tp in plan.items():
                value = data.get(name)
                if isinstance(value, bool | list | dict):
                    fixed = _unbool(value, tp)
                    if fixed is not value:
                        data = {**data, name: fixed}
        return data


# --- distributions -------------------------------------------------------------------------------------
class ExponentialSpec(Model):
    """Memoryless; the textbook choice for patience and the Erlang models."""

    dist: Literal["exponential"]
    """Distribution family: exponential."""
    mean: Seconds
    """Mean in seconds."""


class LogNormalSpec(Model):
    """Right-skewed handle times; parameterised by mean and coefficient of variation (CV = sd/mean)."""

    dist: Literal["lognormal"]
    """Distribution family: lognormal."""
    mean: Seconds
    """Mean in seconds."""
    cv: Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)]
    """Coefficient of variation (standard deviation / mean)."""


class GammaSpec(Model):
    dist: Literal["gamma"]
    """Distribution family: gamma."""
    mean: Seconds
    """Mean in seconds."""
    cv: Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False)]
    """Coefficient of variation (standard deviation / mean)."""


class DeterministicSpec(Model):
    dist: Literal["deterministic"]
    """Distribution family: a fixed value."""
    value: Annotated[float, Field(ge=0.0, le=1e7, allow_inf_nan=False)]
    """The value, in seconds."""


class UniformSpec(Model):
    dist: Literal["uniform"]
    """Distribution family: uniform between low and high."""
    low: Annotated[float, Field(ge=0.0, le=1e7, allow_inf_nan=False)]
    """Lower bound in seconds."""
    high: Annotated[float, Field(ge=0.0, le=1e7, allow_inf_nan=False)]
    """Upper bound in seconds (at least low)."""

    @model_validator(mode="after")
    def _ordered(self) -> UniformSpec:
        if self.high < self.low:
            raise ValueError("high is below low; swap the two values")
        return self


class EmpiricalSpec(Model):
    """Observed values resampled with equal weight."""

    dist: Literal["empirical"]
    """Distribution family: observed values resampled with equal weight."""
    values: Annotated[
        list[Annotated[float, Field(ge=0.0, le=1e7, allow_inf_nan=False)]], Field(min_length=1, max_length=100_000)
    ]
    """Observed values in seconds (1 to 100,000 of them)."""


DistSpec = Annotated[
    ExponentialSpec | LogNormalSpec | GammaSpec | DeterministicSpec | UniformSpec | EmpiricalSpec,
    Field(discriminator="dist"),
]


class ServiceLevelTarget(Model):
    """'share' of contacts answered within 'seconds' (e.g. 80/20)."""

    seconds: Annotated[float, Field(ge=0.0, le=1e7, allow_inf_nan=False)] = 20.0
    """Answer-time threshold in seconds."""
    share: Probability = 0.8
    """Share of contacts to answer within 'seconds' (0-1)."""


# --- time ----------------------------------------------------------------------------------------------
class Horizon(Model):
    """Either whole days on the calendar (profiles apply) or a steady-state run with warm-up."""

    days: Annotated[int, Field(ge=1, le=3660)] | None = None
    """Calendar run: number of whole days simulated (intraday and weekly profiles apply)."""
    start_weekday: Weekday = "mon"
    """Weekday of the first day of a calendar run."""
    start_date: dt.date | None = None
    """Calendar date of day 1 (on ``start_weekday``): dated inputs (``arrivals.forecast_file``,
    ``pools.*.staffing_file``) are matched to the run's days through it."""
    steady_state_hours: Annotated[float, Field(gt=0, le=24 * 3660, allow_inf_nan=False)] | None = None
    """Steady-state run: hours measured after the warm-up, at constant average rates."""
    warmup_hours: Annotated[float, Field(ge=0, le=24 * 366, allow_inf_nan=False)] = 0.0
    """Hours simulated before measuring starts (steady-state runs), so queues start loaded."""
    interval_minutes: Literal[5, 15, 30, 60] = 30
    """Length of a KPI and staffing interval: 15, 30 or 60 minutes."""
    drain_hours: Annotated[float, Field(ge=0, le=24 * 14, allow_inf_nan=False)] = 48.0
    """After the horizon the model keeps running this long (staffed as scheduled, no new needs) so contacts
    in queue and backlogs (e-mail over a weekend) finish; only arrivals inside the horizon are measured."""

    @model_validator(mode="after")
    def _one_mode(self) -> Horizon:
        if (self.days is None) == (self.steady_state_hours is None):
            raise ValueError("needs exactly one of 'days' and 'steady_state_hours'; keep days: N for a calendar "
                             "run, or steady_state_hours: H (with warmup_hours) for a steady-state run")
        if self.steady_state_hours is not None:
            # KPIs are measured per interval: a window that is not whole intervals would run into the drain
            for name, hours in (("steady_state_hours", self.steady_state_hours), ("warmup_hours", self.warmup_hours)):
                n = hours * 60.0 / self.interval_minutes
                if abs(n - round(n)) > 1e-6 or (name == "steady_state_hours" and round(n) < 1):
                    raise ValueError(
                        f"{name} = {hours:g} is not a whole number of {self.interval_minutes}-minute KPI intervals "
                        f"(at least one for steady_state_hours); use a multiple of {self.interval_minutes / 60:g} h "
                        f"or set interval_minutes to 15, 30 or 60 to match")
        return self

    @property
    def steady_state(self) -> bool:
        return self.steady_state_hours is not None

    @property
    def intervals_per_day(self) -> int:
        return 24 * 60 // self.interval_minutes


class Arrivals(Model):
    """How a day's needs spread over intervals and the week, and how much days vary."""

    intraday: list[Annotated[float, Field(ge=0.0, allow_inf_nan=False)]] | None = None
    """Share of a day's needs per interval from 00:00; length 24*60/interval_minutes; sums to 1."""
    weekly: list[Annotated[float, Field(ge=0.0, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [1 / 7] * 7
    )
    """Share of a week's needs per weekday, Monday first; sums to 1."""
    overdispersion_cv: Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)] = 0.0
    """CV of a gamma day-level multiplier (Poisson-gamma); 0 means plain Poisson."""
    day_persistence: Annotated[float, Field(ge=0.0, le=0.99, allow_inf_nan=False)] = 0.0
    """Day-to-day persistence of the day level: the AR(1) coefficient of its logarithm. Above 0 the day
    multiplier is log-normal with mean 1 and CV ``overdispersion_cv`` (busy days follow busy days); 0 keeps
    independent gamma days."""
    interval_overdispersion_cv: Annotated[float, Field(ge=0.0, le=2.0, allow_inf_nan=False)] = 0.0
    """CV of a gamma multiplier per interval (``horizon.interval_minutes``) shared by every segment and
    reason: within-day overdispersion on top of the day level; 0 means none."""
    intraday_by_weekday: dict[Weekday, list[Annotated[float, Field(ge=0.0, allow_inf_nan=False)]]] = Field(
        default_factory=dict)
    """Intraday profile per weekday where it differs from ``intraday`` (same length, sums to 1)."""
    forecast_file: str | None = None
    """A WFM forecast, CSV or Parquet: expected needs per date x interval (``date, interval_start, volume``,
    optional ``reason``/``queue`` and ``segment``; rows without a segment split by segment share). On the dates
    and reasons it lists it replaces volume x weekly x intraday; day and interval noise still apply. Needs
    ``horizon.start_date``; a relative path is relative to the scenario file."""
    """Intraday profile per weekday (e.g. ``{sat: [...]}``); days not named use ``intraday``. Profiles may
    have their own interval length: 24, 48, 96 or 288 shares (60, 30, 15 or 5 minutes)."""


# --- channels, segments, reasons -----------------------------------------------------------------------
class Channel(Model):
    kind: ChannelKind
    """What the channel is: phone, chat, messaging, email, store, callback or social."""
    opening_hours: dict[str, str] | Literal["24/7"] = "24/7"
    """e.g. ``{"mon-fri": "08:00-20:00", "sat": "09:00-17:00"}``; days not named are closed."""
    service_level: ServiceLevelTarget | None = None
    """Target; default 80% within 20 s, or 80% within ``sla_hours`` for backlogs."""
    concurrency: Annotated[int, Field(ge=1, le=20)] = 1
    """Chats/conversations an agent handles at once (chat, messaging)."""
    concurrency_stretch: Annotated[float, Field(ge=0.0, le=5.0, allow_inf_nan=False)] = 0.0
    """Handle time grows by this fraction per additional concurrent contact of the agent."""
    cost_per_minute: Money = 0.0
    """Telephony / platform cost per minute the contact is connected (wait + talk)."""
    cost_per_contact: Money = 0.0
    """Fixed cost per handled contact (platform fee, postage)."""
    abandonment: bool = True
    """False for e-mail and web forms: they wait in a backlog and never abandon."""
    sla_hours: Annotated[float, Field(gt=0, le=24 * 30, allow_inf_nan=False)] | None = None
    """For backlogs (e-mail): target time to answer, in hours."""

    @property
    def target(self) -> ServiceLevelTarget:
        if self.service_level is not None:
            return self.service_level
        if self.sla_hours is not None:
            return ServiceLevelTarget(seconds=self.sla_hours * 3600.0, share=0.8)
        return ServiceLevelTarget()


class Retrial(Model):
    """A customer who abandons may try again after a delay."""

    probability: Probability
    """Probability that a customer who abandoned tries again."""
    delay: DistSpec
    """Time from abandoning to the retrial, in seconds."""
    max_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    """Most attempts per contact, the first one included."""


class Population(Model):
    """A segment's customers with identity (seed 001: segment by number of products and tenure).

    Each attribute is a distribution over the segment's customers; left out, every customer has the
    segment's value (``tenure_years``, ``value_per_year``), one product and no potential.
    """

    size: Annotated[int, Field(ge=1, le=2_000_000)] | None = None
    """Customers simulated; default: the segment's ``customers``. Needs are spread over them uniformly."""
    tenure_years: DistSpec | None = None
    """Distribution of the customers' tenure in years (default: the segment's)."""
    products: DistSpec | None = None
    """Number of products or policies (rounded up, at least 1)."""
    value_per_year: DistSpec | None = None
    """Distribution of the customers' yearly value (default: the segment's)."""
    potential: DistSpec | None = None
    """Extra yearly value the customer could bring (cross-sell potential)."""


RelationshipMode = Literal["account_manager", "co_creation", "community", "personal_assistance", "self_service",
                           "automated"]
RELATIONSHIP_MODES = ("account_manager", "co_creation", "community", "personal_assistance", "self_service",
                      "automated")


class Segment(Model):
    share: Probability | None = None
    """Share of demand; give either share for all segments or customers for all segments."""
    customers: Annotated[int, Field(ge=0, le=1_000_000_000)] | None = None
    """Number of customers in the segment; give it for every segment (instead of share) to use
    per_customer_per_year volumes."""
    value_per_year: Money = 0.0
    """Yearly value of a customer (revenue or margin); used by value-based classes and the value at risk."""
    tier: Name = "standard"
    """Loyalty tier (e.g. silver, gold); disciplines and steering can match on it."""
    tenure_years: Annotated[float, Field(ge=0, le=200, allow_inf_nan=False)] = 0.0
    """Customer tenure in years: every customer's in a segment without a population (the default of a population
    without a tenure distribution); ``min_tenure_years`` of classes, pools' ``serves`` and tier eligibility
    select on it."""
    channel_preference: dict[Name, Probability]
    """Probability of each assisted channel for this segment's contacts; sums to 1."""
    patience: dict[Name, DistSpec] = Field(default_factory=dict)
    """Patience per channel (seconds until abandoning the queue); required for channels that abandon."""
    service_level: dict[Name, ServiceLevelTarget] = Field(default_factory=dict)
    """Per-channel service-level target for this segment (overrides the channel's)."""
    self_service_propensity: Probability = 0.0
    """Probability that this segment tries self-service first for a suitable reason."""
    retrial: Retrial | None = None
    """Whether and when this segment's customers try again after abandoning (default: never)."""
    wait_expectation_s: dict[Name, Annotated[float, Field(gt=0, le=1e7)]] = Field(default_factory=dict)
    """Wait this segment finds acceptable per channel (drives the CSAT proxy); default: the SL target."""
    population: Population | None = None
    """Customers with identity: attributes drawn once per replication and shared by all their needs."""
    identified_share: Probability = 1.0
    """Share of contacts identified at the front door (number recognition, log-in, IVR): they are routed
    by segment and customer attributes; the rest are anonymous and go to the general queue."""
    relationship: RelationshipMode = "personal_assistance"
    """How the organisation runs the relationship with this segment (seed 004); parameters in
    ``relationships``."""
    channel_preference_by_reason: dict[Name, dict[Name, Probability]] = Field(default_factory=dict)
    """Per reason, this segment's channel preference (overrides channel_preference; each sums to 1)."""
    channel_switch: dict[Name, Probability] = Field(default_factory=dict)
    """Per channel: probability that a retrial or repeat after a contact on it moves to another channel
    (chosen from the preferences without the channel just used)."""
    patience_by_hour: list[Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)]] | None = None
    """24 multipliers of patience by hour of day (00:00 first), e.g. shorter in the evening."""
    handle_time_factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0
    """Multiplies this segment's handle times: broader, more thorough service (seed 003)."""
    resolution_factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0
    """Multiplies first-contact resolution (capped at 1): thorough service resolves more."""


class Prevention(Model):
    share: Probability = 0.0
    """Share of this reason's needs prevented before they arise (fixed cause, predictive fix)."""
    by_segment: dict[Name, Probability] = Field(default_factory=dict)
    """Prevented share per segment (overrides 'share')."""
    cost_per_prevented: Money = 0.0
    """Cost per prevented need."""
    fixed_cost_per_day: Money = 0.0
    """Fixed cost per day of the prevention measure."""


class AgentOutreach(Model):
    """Proactive outreach by an agent (an outbound call, a chat opened for a stuck shopper)."""

    pool: Name
    """Pool whose agents make the outreach contact."""
    share: Probability
    """Share of notified needs that also get an agent contact."""
    handle_time: DistSpec
    """Handle time of an outreach contact, in seconds."""


class Proactive(Model):
    detected_share: Probability
    """Share of this reason's needs the organisation detects and notifies before the customer asks."""
    channel: Literal["push", "sms", "email"] = "push"
    """Channel of the notification: push, sms or email."""
    cost_per_notification: Money = 0.0
    """Cost per notification sent."""
    lead_time_s: Annotated[float, Field(ge=0, le=1e7)] = 900.0
    """Seconds by which the notification precedes the moment the customer would have made contact."""
    satisfied_probability: Probability = 0.5
    """Probability a notified customer needs no contact at all."""
    agent_outreach: AgentOutreach | None = None
    """Optionally, an agent also contacts a share of the notified customers."""
    question_probability: Probability = 0.0
    """Share of the customers the notification satisfied who still contact about the message itself
    (contacts created by the notification); they are handled like other contacts of this reason."""
    question_handle_time_factor: Annotated[float, Field(gt=0, le=5, allow_inf_nan=False)] = 0.5
    """Handle time of such a question relative to the reason's handle time."""


class SelfService(Model):
    suitability: Probability
    """Share of this reason's needs customers can try to self-serve (times segment propensity)."""
    containment: Probability
    """Probability a self-service attempt resolves the need."""
    containment_by_segment: dict[Name, Probability] = Field(default_factory=dict)
    """Containment per segment (overrides 'containment')."""
    duration: DistSpec = Field(default_factory=lambda: ExponentialSpec(dist="exponential", mean=240.0))
    """Time spent in self-service, in seconds (before an assisted contact if it fails)."""
    cost_per_session: Money = 0.0
    """Cost per self-service session."""
    failed_handle_time_factor: Annotated[float, Field(ge=0.5, le=5)] = 1.0
    """Handle time multiplier after failed self-service (the problem is harder)."""
    failed_patience_factor: Annotated[float, Field(ge=0.05, le=2)] = 1.0
    """Patience multiplier after failed self-service (the customer is less patient)."""


class Repeat(Model):
    """Unresolved needs come back as repeat contacts."""

    probability: Probability = 1.0
    """Probability that an unresolved need comes back as a repeat contact."""
    delay: DistSpec = Field(default_factory=lambda: ExponentialSpec(dist="exponential", mean=86400.0))
    """Time from the unresolved contact to the repeat contact, in seconds."""
    max_repeats: Annotated[int, Field(ge=0, le=5)] = 2
    """Most repeat contacts per need."""


class Reason(Model):
    volume_per_day: Annotated[float, Field(ge=0, le=MAX_NEEDS_PER_DAY, allow_inf_nan=False)] | None = None
    """Needs per average day (all segments)."""
    per_customer_per_year: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)] | None = None
    """Needs per customer per year (requires segment customer counts)."""
    urgency: Annotated[int, Field(ge=0, le=10)] = 0
    """Urgency 0-10 (e.g. a stolen card is high); classes can match on min_urgency."""
    handle_time: dict[Name, DistSpec]
    """Handle time per assisted channel."""
    segment_mix: dict[Name, Annotated[float, Field(ge=0.0, le=1e6, allow_inf_nan=False)]] = Field(
        default_factory=dict, max_length=MAX_SEGMENTS)
    """Relative propensity of each segment to have this reason (default 1; at most 1e6)."""
    intraday: list[Annotated[float, Field(ge=0.0, allow_inf_nan=False)]] | None = None
    """This reason's own intraday profile (overrides arrivals.intraday); shares per interval from 00:00,
    summing to 1."""
    fcr: dict[Name, Probability] = Field(default_factory=dict)
    """First-contact resolution per channel (default 1: every handled contact resolves the need)."""
    repeat: Repeat = Field(default_factory=Repeat)
    """What unresolved needs of this reason do: come back as repeat contacts."""
    prevention: Prevention | None = None
    """Funnel level 1: the share of needs prevented."""
    proactive: Proactive | None = None
    """Funnel level 2: needs detected and notified before the customer asks."""
    self_service: SelfService | None = None
    """Funnel level 3: needs customers try to solve themselves."""

    @model_validator(mode="after")
    def _one_volume(self) -> Reason:
        if (self.volume_per_day is None) == (self.per_customer_per_year is None):
            raise ValueError("needs exactly one of 'volume_per_day' and 'per_customer_per_year'; keep one of them")
        return self


class Incident(Model):
    """An outage or disruption: extra needs of one reason in a time window (where proactive pays off)."""

    reason: Name
    """Reason of the extra needs."""
    day: Annotated[int, Field(ge=1, le=3660)] = 1
    """Day of the run the incident starts on (1 = first day)."""
    start: str = "10:00"
    """Start time, HH:MM (quoted)."""
    duration_minutes: Annotated[float, Field(gt=0, le=7 * 1440)] = 120.0
    """Minutes over which the extra needs arrive (uniformly)."""
    extra_needs: Annotated[float, Field(ge=0, le=MAX_NEEDS_PER_DAY)]
    """Expected number of extra needs (Poisson)."""
    segments: list[Name] = Field(default_factory=list)
    """Affected segments (default: all, by share)."""


# --- pools and queue disciplines -----------------------------------------------------------------------
class CustomerCriteria(Model):
    """Selects customers by segment, tier or attribute (the customer's own when the segment has a
    population, else the segment's); all given criteria must hold."""

    segments: list[Name] = Field(default_factory=list)
    """Match customers of these segments (empty: any)."""
    tiers: list[Name] = Field(default_factory=list)
    """Match customers of segments with these tiers (empty: any)."""
    min_value_per_year: Money | None = None
    """Match customers with at least this yearly value."""
    min_tenure_years: Annotated[float, Field(ge=0, le=200, allow_inf_nan=False)] | None = None
    """Match customers with at least this tenure in years."""
    min_products: Annotated[int, Field(ge=1, le=10_000)] | None = None
    """Match customers with at least this many products or policies."""
    min_potential: Money | None = None
    """Match customers with at least this yearly cross-sell potential."""


class ContactClass(CustomerCriteria):
    """Matches contacts by segment, reason, tier, urgency, membership or customer attribute; all given
    criteria must hold. Criteria about the customer match only contacts identified at the front door."""

    reasons: list[Name] = Field(default_factory=list)
    """Match contacts of these reasons (empty: any)."""
    min_urgency: Annotated[int, Field(ge=0, le=10)] | None = None
    """Match contacts whose reason's urgency is at least this."""
    premium: bool | None = None
    """Members of any paid tier (true) or of none (false)."""
    paid_tiers: list[Name] = Field(default_factory=list)
    """Members of one of these paid tiers (policies.premium names)."""
    identified: bool | None = None
    """Match contacts identified at the front door (true) or anonymous ones (false); unset: both."""


class Discipline(Model):
    """Order in which a pool's free agents take waiting contacts.

    ``fcfs``: first come, first served. ``priority``: classes in order, highest first (unmatched last);
    with ``ageing_s`` a class ranks ahead of the next by that many seconds of waiting instead of strictly,
    so low classes cannot starve. ``weighted``: each class (and the unmatched contacts, last) gets a share of
    the agents that become free in proportion to ``weights`` while it has contacts waiting (first come,
    first served within a class).
    """

    type: Literal["fcfs", "priority", "weighted"] = "fcfs"
    """fcfs, priority or weighted (see the discipline's description)."""
    classes: list[ContactClass] = Field(default_factory=list)
    """Contact classes, highest priority first (priority) or in the order of 'weights' (weighted)."""
    ageing_s: Annotated[float, Field(gt=0, le=1e6)] | None = None
    """For priority: a class ranks ahead of the next by this many seconds of waiting, instead of strictly."""
    weights: list[Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]] = Field(default_factory=list)
    """For ``weighted``: one weight per class plus one for the contacts no class matches."""

    @model_validator(mode="after")
    def _classes_for_priority(self) -> Discipline:
        if self.type in ("priority", "weighted") and not self.classes:
            raise ValueError(f"a {self.type} discipline without classes; add classes: [{{tiers: [gold]}}] "
                             "(highest first) or use type: fcfs")
        if self.type == "weighted" and len(self.weights) != len(self.classes) + 1:
            raise ValueError(f"{len(self.weights)} weights for {len(self.classes)} classes; give one weight per "
                             "class plus one (last) for the contacts no class matches")
        if self.type != "weighted" and self.weights:
            raise ValueError("weights only apply to type: weighted; remove them or set type: weighted")
        if self.type == "weighted" and self.ageing_s is not None:
            raise ValueError("ageing_s applies to type: priority; remove it for a weighted discipline")
        return self


class Reserve(Model):
    """Keep ``agents`` idle agents for contacts of class ``for_class``: others are served only while more
    than ``agents`` agents are free."""

    agents: Annotated[int, Field(ge=1, le=100_000)]
    """Idle agents kept back for the class."""
    for_class: ContactClass
    """The contacts the reserved agents are kept for."""


class Proficiency(Model):
    """Skill depth of a pool on one reason (multi-skill with depth, seed 003)."""

    handle_time_factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0
    """Handle time of this pool on this reason relative to the reason's handle time."""
    fcr: Probability | None = None
    """First-contact resolution of this pool on this reason (default: the reason's per channel)."""


class Escalation(Model):
    """First line to second line: a share of this pool's contacts of the given reasons is handed on."""

    to_pool: Name
    """Second-line pool the contacts are handed on to."""
    probability: Probability
    """Share of the matching contacts that is escalated."""
    reasons: list[Name] | Literal["all"] = "all"
    """Reasons that can be escalated, or 'all'."""
    transfer_time_s: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)] = 30.0
    """Time the first-line agent spends on the hand-over (the customer is on hold meanwhile)."""
    handle_time_factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.0
    """Second-line handle time relative to the contact's handle time."""


class Break(Model):
    """A break or lunch inside a shift: its agents are off the phones for ``minutes`` from ``start``."""

    start: str
    """Start time of the break, HH:MM (quoted)."""
    minutes: Annotated[float, Field(gt=0, le=240, allow_inf_nan=False)]
    """Length of the break in minutes."""
    spread_minutes: Annotated[float, Field(ge=0, le=480, allow_inf_nan=False)] = 0.0
    """Stagger: the agents split into equal groups whose breaks start one break-length apart over this
    window (0: everyone at once)."""


class Shift(Model):
    days: str = "mon-sun"
    """Days the shift runs, e.g. mon-fri, sat, or mon,wed,fri."""
    start: str
    """Start time, HH:MM (quoted)."""
    end: str
    """End time, HH:MM (quoted), after the start (split overnight shifts)."""
    agents: Annotated[int, Field(ge=0, le=100_000)]
    """Agents on this shift (shifts that overlap add up)."""
    breaks: list[Break] = Field(default_factory=list, max_length=10)
    """Breaks and lunch (off duty, still paid)."""
    overnight: bool = False
    """The shift ends the next day (``end`` not after ``start``), e.g. 22:00-06:00; Sunday runs into Monday."""


class Pool(Model):
    channels: list[Name] = Field(min_length=1)
    """Channels this pool's agents serve (of one concurrency kind)."""
    reasons: list[Name] | Literal["all"] = "all"
    """Reasons served, or 'all'."""
    segments: list[Name] | Literal["all"] = "all"
    """Segments served, or 'all'."""
    members_only: bool = False
    """Serve only premium members (policies.premium): a dedicated line or team for the paid tier."""
    serves: ContactClass | None = None
    """Serve only contacts of this class (e.g. customers with min_products: 3): a dedicated team."""
    proficiency: dict[Name, Proficiency] = Field(default_factory=dict)
    """Per reason: how well this pool's agents handle it (handle-time factor and resolution)."""
    queue_cap: Annotated[int, Field(ge=0, le=1_000_000)] | None = None
    """Most contacts that may wait for this pool; an arriving contact that finds it full balks (leaves at
    once: 'all our agents are busy'). null: no cap."""
    escalation: Escalation | None = None
    """First line to second line: a share of this pool's contacts is handed on."""
    staffing: (Annotated[int, Field(ge=0, le=100_000)] | list[Annotated[int, Field(ge=0, le=100_000)]]
               | dict[str, Annotated[int, Field(ge=0, le=100_000)] | list[Annotated[int, Field(ge=0, le=100_000)]]]
               | None) = None
    """Agents on duty: one number, or one per interval of the day (same every day), or per weekday:
    ``{mon-fri: [...], sat: [...]}`` (days not named have none). Lists may have 24, 48, 96 or 288 values
    (60-, 30-, 15- or 5-minute intervals) whatever ``horizon.interval_minutes`` is."""
    staffing_file: str | None = None
    """CSV or Parquet of agents per date x interval (``date, interval_start, agents[, pool]``): overrides
    ``staffing`` on the dates it lists (needs ``horizon.start_date``)."""
    shifts: list[Shift] | None = None
    """Agents on duty as shifts (instead of 'staffing')."""
    hourly_cost: Money = 0.0
    """Cost of one paid agent hour."""
    shrinkage: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    """Share of paid time not available for contacts (breaks, training); paid = on-duty / (1 - shrinkage)."""
    absence: Annotated[float, Field(ge=0.0, lt=1.0, allow_inf_nan=False)] = 0.0
    """Share of scheduled agents absent (sick, unplanned leave): lost capacity, still paid."""
    adherence: Annotated[float, Field(gt=0.0, le=1.0, allow_inf_nan=False)] = 1.0
    """Share of on-duty time agents are available as scheduled: capacity = scheduled x (1 - absence) x
    adherence (rounded per shift), paid = scheduled."""
    after_contact_work: DistSpec | None = None
    """Wrap-up time after each contact, in seconds (agent busy, customer gone)."""
    handle_time_factor: Annotated[float, Field(gt=0, le=10)] = 1.0
    """Multiplies handle times in this pool (less-skilled overflow agents > 1)."""
    takes_overflow_after_s: Annotated[float, Field(ge=0, le=1e7)] | None = 0.0
    """For contacts whose first eligible pool is another: join this pool's queue after this wait.
    0 = at once (multi-skilled), null = never (dedicated to its own contacts)."""
    discipline: Discipline = Field(default_factory=Discipline)
    """Order in which free agents take waiting contacts."""
    reserve: Reserve | None = None
    """Agents kept idle for one class of contacts."""

    @model_validator(mode="after")
    def _one_staffing(self) -> Pool:
        if (self.staffing is None) == (self.shifts is None):
            raise ValueError("needs exactly one of 'staffing' and 'shifts'; give staffing: N (or one number per "
                             "interval of the day) or shifts: [{days: mon-fri, start: '08:00', end: '16:30', "
                             "agents: N}]")
        return self


# --- policies ------------------------------------------------------------------------------------------
class Premium(Model):
    """A paid service tier ('Service Plus'): members pay and get the entitlements priority classes grant
    via ``premium: true``."""

    name: Name = "plus"
    """Name of the paid tier (e.g. plus)."""
    take_up: dict[Name, Probability]
    """Share of each segment's customers who are members."""
    fee_per_month: Money = 0.0
    """Membership fee per member per month (revenue)."""
    fee_per_contact: Money = 0.0
    """Fee per assisted contact of a member (revenue)."""
    promise: ServiceLevelTarget | None = None
    """The service promise made to members (share answered within seconds)."""
    promise_channels: list[Name] = Field(default_factory=list)
    """Channels the promise covers (default: all); KPIs promise_level / promise_met measure it."""
    channels: list[Name] = Field(default_factory=list)
    """Channels offered only to members (on top of what steering offers)."""
    eligible: CustomerCriteria | None = None
    """Only customers meeting these criteria may join (e.g. min_tenure_years: 2); take-up applies to them."""
    fixed_cost_per_month: Money = 0.0
    """Cost of running the tier (training, data, complexity): a cost of differentiating."""


class SteeringRule(Model):
    """Which channels a class of contacts is offered, and how many comply."""

    applies_to: ContactClass = Field(default_factory=ContactClass)
    """The contacts this rule steers (default: all)."""
    offered_channels: list[Name] | None = None
    """Channels offered to them (default: unchanged); customers keep their preferred ones among these."""
    self_service_first: bool = False
    """Send them to self-service first (where the reason is suitable)."""
    compliance: Probability = 1.0
    """Probability the customer follows the steering; the rest keep their preferred channel."""
    effort_penalty: Annotated[float, Field(ge=0, le=10)] = 1.0
    """Effort steps added to the CSAT proxy of a customer who ignores the steering."""
    fixed_cost_per_month: Money = 0.0
    """Cost of running this rule (data, channel design): a cost of differentiating."""


class Callback(Model):
    """Offer a callback when the predicted wait exceeds a limit; the customer keeps its place virtually."""

    offer_when_wait_exceeds_s: Annotated[float, Field(ge=0, le=1e7)]
    """Offer a callback when the predicted wait exceeds this many seconds."""
    acceptance: Probability = 0.5
    """Probability that a customer accepts the offer."""
    channels: list[Name] = Field(default_factory=lambda: ["phone"])
    """Channels on which callbacks are offered."""
    hours: dict[str, str] | Literal["24/7"] | None = None
    """When callbacks are made (opening-hours syntax); default the channel's opening hours. A callback is
    offered only when the predicted wait ends inside these hours, before they close."""

    @field_validator("hours")
    @classmethod
    def _hours(cls, v: dict[str, str] | str | None) -> dict[str, str] | str | None:
        if v is not None:
            opening_windows(v)  # raises ValueError with the reason
        return v


class Ivr(Model):
    duration: DistSpec
    """Time in the IVR menu before queueing, in seconds."""
    misroute_probability: Probability = 0.0
    """Probability that the IVR sends the caller to the wrong pool (transferred after the first talk)."""
    transfer_time_s: Annotated[float, Field(ge=0, le=3600)] = 30.0
    """Seconds a transfer after a misroute takes."""
    cost_per_minute: Money = 0.0
    """Cost per IVR minute."""
    channels: list[Name] = Field(default_factory=lambda: ["phone"])
    """Channels that pass through the IVR."""


class DifferentiationCost(Model):
    """A fixed cost of differentiating not tied to one rule (seed 000: a more complex organisation)."""

    name: Name
    """What the cost is for."""
    per_month: Money
    """Cost per month."""


class Policies(Model):
    premium: Premium | list[Premium] | None = None
    """One paid tier, or several (each with its own fee, take-up and promise; a customer joins at most one)."""
    steering: list[SteeringRule] = Field(default_factory=list)
    """Channel steering rules, first matching rule applies."""
    callback: Callback | None = None
    """Callback offers when the predicted wait is long."""
    ivr: Ivr | None = None
    """An IVR in front of the queues (duration, misroutes)."""
    differentiation_costs: list[DifferentiationCost] = Field(default_factory=list)
    """Fixed costs of differentiating not tied to one rule (per month)."""

    @property
    def paid_tiers(self) -> list[Premium]:
        if self.premium is None:
            return []
        return list(self.premium) if isinstance(self.premium, list) else [self.premium]


# --- the six relationship modes (seed 004); defaults are the documented presets -----------------------
class AccountManager(Model):
    """A named advisor per customer: the advisors are the agents of ``pool``."""

    pool: Name
    """Pool whose agents are the advisors."""
    customers_per_advisor: Annotated[int, Field(ge=1, le=1_000_000)] = 250
    """Customers assigned to each advisor."""
    continuity: Literal["wait", "message", "fallback"] = "fallback"
    """wait: only the own advisor serves (the customer may abandon); message: the customer leaves a
    message and the own advisor calls back (no abandonment); fallback: after ``fallback_after_s`` the
    contact may also be served by the other pools that serve it."""
    fallback_after_s: Annotated[float, Field(ge=0, le=1e7)] = 120.0
    """With continuity fallback: seconds after which other pools may serve."""
    fixed_cost_per_month: Money = 0.0
    """Fixed cost of the account-manager programme per month."""


class Community(Model):
    """A moderated customer forum (social care): customers answer each other."""

    share: Probability = 0.35
    """Share of the segment's needs posted on the forum instead of contacting."""
    reasons: list[Name] | Literal["all"] = "all"
    """Reasons customers post on the forum, or 'all'."""
    answer_delay: DistSpec = Field(default_factory=lambda: ExponentialSpec(dist="exponential", mean=4 * 3600.0))
    """Time until a post is answered, in seconds."""
    wrong_answer_share: Probability = 0.15
    """Share of posts answered wrongly or not at all: the customer contacts the organisation after the delay."""
    moderator_minutes_per_post: Annotated[float, Field(ge=0, le=600)] = 3.0
    """Moderator time per post, in minutes."""
    moderator_hourly_cost: Money = 35.0
    """Cost of one moderator hour."""
    fixed_cost_per_month: Money = 0.0
    """Fixed cost of the forum per month."""


class Automated(Model):
    """Automated service: straight-through processing with no customer effort."""

    straight_through: Probability = 0.6
    """Share of the segment's needs of the given reasons completed without anyone's help."""
    reasons: list[Name] | Literal["all"] = "all"
    """Reasons that can be completed automatically, or 'all'."""
    cost_per_transaction: Money = 0.05
    """Cost per automated transaction."""
    fixed_cost_per_month: Money = 0.0
    """Fixed cost of the automation per month."""


class CoCreation(Model):
    """Customers improve the service with the organisation; modelled as needs prevented over time."""

    prevented_share_per_month: Probability = 0.01
    """Share of needs prevented per month the programme runs."""
    max_prevented_share: Probability = 0.15
    """Largest share of needs the programme can prevent."""
    months_running: Annotated[float, Field(ge=0, le=600)] = 12.0
    """How long the programme has run at the start of the run (the effect builds up)."""
    programme_cost_per_month: Money = 2000.0
    """Cost of the programme per month."""


class SelfServiceMode(Model):
    """Self-service as the relationship: suitable needs are sent to self-service first."""

    compliance: Probability = 0.8
    """Share of customers who follow the self-service-first routing."""


class Relationships(Model):
    """Parameters of the relationship modes segments use (``segments.*.relationship``)."""

    account_manager: AccountManager | None = None
    """A named advisor per customer."""
    community: Community = Field(default_factory=Community)
    """A moderated customer forum."""
    automated: Automated = Field(default_factory=Automated)
    """Straight-through processing."""
    co_creation: CoCreation = Field(default_factory=CoCreation)
    """Customers improving the service."""
    self_service: SelfServiceMode = Field(default_factory=SelfServiceMode)
    """Self-service as the relationship."""


class Webcare(Model):
    """Unresolved or badly served customers who complain on social media; a small team answers."""

    pool: Name | None = None
    """Pool that answers complaints on social media (default: none, counted only)."""
    complaint_probability_unresolved: Probability = 0.05
    """Probability that a customer with an unresolved need complains publicly."""
    complaint_probability_abandoned: Probability = 0.02
    """Probability that a customer who abandoned complains publicly."""
    handle_time: DistSpec = Field(default_factory=lambda: ExponentialSpec(dist="exponential", mean=600.0))
    """Handle time of a webcare case, in seconds."""
    cost_per_case: Money = 0.0
    """Cost per webcare case (on top of agent time)."""


class Csat(Model):
    """Parameters of the CSAT proxy (1-5); see :mod:`contactsim.satisfaction`."""

    base: Annotated[float, Field(ge=1, le=5)] = 4.6
    """Score of a contact with no wait, resolved, no extra effort, in the preferred channel."""
    speed_weight: Annotated[float, Field(ge=0, le=4)] = 1.2
    """Score lost as the wait grows past the expectation."""
    resolution_weight: Annotated[float, Field(ge=0, le=4)] = 1.4
    """Score lost when the need is not resolved."""
    effort_weight: Annotated[float, Field(ge=0, le=4)] = 0.25
    """Score lost per effort step (repeat, transfer, channel switch, ignored steering)."""
    channel_fit_weight: Annotated[float, Field(ge=0, le=4)] = 0.3
    """Score lost when served outside the preferred channel."""
    abandoned_score: Annotated[float, Field(ge=1, le=5)] = 1.5
    """Score of a contact that abandoned."""
    own_advisor_effort_credit: Annotated[float, Field(ge=0, le=5)] = 1.0
    """Effort steps fewer (not below 0) when the customer's own account manager serves: no need to explain
    who they are and what went before (seed 004: a long-term relationship; seed 001: no 'blind date')."""


class Churn(Model):
    """Churn proxy: yearly leave probability rises with a bad experience (logistic in CSAT)."""

    baseline: Probability = 0.08
    """Yearly leave probability of a satisfied customer."""
    max_extra: Probability = 0.25
    """Largest extra yearly leave probability after a bad experience."""
    midpoint_csat: Annotated[float, Field(ge=1, le=5)] = 2.5
    """CSAT at which half the extra applies."""
    steepness: Annotated[float, Field(gt=0, le=20)] = 2.0
    """How fast the extra rises as CSAT falls (logistic slope)."""


class Satisfaction(Model):
    csat: Csat = Field(default_factory=Csat)
    """Parameters of the CSAT proxy."""
    churn: Churn = Field(default_factory=Churn)
    """Parameters of the churn proxy."""


class Run(Model):
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 1
    """Seed of the random streams (same seed: same customers, whatever the worker count)."""
    replications: Annotated[int, Field(ge=1, le=100_000)] = 10
    """Independent replications; KPIs are their means with 95% confidence intervals."""
    record_contacts: bool = True
    """Keep per-contact and per-need records (in memory, written to Parquet). Off for long studies."""
    interval_kpis: Literal["auto", "absolute", "time_of_week"] = "auto"
    """KPIs per interval of the run (absolute) or per interval of the week; auto: absolute up to 35 days."""


# --- KPI definitions ---------------------------------------------------------------------------------
class ResolutionTarget(Model):
    """Within how long a segment's needs must be solved: first contact to the contact that resolved it,
    across retrials, repeats and channels."""

    hours: Annotated[float, Field(gt=0, le=24 * 366, allow_inf_nan=False)]
    """Hours from the first contact within which a need should be resolved."""
    share: Probability = 0.8
    """Share of needs to resolve within ``hours``."""
    reasons: dict[Name, Annotated[float, Field(gt=0, le=24 * 366, allow_inf_nan=False)]] = Field(default_factory=dict)
    """Hours per contact reason where it differs (e.g. card_stolen: 1)."""


class KpiDefinitions(Model):
    """How the ACD-style KPIs count (see docs/KPIS.md), to match the report they are compared with."""

    abandons: Literal["against", "excluded", "short_excluded"] = "against"
    """Abandoned contacts in the service level: counted against it, excluded, or excluded when shorter
    than ``short_abandon_s``."""
    short_abandon_s: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)] = 5.0
    """Abandons shorter than this many seconds are excluded (abandons: short_excluded)."""
    service_level_interval: Literal["arrival", "answer"] = "arrival"
    """Interval a contact counts in: the one it arrived in, or the one it was answered (or abandoned) in."""
    backlog_clock: Literal["calendar", "business_hours"] = "calendar"
    """Backlog SLAs (e-mail, webcare) on the calendar or only inside ``business_hours``."""
    business_hours: dict[str, str] | Literal["24/7"] = Field(default_factory=lambda: {"mon-fri": "08:00-18:00"})
    """Opening-hours syntax: the clock of backlog SLAs with backlog_clock: business_hours."""
    resolution_targets: dict[Name, ResolutionTarget] = Field(default_factory=dict)
    """Time-to-resolution target per segment."""


# --- the scenario --------------------------------------------------------------------------------------
class Scenario(Model):
    """A complete description of a contact centre to simulate."""

    schema_version: Literal[1] = SCHEMA_VERSION
    """Version of the scenario file format (1)."""
    name: Name
    """Short name, used in result folder names."""
    description: str = Field(default="", max_length=20_000)
    """Free text: what the scenario shows and where its numbers come from."""
    currency: Annotated[str, Field(min_length=1, max_length=8)] = "EUR"
    """Currency of every money field (e.g. EUR)."""
    run: Run = Field(default_factory=Run)
    """Seed, replications and what to record."""
    horizon: Horizon
    """What period is simulated: calendar days or a steady state."""
    arrivals: Arrivals = Field(default_factory=Arrivals)
    """Intraday and weekly profiles and day-to-day variation of demand."""
    channels: dict[Name, Channel] = Field(min_length=1, max_length=MAX_CHANNELS)
    """Assisted channels by name."""
    segments: dict[Name, Segment] = Field(min_length=1, max_length=MAX_SEGMENTS)
    """Customer segments by name."""
    reasons: dict[Name, Reason] = Field(min_length=1, max_length=MAX_REASONS)
    """Contact reasons by name: volume, handle times and the funnel."""
    pools: dict[Name, Pool] = Field(min_length=1, max_length=MAX_POOLS)
    """Agent pools by name, first choice first."""
    incidents: list[Incident] = Field(default_factory=list, max_length=1000)
    """Outages or disruptions that add needs in a time window."""
    policies: Policies = Field(default_factory=Policies)
    """Differentiation policies: premium tier, steering, callbacks, IVR."""
    relationships: Relationships = Field(default_factory=Relationships)
    """Parameters of the relationship modes segments use."""
    webcare: Webcare | None = None
    """Complaints on social media and the team answering them."""
    satisfaction: Satisfaction = Field(default_factory=Satisfaction)
    """Parameters of the CSAT and churn proxies."""
    kpis: KpiDefinitions = Field(default_factory=KpiDefinitions)
    """How ACD-style KPIs are defined (abandons in the service level, business-hours clocks)."""

    @field_validator("description")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()



    def service_level_target(self, channel: str, segment: str | None = None) -> ServiceLevelTarget:
        """The service-level target a contact of ``segment`` on ``channel`` is measured against: the segment's
        own for the channel, else the channel's (``Channel.target``: its service_level, a backlog's sla_hours,
        or the default). The one place this rule lives (compilation, staffing, KPIs and the report ask here)."""
        seg = self.segments.get(segment) if segment is not None else None
        own = seg.service_level.get(channel) if seg is not None else None
        return own or self.channels[channel].target
