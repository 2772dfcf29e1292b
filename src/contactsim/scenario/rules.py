"""Cross-field rules: what a scenario must satisfy beyond each field's own type and range.

All rules run and every violation is collected, so a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from contactsim.errors import Issue
from contactsim.scenario.schedules import weekday_levels
from contactsim.scenario.schema import ContactClass, CustomerCriteria, Pool, Scenario
from contactsim.scenario.timespec import WEEK_S, WEEKDAYS, opening_windows, parse_clock, parse_days

SUM_TOLERANCE = 1e-3
RESERVED_NAME = "all"
MAX_EXPECTED_CONTACTS = 60_000_000
"""Guard against scenarios that would exhaust memory: needs per replication."""
MAX_ROUTING_COMBINATIONS = 20_000_000
"""segments x reasons x channels x pools: beyond this, routing tables alone take minutes to build."""


def _unknown(names: Iterable[str], known: dict, path: str, what: str) -> list[Issue]:
    return [
        Issue(path, f"unknown {what} '{n}'", n, f"use one of: {', '.join(sorted(known)) or '(none defined)'}")
        for n in names
        if n not in known
    ]


def _sums_to_one(values: list[float] | Iterable[float], path: str, what: str) -> list[Issue]:
    vals = list(values)
    total = sum(vals)
    if abs(total - 1.0) > SUM_TOLERANCE:
        return [Issue(path, f"{what} must sum to 1, but sum to {total:.6g}", None,
                      "rescale the values so they add up to 1 (divide each by their sum)")]
    return []


def _class_issues(cls: ContactClass, sc: Scenario, path: str) -> list[Issue]:
    issues = _unknown(cls.segments, sc.segments, f"{path}.segments", "segment")
    issues += _unknown(cls.reasons, sc.reasons, f"{path}.reasons", "reason")
    tiers = {s.tier for s in sc.segments.values()}
    issues += [
        Issue(f"{path}.tiers", f"no segment has tier '{t}'", t, f"use one of: {', '.join(sorted(tiers))}")
        for t in cls.tiers
        if t not in tiers
    ]
    if cls.premium is not None and sc.policies.premium is None:
        issues.append(Issue(f"{path}.premium", "matches premium members, but policies.premium is not defined",
                            cls.premium, "add a policies.premium block or drop 'premium' here"))
    tier_names = [t.name for t in sc.policies.paid_tiers]
    issues += [Issue(f"{path}.paid_tiers", f"no paid tier is named '{t}'", t,
                     f"use one of: {', '.join(tier_names) or '(define policies.premium first)'}")
               for t in cls.paid_tiers if t not in tier_names]
    return issues


def _criteria_issues(crit, sc: Scenario, path: str) -> list[Issue]:
    issues = _unknown(crit.segments, sc.segments, f"{path}.segments", "segment")
    tiers = {s.tier for s in sc.segments.values()}
    return issues + [Issue(f"{path}.tiers", f"no segment has tier '{t}'", t, f"use one of: {', '.join(sorted(tiers))}")
                     for t in crit.tiers if t not in tiers]


ATTRIBUTE_CRITERIA = {"min_value_per_year": "value_per_year", "min_tenure_years": "tenure_years",
                      "min_products": "products", "min_potential": "potential"}
"""Criteria on a customer attribute -> the attribute (see :mod:`contactsim.customers`)."""
MAX_ATOMS = 6


def all_criteria(sc: Scenario) -> list[CustomerCriteria]:
    """Every class or criteria block a routing, priority or steering decision tests."""
    out: list[CustomerCriteria] = []
    for pool in sc.pools.values():
        out += pool.discipline.classes
        if pool.reserve:
            out.append(pool.reserve.for_class)
        if pool.serves:
            out.append(pool.serves)
    out += [rule.applies_to for rule in sc.policies.steering]
    return out


def attribute_atoms(sc: Scenario) -> list[tuple[str, float]]:
    """The distinct (attribute, threshold) tests the scenario's classes make, in a fixed order."""
    atoms = {(attr, float(getattr(cls, crit))) for cls in all_criteria(sc)
             for crit, attr in ATTRIBUTE_CRITERIA.items() if getattr(cls, crit) is not None}
    return sorted(atoms)



