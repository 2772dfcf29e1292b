"""What happens to a need after one of its contacts: follow-up rules that return actions.

Each rule looks at a finished contact and returns what should happen next — a ``FollowUp`` (a retrial or
repeat contact of the same need at a time, with that contact's own uniforms), a ``Complaint`` (webcare) — or
``None``; it never calls the engine back. The engine acts on the action (opening hours, the drain's end,
drawing the new contact's patience and handle time). Uniforms come from the need's key
(``rng.keyed_uniforms``), so a follow-up is the same customer behaviour in every scenario run with the same
seed (common random numbers). Unit-tested without SimPy in tests/unit/test_follow_ups.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contactsim.contact import OUTREACH, REPEAT, RETRIAL, UNRESOLVED, Contact
from contactsim.rng import keyed_uniforms
from contactsim.scenario.compiled import Compiled

N_FOLLOW_UP_U = 10
"""Uniforms per follow-up contact: delay, opening spread, patience, handle, then the contact's own five
(resolution, retrial, after-contact work, complaint, callback acceptance), then the go/no-go of a repeat."""
WEBCARE_INDEX, OUTREACH_INDEX = 1000, 2000
"""Follow-up indices of a need's webcare case and outreach contact in its keyed uniforms."""


@dataclass(slots=True)
class FollowUp:
    """Another contact of the same need: a retrial or a repeat, wanted at ``at`` (before opening hours)."""

    kind: int
    at: float
    u: list[float]
    """The follow-up's own uniforms (see ``N_FOLLOW_UP_U``)."""


@dataclass(slots=True)
class Complaint:
    """The need ends in a social-media complaint; with a webcare pool, a case for it ``delay_s`` later."""

    handle_s: float | None
    u: list[float]
    delay_s: float = 600.0


class Retrial:
    """A customer who abandons tries again after a delay, up to ``max_attempts`` contacts per episode
    (an episode ends when a contact is answered); the retrial decision uses the contact's own uniform."""

    def __init__(self, c: Compiled) -> None:
        self.rules = list(c.rules.retrial)
        self.delay = list(c.rules.retrial_delay)

    def after_abandon(self, ct: Contact, now: float) -> FollowUp | None:
        rule = self.rules[ct.seg]
        if rule is None or ct.retr + 1 >= rule.max_attempts or ct.us[1] >= rule.probability:
            return None
        u = keyed_uniforms(ct.key, ct.attempt + 1, N_FOLLOW_UP_U)
        return FollowUp(RETRIAL, now + self.delay[ct.seg].ppf_one(u[0]), u)


class Repeat:
    """A handled contact that did not resolve the need brings a repeat contact, up to ``max_repeats``."""

    def __init__(self, c: Compiled) -> None:
        self.rules = list(c.rules.repeat)
        self.delay = list(c.rules.repeat_delay)

    def after_unresolved(self, ct: Contact, end: float) -> FollowUp | None:
        rule = self.rules[ct.rea]
        if ct.rep >= rule.max_repeats:
            return None
        if keyed_uniforms(ct.key, ct.attempt + 1, 1, first=N_FOLLOW_UP_U)[0] >= rule.probability:
            return None  # the go/no-go alone (the last of the follow-up's numbers): most unresolved needs stop here
        u = keyed_uniforms(ct.key, ct.attempt + 1, N_FOLLOW_UP_U)
        return FollowUp(REPEAT, end + self.delay[ct.rea].ppf_one(u[0]), u)


class Webcare:
    """An unresolved or abandoned need turns into a complaint with a probability; the webcare pool (if
    any) gets a case for it."""

    def __init__(self, c: Compiled) -> None:
        self.wc = c.rules.webcare
        self.pool = c.rules.webcare_pool
        self.handle = c.rules.webcare_handle

    def after_final(self, ct: Contact, final: int) -> Complaint | None:
        wc = self.wc
        if wc is None:
            return None
        p = wc.complaint_probability_unresolved if final == UNRESOLVED else wc.complaint_probability_abandoned
        if ct.us[3] >= p:
            return None
        u = keyed_uniforms(ct.key, WEBCARE_INDEX, 6)
        return Complaint(self.handle.ppf_one(u[0]) if self.handle is not None else None, u[1:6])


class Callback:
    """Offer a callback when the first-choice pool's predicted wait exceeds the limit and the call can be
    made before the callback hours containing the offer end; an accepting customer keeps its place."""

    def __init__(self, c: Compiled, close_at: list) -> None:
        cb = c.rules.callback
        self.channels = set(c.rules.callback_channels)
        self.limit = cb.offer_when_wait_exceeds_s if cb else math.inf
        self.accept = cb.acceptance if cb else 0.0
        self.close_at = close_at

    def offer(self, ct: Contact, predicted_wait_s: float, now: float) -> bool:
        return (ct.ch in self.channels and ct.kind != OUTREACH and predicted_wait_s > self.limit
                and ct.us[4] < self.accept and now + predicted_wait_s < self.close_at[ct.ch](now))


class Misroute:
    """A contact the IVR misrouted talks ``transfer_s`` with the wrong agent, then queues again (a new leg)."""

    def __init__(self, c: Compiled) -> None:
        ivr = c.rules.ivr
        self.transfer_s = ivr.transfer_time_s if ivr else 0.0

    def transfer(self, ct: Contact) -> float | None:
        """Seconds of talk with the wrong agent, or None if this contact was routed right."""
        if not ct.misroute:
            return None
        ct.misroute = False
        return self.transfer_s
