"""Customers with identity: each segment's population, drawn once per replication, and what each need
inherits from its customer (attributes, paid tier, advisor) and from the front door (identified or not).

A segment with ``population`` has ``size`` customers whose attributes (value, tenure, products, potential)
and paid tier are drawn from the replication's stream ``population/<segment>``, independent of the day and
of every other stream; each need picks its customer with its own uniform. So all needs of one customer --
on any day, with their retrials and repeats -- share one membership and one account manager. A segment
without a population behaves as before: every customer has the segment's values and membership is drawn
per need. Issue 16; seed 001 ("segment customers before they make contact").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from contactsim.arrivals import Needs, U, X
from contactsim.rng import stream
from contactsim.scenario.compiled import Compiled
from contactsim.scenario.tables import ATTRIBUTES

NO_ADVISOR = -1


@dataclass
class Population:
    """All simulated customers of one replication; segment ``i`` owns ids ``offset[i]:offset[i]+size[i]``."""

    offset: np.ndarray
    size: np.ndarray
    attrs: dict[str, np.ndarray]
    tier: np.ndarray
    """Paid tier per customer (0: none; k: ``policies.paid_tiers[k-1]``)."""
    advisor: np.ndarray
    """Account manager per customer (an agent index of the advisors' pool), NO_ADVISOR if none."""


def choose_tier(c: Compiled, seg: int, attrs: dict[str, np.ndarray], u: np.ndarray) -> np.ndarray:
    """Paid tier from one uniform: tier k when u falls in its take-up slice and the customer is eligible.

    With one tier and no eligibility this is ``u < take_up``, the rule before customers had identity.
    """
    tier = np.zeros(u.size, dtype=np.int64)
    lo = 0.0
    for k, t in enumerate(c.paid_tiers, start=1):
        hi = lo + float(t.take_up[seg])
        eligible = t.eligible.mask(seg, attrs) if t.eligible is not None else np.ones(u.size, dtype=bool)
        tier[(u >= lo) & (u < hi) & eligible] = k
        lo = hi
    return tier


def draw_population(c: Compiled, seed: int, rep: int) -> Population:
    """The replication's customers, one named stream per segment (independent of the scenario's policies,
    so two scenarios with the same seed have the same customers)."""
    ct = c.customers
    sizes = ct.population_size
    offset = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    attrs = {a: np.zeros(int(sizes.sum())) for a in ATTRIBUTES}
    tier = np.zeros(int(sizes.sum()), dtype=np.int64)
    advisor = np.full(int(sizes.sum()), NO_ADVISOR, dtype=np.int64)
    am_rank = 0
    for i, name in enumerate(c.segments):
        pop = ct.population[i]
        n = int(sizes[i])
        if pop is None or n == 0:
            continue
        u = stream(seed, rep, f"population/{name}").random((n, len(ATTRIBUTES) + 1))
        own = ct.own_attributes(i, n)
        for k, a in enumerate(ATTRIBUTES):
            smp = pop[a]
            if smp is not None:
                own[a] = smp.ppf(u[:, k])
        own["products"] = np.maximum(np.ceil(own["products"] - 1e-9), 1.0)
        sl = slice(int(offset[i]), int(offset[i]) + n)
        for a in ATTRIBUTES:
            attrs[a][sl] = own[a]
        tier[sl] = choose_tier(c, i, own, u[:, len(ATTRIBUTES)])
        if ct.advisor_segment[i]:
            advisor[sl] = (am_rank + np.arange(n)) // ct.customers_per_advisor
            am_rank += n
    return Population(offset, sizes, attrs, tier, advisor)


@dataclass
class NeedCustomers:
    """Per need: its customer and what the front door makes of it."""

    customer: np.ndarray
    """Global customer id, or -1 for a segment without a population."""
    attrs: dict[str, np.ndarray]
    tier: np.ndarray
    identified: np.ndarray
    profile: np.ndarray
    """Routing key (see :class:`contactsim.scenario.compiled.Profiles`)."""
    advisor: np.ndarray


def assign(c: Compiled, pop: Population, needs: Needs) -> NeedCustomers:
    """Give each need its customer, attributes, tier, identification and profile (vectorised)."""
    n = len(needs)
    seg = needs.segment.astype(np.int64)
    customer = np.full(n, -1, dtype=np.int64)
    attrs = {a: np.zeros(n) for a in ATTRIBUTES}
    tier = np.zeros(n, dtype=np.int64)
    advisor = np.full(n, NO_ADVISOR, dtype=np.int64)
    for i in range(len(c.segments)):
        sel = np.flatnonzero(seg == i)
        if sel.size == 0:
            continue
        if pop.size[i] > 0:
            assert needs.u2 is not None  # uses_extra() is true whenever a segment has a population
            cid = pop.offset[i] + np.minimum((needs.u2[sel, X["customer"]] * pop.size[i]).astype(np.int64),
                                             pop.size[i] - 1)
            customer[sel] = cid
            for a in ATTRIBUTES:
                attrs[a][sel] = pop.attrs[a][cid]
            tier[sel] = pop.tier[cid]
            advisor[sel] = pop.advisor[cid]
        else:
            own = c.customers.own_attributes(i, sel.size)
            for a in ATTRIBUTES:
                attrs[a][sel] = own[a]
            tier[sel] = choose_tier(c, i, own, needs.u[sel, U["premium"]])
    share = c.customers.identified_share
    identified = np.ones(n, dtype=bool) if needs.u2 is None else needs.u2[:, X["identified"]] < share[seg]
    mask = np.zeros(n, dtype=np.int64)
    for b, (attr, threshold) in enumerate(c.profiles.atoms):
        mask |= (attrs[attr] >= threshold).astype(np.int64) << b
    profile = c.profiles.encode(tier, mask, identified)
    return NeedCustomers(customer, attrs, tier, identified, profile, advisor)


def member_shares(c: Compiled, pop: Population) -> dict[str, list[float]]:
    """Per segment with a population: the share of its customers in each paid tier (for fee revenue)."""
    out = {}
    n_tiers = len(c.paid_tiers)
    for i, name in enumerate(c.segments):
        n = int(pop.size[i])
        if n > 0 and n_tiers:
            t = pop.tier[pop.offset[i]:pop.offset[i] + n]
            out[name] = [float((t == k).mean()) for k in range(1, n_tiers + 1)]
    return out