def _domain_issues(sc: Scenario) -> list[Issue]:
    """Rules of issue 16: customers with identity, relationship modes, omnichannel behaviour, tiers."""
    issues: list[Issue] = []
    rel = sc.relationships
    for sname, seg in sc.segments.items():
        p = f"segments.{sname}"
        for r, by_ch in seg.channel_preference_by_reason.items():
            issues += _unknown([r], sc.reasons, f"{p}.channel_preference_by_reason", "reason")
            issues += _unknown(by_ch, sc.channels, f"{p}.channel_preference_by_reason.{r}", "channel")
            issues += _sums_to_one(by_ch.values(), f"{p}.channel_preference_by_reason.{r}", "the channel preferences")
            for ch, w in by_ch.items():
                channel = sc.channels.get(ch)
                if w > 0 and channel is not None and channel.abandonment and ch not in seg.patience:
                    issues.append(Issue(f"{p}.patience.{ch}", f"missing: '{sname}' uses {ch} for '{r}', where callers "
                                        "abandon, but no patience is given", None,
                                        f"add e.g. patience: {{{ch}: {{dist: exponential, mean: 180}}}}"))
        issues += _unknown(seg.channel_switch, sc.channels, f"{p}.channel_switch", "channel")
        if seg.patience_by_hour is not None and len(seg.patience_by_hour) != 24:
            issues.append(Issue(f"{p}.patience_by_hour", f"has {len(seg.patience_by_hour)} values, not 24", None,
                                "give 24 multipliers, one per hour from 00:00 (1 = the patience as given)"))
        if seg.population is not None and seg.population.size is None and seg.customers is None:
            issues.append(Issue(f"{p}.population.size", "missing: the segment gives no customer count to size its "
                                "population", None, "add population.size: 5000 (customers simulated)"))
        if seg.relationship == "account_manager":
            if rel.account_manager is None:
                issues.append(Issue(f"{p}.relationship", "account_manager needs a relationships.account_manager block",
                                    seg.relationship, "add relationships: {account_manager: {pool: advisors, "
                                    "customers_per_advisor: 250}} with a pool of advisors"))
            if seg.population is None:
                issues.append(Issue(f"{p}.population", "missing: an account manager is named per customer, so this "
                                    "segment needs customers with identity", None,
                                    "add population: {size: 2000} (and attribute distributions if known)"))
    am = rel.account_manager
    if am is not None:
        issues += _unknown([am.pool], sc.pools, "relationships.account_manager.pool", "pool")
        pool = sc.pools.get(am.pool)
        if pool is not None and not any(s.relationship == "account_manager" for s in sc.segments.values()):
            issues.append(Issue("relationships.account_manager", "no segment has relationship: account_manager", None,
                                "set relationship: account_manager on a segment, or remove this block"))
        elif pool is not None:
            need = n_advisors(sc)
            have = max(max(day) for day in weekday_levels(pool)) \
                if pool.staffing is not None else sum(sh.agents for sh in pool.shifts or [])
            if have < need:
                issues.append(Issue(f"pools.{am.pool}.staffing", f"the account-manager segments need {need} advisors "
                                    f"(customers / {am.customers_per_advisor} per advisor) but the pool has at most "
                                    f"{have} agents", have, f"staff the pool with {need} advisors, or raise "
                                    "customers_per_advisor"))
    for mode in ("community", "automated"):
        reasons = getattr(rel, mode).reasons
        if reasons != "all":
            issues += _unknown(reasons, sc.reasons, f"relationships.{mode}.reasons", "reason")
    tiers = sc.policies.paid_tiers
    names = [t.name for t in tiers]
    if len(set(names)) != len(names):
        issues.append(Issue("policies.premium", "two paid tiers have the same name", names,
                            "give each tier its own name: [{name: plus, ...}, {name: gold, ...}]"))
    for sname in sc.segments:
        total = sum(t.take_up.get(sname, 0.0) for t in tiers)
        if total > 1 + SUM_TOLERANCE:
            issues.append(Issue("policies.premium", f"the take-ups of segment '{sname}' add up to {total:.3g}", total,
                                "a customer joins at most one tier: lower the take-ups so they add up to at most 1"))
    for k, t in enumerate(tiers):
        if t.eligible is not None:
            path = "policies.premium" + (f"[{k}]" if len(tiers) > 1 or isinstance(sc.policies.premium, list) else "")
            issues += _criteria_issues(t.eligible, sc, f"{path}.eligible")
    atoms = attribute_atoms(sc)
    if len(atoms) > MAX_ATOMS:
        issues.append(Issue("pools", f"classes test {len(atoms)} different attribute thresholds; the limit is "
                            f"{MAX_ATOMS}", [f"{a} >= {v:g}" for a, v in atoms],
                            "use fewer distinct thresholds (e.g. one min_tenure_years value across classes)"))
    for pname, pool in sc.pools.items():
        p = f"pools.{pname}"
        if pool.serves:
            issues += _class_issues(pool.serves, sc, f"{p}.serves")
        issues += _unknown(pool.proficiency, sc.reasons, f"{p}.proficiency", "reason")
        if pool.escalation:
            issues += _unknown([pool.escalation.to_pool], sc.pools, f"{p}.escalation.to_pool", "pool")
            if pool.escalation.reasons != "all":
                issues += _unknown(pool.escalation.reasons, sc.reasons, f"{p}.escalation.reasons", "reason")
            if pool.escalation.to_pool == pname:
                issues.append(Issue(f"{p}.escalation.to_pool", "escalates to itself", pname,
                                    "name the second-line pool"))
    # anonymous contacts (not identified at the front door) need a pool open to everyone
    if any(seg.identified_share < 1.0 for seg in sc.segments.values()):
        for sname, seg in sc.segments.items():
            if seg.identified_share >= 1.0:
                continue
            for ch, w in seg.channel_preference.items():
                if w <= 0 or ch not in sc.channels:
                    continue
                for rname, reason in sc.reasons.items():
                    if reason.segment_mix.get(sname, 1.0) <= 0:
                        continue
                    if not any(ch in pool.channels and (pool.reasons == "all" or rname in pool.reasons)
                               and pool.segments == "all" and not pool.members_only and pool.serves is None
                               for pool in sc.pools.values()):
                        issues.append(Issue(f"segments.{sname}.identified_share", f"contacts that are not identified "
                                            f"need a general pool for '{rname}' on {ch}, and there is none",
                                            seg.identified_share, "add a pool for all segments on this channel, or "
                                            "set identified_share: 1"))
    return issues


PROFILE_LENGTHS = (24, 48, 96, 288)
"""Values per day a profile or staffing list may have: 60-, 30-, 15- or 5-minute intervals."""


def _length_issue(n_values: int, n: int, path: str, what: str) -> list[Issue]:
    if n_values == n or n_values in PROFILE_LENGTHS:
        return []
    return [Issue(path, f"has {n_values} values but the day has {n} intervals", None,
                  f"give exactly {n} {what} (one per interval from 00:00), or 24, 48, 96 or 288 (60-, 30-, 15- or "
                  "5-minute intervals), or change horizon.interval_minutes")]


def _profile(values: list[float] | None, n: int, path: str) -> list[Issue]:
    if values is None:
        return []
    bad = _length_issue(len(values), n, path, "shares")
    return bad or _sums_to_one(values, path, "the intraday shares")


def _kpi_definitions(sc: Scenario) -> list[Issue]:
    """The KPI section names existing segments and reasons, and readable business hours."""
    issues = []
    k = sc.kpis
    try:
        opening_windows(k.business_hours)
    except ValueError as e:
        issues.append(Issue("kpis.business_hours", str(e), k.business_hours,
                            "write e.g. {mon-fri: '08:00-18:00'} or '24/7'"))
    for seg, t in k.resolution_targets.items():
        if seg not in sc.segments:
            issues.append(Issue(f"kpis.resolution_targets.{seg}", "no such segment", seg,
                                f"use one of: {', '.join(sc.segments)}"))
        for r in t.reasons:
            if r not in sc.reasons:
                issues.append(Issue(f"kpis.resolution_targets.{seg}.reasons.{r}", "no such reason", r,
                                    f"use one of: {', '.join(sc.reasons)}"))
    return issues


def check(sc: Scenario) -> list[Issue]:
    """Every cross-field problem of a structurally valid scenario."""
    issues: list[Issue] = []
    n_int = sc.horizon.intervals_per_day
    combos = len(sc.segments) * len(sc.reasons) * len(sc.channels) * len(sc.pools)
    if combos > MAX_ROUTING_COMBINATIONS:
        return [Issue("<file>", f"{len(sc.segments)} segments x {len(sc.reasons)} reasons x {len(sc.channels)} "
                      f"channels x {len(sc.pools)} pools = {combos:,} routing combinations; the limit is "
                      f"{MAX_ROUTING_COMBINATIONS:,}", None,
                      "merge segments, reasons or pools that behave alike")]
    for group in ("segments", "reasons", "channels", "pools"):
        for name in getattr(sc, group):
            if name.lower() == RESERVED_NAME:
                issues.append(Issue(f"{group}.{name}", f"'{RESERVED_NAME}' is reserved for totals in the results",
                                    name, "choose another name, e.g. 'everyone' or 'general'"))

    # segments: demand split
    with_share = [k for k, s in sc.segments.items() if s.share is not None]
    with_customers = [k for k, s in sc.segments.items() if s.customers is not None]
    if with_share and len(with_share) != len(sc.segments):
        missing = sorted(set(sc.segments) - set(with_share))
        issues.append(Issue("segments", "some segments give 'share' and others do not", missing,
                            "give every segment a 'share' (summing to 1), or every segment 'customers'"))
    elif with_share:
        issues += _sums_to_one([s.share or 0.0 for s in sc.segments.values()], "segments.*.share",
                               "the segment shares")
    elif len(with_customers) != len(sc.segments):
        issues.append(Issue("segments", "each segment needs a 'share' of demand or a 'customers' count", None,
                            "add share: 0.2 (shares summing to 1) or customers: 10000 to every segment"))
    elif sum(s.customers or 0 for s in sc.segments.values()) == 0:
        issues.append(Issue("segments.*.customers", "all customer counts are zero", 0, "give a positive count"))

    has_demand = _has_source(sc, {})  # when no segment has demand at all, that is reported above
    for rname, r in sc.reasons.items():
        if r.per_customer_per_year is not None and not with_customers:
            issues.append(Issue(f"reasons.{rname}.per_customer_per_year",
                                "needs segment customer counts to turn a rate per customer into volume",
                                r.per_customer_per_year,
                                "give every segment 'customers', or use volume_per_day for this reason"))
        elif has_demand and (r.volume_per_day or r.per_customer_per_year) and not _has_source(sc, r.segment_mix):
            issues.append(Issue(f"reasons.{rname}.segment_mix", "this reason has volume, but every segment's "
                                "weight for it (share or customers, times segment_mix) is 0, so it would silently "
                                "produce no needs", r.segment_mix or None,
                                "give a segment with demand a positive segment_mix (the default is 1), or set "
                                "the volume to 0"))

    # channels a segment may use
    for sname, seg in sc.segments.items():
        p = f"segments.{sname}"
        issues += _unknown(seg.channel_preference, sc.channels, f"{p}.channel_preference", "channel")
        issues += _sums_to_one(seg.channel_preference.values(), f"{p}.channel_preference",
                               "the channel preferences")
        issues += _unknown(seg.patience, sc.channels, f"{p}.patience", "channel")
        issues += _unknown(seg.service_level, sc.channels, f"{p}.service_level", "channel")
        issues += _unknown(seg.wait_expectation_s, sc.channels, f"{p}.wait_expectation_s", "channel")
        for ch, w in seg.channel_preference.items():
            channel = sc.channels.get(ch)
            if w > 0 and channel is not None and channel.abandonment and ch not in seg.patience:
                issues.append(Issue(f"{p}.patience.{ch}", f"missing: customers of '{sname}' use {ch}, where "
                                    "callers abandon, but no patience is given", None,
                                    f"add e.g. patience: {{{ch}: {{dist: exponential, mean: 180}}}}, or set "
                                    f"channels.{ch}.abandonment: false"))
    used_channels = {ch for s in sc.segments.values() for ch, w in s.channel_preference.items() if w > 0}

    # reasons
    for rname, r in sc.reasons.items():
        p = f"reasons.{rname}"
        issues += _unknown(r.handle_time, sc.channels, f"{p}.handle_time", "channel")
        issues += _unknown(r.segment_mix, sc.segments, f"{p}.segment_mix", "segment")
        issues += _unknown(r.fcr, sc.channels, f"{p}.fcr", "channel")
        for ch in sorted(used_channels):
            if ch in sc.channels and ch not in r.handle_time:
                issues.append(Issue(f"{p}.handle_time.{ch}", f"missing: '{rname}' contacts can arrive on {ch} "
                                    "but have no handle time there", None,
                                    f"add handle_time: {{{ch}: {{dist: lognormal, mean: 300, cv: 0.8}}}}"))
        issues += _profile(r.intraday, n_int, f"{p}.intraday")
        if r.prevention:
            issues += _unknown(r.prevention.by_segment, sc.segments, f"{p}.prevention.by_segment", "segment")
        if r.self_service:
            issues += _unknown(r.self_service.containment_by_segment, sc.segments,
                               f"{p}.self_service.containment_by_segment", "segment")
        if r.proactive and r.proactive.agent_outreach:
            issues += _unknown([r.proactive.agent_outreach.pool], sc.pools, f"{p}.proactive.agent_outreach.pool",
                               "pool")

    # profiles
    if sc.horizon.days is not None and sc.arrivals.intraday is None:
        issues.append(Issue("arrivals.intraday", "missing: a calendar run (horizon.days) needs an intraday profile",
                            None, f"add {n_int} shares (one per {sc.horizon.interval_minutes}-minute interval from "
                            "00:00) that sum to 1, or use horizon.steady_state_hours"))
    issues += _profile(sc.arrivals.intraday, n_int, "arrivals.intraday")
    for wd, prof in sc.arrivals.intraday_by_weekday.items():
        issues += _profile(prof, n_int, f"arrivals.intraday_by_weekday.{wd}")
    if len(sc.arrivals.weekly) != 7:
        issues.append(Issue("arrivals.weekly", f"has {len(sc.arrivals.weekly)} values, not 7", None,
                            "give 7 shares, Monday first, summing to 1"))
    else:
        issues += _sums_to_one(sc.arrivals.weekly, "arrivals.weekly", "the weekly shares")

    issues += _dated_inputs(sc)

    # channels: opening hours
    windows = {}
    for cname, ch in sc.channels.items():
        try:
            windows[cname] = opening_windows(ch.opening_hours)
        except ValueError as e:
            issues.append(Issue(f"channels.{cname}.opening_hours", str(e), ch.opening_hours,
                                "write e.g. {mon-fri: '08:00-20:00', sat: '09:00-17:00'} or '24/7'"))

    issues += _kpi_definitions(sc)

    # pools
    bad_shifts: set[str] = set()
    no_overflow = any(pool.takes_overflow_after_s is None for pool in sc.pools.values())
    first_choice = _first_choice_pools(sc) if no_overflow else set()
    first_choice |= {pool.escalation.to_pool for pool in sc.pools.values() if pool.escalation}  # a second line
    for pname, pool in sc.pools.items():
        p = f"pools.{pname}"
        issues += _unknown(pool.channels, sc.channels, f"{p}.channels", "channel")
        if pool.reasons != "all":
            issues += _unknown(pool.reasons, sc.reasons, f"{p}.reasons", "reason")
        if pool.segments != "all":
            issues += _unknown(pool.segments, sc.segments, f"{p}.segments", "segment")
        kinds = {(sc.channels[c].concurrency, sc.channels[c].concurrency_stretch) for c in pool.channels
                 if c in sc.channels}
        if len(kinds) > 1:
            issues.append(Issue(f"{p}.channels", "mixes channels with different concurrency settings", pool.channels,
                                "split the pool: one for phone-like channels, one for chat/messaging"))
        by_day = isinstance(pool.staffing, dict)
        per_key = pool.staffing.items() if by_day else [("", pool.staffing)]
        for key, level in per_key:
            where = f"{p}.staffing" + (f".{key}" if by_day else "")
            if by_day:
                try:
                    if not parse_days(key):
                        raise ValueError(f"'{key}' names no weekday")
                except ValueError as err:
                    bad_shifts.add(pname)
                    issues.append(Issue(where, str(err), key, "name weekdays, e.g. mon-fri or sat"))
            if isinstance(level, list):
                bad_length = _length_issue(len(level), n_int, where, "values")
                if bad_length:  # an empty or odd-length list has no timeline to check coverage on
                    bad_shifts.add(pname)
                issues += bad_length
        for i, sh in enumerate(pool.shifts or []):
            try:
                parse_days(sh.days)
                s, e = parse_clock(sh.start), parse_clock(sh.end)
                if e <= s and not sh.overnight:
                    raise ValueError(f"shift end {sh.end} is not after start {sh.start}; for a night shift add "
                                     "overnight: true")
                for b in sh.breaks:
                    bs = parse_clock(b.start)
                    inside = (s <= bs < e) if e > s else (bs >= s or bs < e)
                    if not inside:
                        raise ValueError(f"break at {b.start} is outside the shift {sh.start}-{sh.end}")
            except ValueError as err:
                bad_shifts.add(pname)
                issues.append(Issue(f"{p}.shifts[{i}]", str(err), sh.model_dump(), "fix the days or times"))
        for i, cls in enumerate(pool.discipline.classes):
            issues += _class_issues(cls, sc, f"{p}.discipline.classes[{i}]")
        if pool.reserve:
            issues += _class_issues(pool.reserve.for_class, sc, f"{p}.reserve.for_class")
        if pool.members_only and sc.policies.premium is None:
            issues.append(Issue(f"{p}.members_only", "serves premium members only, but policies.premium is not "
                                "defined", True, "add a policies.premium block or drop members_only"))
        if pool.takes_overflow_after_s is None and pname not in first_choice:
            issues.append(Issue(f"{p}.takes_overflow_after_s", "this pool takes no overflow and is nobody's first "
                                "choice, so it never serves a contact", None,
                                "set takes_overflow_after_s to a wait in seconds, or move the pool up in 'pools'"))

    issues += _coverage(sc, used_channels, windows, bad_shifts)

    # incidents
    for i, inc in enumerate(sc.incidents):
        p = f"incidents[{i}]"
        issues += _unknown([inc.reason], sc.reasons, f"{p}.reason", "reason")
        issues += _unknown(inc.segments, sc.segments, f"{p}.segments", "segment")
        try:
            parse_clock(inc.start)
        except ValueError as e:
            issues.append(Issue(f"{p}.start", str(e), inc.start, "write HH:MM"))
        if sc.horizon.days is not None and inc.day > sc.horizon.days:
            issues.append(Issue(f"{p}.day", f"day {inc.day} is after the horizon of {sc.horizon.days} days",
                                inc.day, "move the incident inside the horizon"))

    # policies
    pol = sc.policies
    for k, tier in enumerate(pol.paid_tiers):
        path = f"policies.premium[{k}]" if isinstance(pol.premium, list) else "policies.premium"
        issues += _unknown(tier.take_up, sc.segments, f"{path}.take_up", "segment")
        issues += _unknown(tier.channels, sc.channels, f"{path}.channels", "channel")
        issues += _unknown(tier.promise_channels, sc.channels, f"{path}.promise_channels", "channel")
    for i, rule in enumerate(pol.steering):
        rule_issues = _class_issues(rule.applies_to, sc, f"policies.steering[{i}].applies_to")
        rule_issues += _unknown(rule.offered_channels or [], sc.channels,
                                f"policies.steering[{i}].offered_channels", "channel")
        issues += rule_issues
    if pol.callback:
        issues += _unknown(pol.callback.channels, sc.channels, "policies.callback.channels", "channel")
    if pol.ivr:
        issues += _unknown(pol.ivr.channels, sc.channels, "policies.ivr.channels", "channel")
    if sc.webcare and sc.webcare.pool:
        issues += _unknown([sc.webcare.pool], sc.pools, "webcare.pool", "pool")

    issues += _domain_issues(sc)

    # memory guard
    expected = expected_needs(sc)
    if expected > MAX_EXPECTED_CONTACTS:
        issues.append(Issue("reasons", f"about {expected:,.0f} needs per replication: more than the "
                            f"{MAX_EXPECTED_CONTACTS:,} one run may hold", None,
                            "shorten the horizon, lower the volumes, or split the study into several runs"))
    return issues


def population_size(sc: Scenario, seg: str) -> int:
    """Customers simulated for a segment with a population (0 without one)."""
    s = sc.segments[seg]
    if s.population is None:
        return 0
    return int(s.population.size if s.population.size is not None else (s.customers or 0))


def n_advisors(sc: Scenario) -> int:
    """Advisors the account-manager mode needs: its customers / customers per advisor, rounded up."""
    am = sc.relationships.account_manager
    if am is None:
        return 0
    n = sum(population_size(sc, s) for s, seg in sc.segments.items() if seg.relationship == "account_manager")
    return -(-n // am.customers_per_advisor)


def _has_source(sc: Scenario, mix: dict[str, float]) -> bool:
    """Whether some segment with demand has a positive weight for a reason (share or customers x mix)."""
    return any(((seg.share or 0.0) > 0 or (seg.customers or 0) > 0) and mix.get(name, 1.0) > 0
               for name, seg in sc.segments.items())


def _staffed_windows(pool: Pool, interval_s: float) -> list[tuple[float, float]]:
    """Spans of the week (seconds from Monday 00:00) in which the pool has at least one agent on duty."""
    from contactsim.scenario.shifts import weekly_staffing

    times, agents = weekly_staffing(pool, interval_s)
    ends = [*times[1:], WEEK_S]
    return [(float(a), float(b)) for a, b, n in zip(times, ends, agents, strict=True) if n > 0 and b > a]


def _overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    return any(max(s, t) < min(e, u) for s, e in a for t, u in b)


def _coverage(sc: Scenario, used_channels: set[str], windows: dict[str, list[tuple[float, float]]],
              bad_shifts: set[str]) -> list[Issue]:
    """Every (segment, reason, channel) with demand has a pool, and every channel with demand is open and
    staffed at some time of the week (unknown names are reported elsewhere and skipped here)."""
    issues: list[Issue] = []
    pools = {p: pool for p, pool in sc.pools.items() if not pool.members_only and pool.serves is None}
    for sname, seg in sc.segments.items():
        reasons = [r for r, reason in sc.reasons.items() if reason.segment_mix.get(sname, 1.0) > 0]
        for ch, w in seg.channel_preference.items():
            if w <= 0 or ch not in sc.channels:
                continue
            served: set[str] = set()
            for pool in pools.values():
                if ch in pool.channels and (pool.segments == "all" or sname in pool.segments):
                    served |= set(sc.reasons) if pool.reasons == "all" else set(pool.reasons)
            for rname in reasons:
                if rname not in served:
                    issues.append(Issue(f"segments.{sname}.channel_preference.{ch}",
                                        f"no pool serves reason '{rname}' on {ch} for segment '{sname}'",
                                        None, f"add {ch} to a pool's channels and '{rname}' to its reasons "
                                        f"(or 'all'), or set {ch} to 0 in this segment's preferences"))
    interval_s = sc.horizon.interval_minutes * 60.0
    for ch in sorted(used_channels & set(sc.channels)):
        open_windows = [(0.0, WEEK_S)] if sc.horizon.steady_state else windows.get(ch)
        if open_windows is None:  # opening hours that do not parse: reported above
            continue
        if not open_windows:
            issues.append(Issue(f"channels.{ch}.opening_hours", "never open, but customers prefer this channel",
                                sc.channels[ch].opening_hours,
                                "give opening hours, e.g. {mon-fri: '08:00-18:00'} or '24/7', or set this "
                                "channel's preference to 0 in every segment"))
            continue
        serving = [p for p, pool in sc.pools.items() if ch in pool.channels]
        if any(p in bad_shifts for p in serving):
            continue
        staffed = [w for p in serving for w in _staffed_windows(sc.pools[p], interval_s)]
        if not staffed:
            issues.append(Issue(f"channels.{ch}", "offered to customers but no pool ever staffs it", ch,
                                "give a pool serving this channel a positive staffing while it is open"))
        elif not _overlap(open_windows, staffed):
            issues.append(Issue(f"channels.{ch}", "offered to customers, but no pool serving it has an agent on "
                                "duty while it is open", sc.channels[ch].opening_hours,
                                f"staff a pool serving {ch} ({', '.join(serving)}) during the opening hours, or "
                                "change the opening hours"))
    return issues


def _first_choice_pools(sc: Scenario) -> set[str]:
    """Pools that are the first eligible pool for some (segment, reason, channel, membership).

    Per channel and membership, a pool is someone's first choice when its segment x reason block is not
    already covered by the pools listed before it (boolean tables, so large scenarios stay fast).
    """
    segs, reasons = list(sc.segments), list(sc.reasons)
    out: set[str] = set()
    for ch in sc.channels:
        for premium in (False, True):
            covered = np.zeros((len(segs), len(reasons)), dtype=bool)
            for pname, pool in sc.pools.items():
                if ch not in pool.channels or (pool.members_only and not premium):
                    continue
                s_ok = np.array([pool.segments == "all" or s in pool.segments for s in segs])
                r_ok = np.array([pool.reasons == "all" or r in pool.reasons for r in reasons])
                block = np.outer(s_ok, r_ok)
                if (block & ~covered).any():
                    out.add(pname)
                covered |= block
    return out


def expected_needs(sc: Scenario) -> float:
    """Expected needs per replication (before the funnel), for the memory guard and progress bars."""
    days = sc.horizon.days if sc.horizon.days is not None else (
        (sc.horizon.steady_state_hours or 0.0) + sc.horizon.warmup_hours) / 24.0
    per_day = 0.0
    for r in sc.reasons.values():
        if r.volume_per_day is not None:
            per_day += r.volume_per_day
        else:  # as arrivals.daily_volume: customers x segment_mix x rate
            customers = sum((s.customers or 0) * r.segment_mix.get(name, 1.0) for name, s in sc.segments.items())
            per_day += (r.per_customer_per_year or 0.0) * customers / 365.0
    extra = sum(i.extra_needs for i in sc.incidents)
    return per_day * days + extra


def _dated_inputs(sc: Scenario) -> list[Issue]:
    """Forecast and staffing files: a start date to match them, and files that can be read."""
    from contactsim.scenario.calendar_inputs import InputFileError, check_forecast, read_staffing

    issues: list[Issue] = []
    files = [("arrivals.forecast_file", sc.arrivals.forecast_file)] + [
        (f"pools.{p}.staffing_file", pool.staffing_file) for p, pool in sc.pools.items()]
    for path, f in files:
        if f is None:
            continue
        if sc.horizon.start_date is None:
            issues.append(Issue(path, "a dated file needs horizon.start_date to know which day is which", f,
                                "add horizon.start_date: 2024-03-04 (a date on horizon.start_weekday)"))
            continue
        try:
            if path == "arrivals.forecast_file":
                check_forecast(f, list(sc.reasons), list(sc.segments))
            else:
                read_staffing(f)
        except InputFileError as e:
            issues.append(Issue(path, str(e), None, "fix the file (see the column list in docs/MODEL.md)"))
    d = sc.horizon.start_date
    if d is not None and d.weekday() != WEEKDAYS.index(sc.horizon.start_weekday):
        issues.append(Issue("horizon.start_date", f"{d} is a {WEEKDAYS[d.weekday()]}, but start_weekday is "
                            f"{sc.horizon.start_weekday}", str(d),
                            f"set start_weekday: {WEEKDAYS[d.weekday()]}, or another date"))
    return issues

