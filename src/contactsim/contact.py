"""The contact vocabulary: a contact in the system, its states, kinds and outcomes, and a need's final states.

Declared once here; the engine, the queue disciplines and the follow-up rules all speak it, and the
records carry the same codes (``OUTCOME_NAMES``, ``KIND_NAMES``).
"""

from __future__ import annotations

import math

# contact states / outcomes
WAITING, SERVED, ABANDONED, UNSERVED, PENDING = 0, 1, 2, 3, 4
OUTCOME_NAMES = ("handled", "abandoned", "unserved")
"""A finished contact's outcome in the records; ``OUTCOME_OF_STATE[state]`` maps the engine's state."""
OUTCOME_OF_STATE = {SERVED: 0, ABANDONED: 1, UNSERVED: 2}
# contact kinds
FIRST, RETRIAL, REPEAT, OUTREACH, WEBCARE, ESCALATION = 0, 1, 2, 3, 4, 5
KIND_NAMES = ("first", "retrial", "repeat", "outreach", "webcare", "escalation")
# final state of an assisted need
RESOLVED, UNRESOLVED, NEED_ABANDONED, NEED_UNSERVED, NEED_CENSORED = 10, 11, 12, 13, 14
SWITCH_INDEX, ESCALATION_INDEX = 3000, 4000
"""Plus the contact number: keyed-uniform indices of a follow-up's channel switch and of a contact's
escalation (``rng.keyed_uniforms``; the follow-up rules use 1.. and 1000/2000)."""


class Contact:
    """One contact attempt while it is in the system (inputs fixed at birth, outputs filled in).

    Hot fields are slots; rarely changed ones (IVR, misroutes, callbacks, forced pools) live in an
    instance dict created only when one is set, with class-level defaults — creating a contact is
    the single most frequent thing the engine does.
    """

    __slots__ = (
        "__dict__",
        "acw",
        "acw0",
        "agent",
        "ans",
        "arr",
        "attempt",
        "ch",
        "deadline",
        "end",
        "handle",
        "hdl",
        "id",
        "info",
        "key",
        "kind",
        "leg",
        "need",
        "pat",
        "pool",
        "prem",
        "queued_in",
        "rea",
        "rep",
        "res",
        "retr",
        "route",
        "seg",
        "state",
        "us",
        "wait",
    )
    misroute = False
    ivr = 0.0
    transfers = 0
    callback = False
    advisor = -1
    """The customer's account manager (an agent number of the advisors' pool); -1 for none."""
    balked = False
    """Found its pool's queue full (``queue_cap``) and left at once."""
    escalated = False
    """Handed by a first line to a second line (``pools.*.escalation``)."""
    queued_at0 = math.nan
    wait_before = 0.0
    xfer_pool = -1
    xfer_at = math.nan
    xfer_s = 0.0
    work = 0.0
    """Talk work left, in seconds at full speed (chats shared by one agent)."""
    ver = 0
    """Version of a shared chat's scheduled end: rescheduling makes older end events stale."""

    def __init__(self, cid: int, need: int, seg: int, rea: int, ch: int, arr: float, pat: float, hdl: float,
                 kind: int, attempt: int, prem: int, us: tuple[float, float, float, float, float],
                 info: tuple[float, int, bool, int, bool], route: list[tuple[int, float]],
                 acw0: float = math.nan, key: int = 0, retr: int = 0, rep: int = 0) -> None:
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
        """Contact number within its need (1 = first contact): every earlier contact is an effort step."""
        self.retr = retr
        """Retrials since the need's last answered contact (the retrial budget, ``max_attempts`` - 1)."""
        self.rep = rep
        """Repeat contacts of the need so far (the repeat budget, ``max_repeats``)."""
        self.prem = prem
        """Routing profile (``scenario.compiled.Profiles``): identified or not, paid tier, attribute tests."""
        self.us = us
        """Uniforms: first-contact resolution, retrial, after-contact work, complaint, callback acceptance."""
        self.info = info
        """The need's arrival time, funnel level, tried self-service, channel fit, ignored-steering effort."""
        self.route = route
        """Pools that may serve it, first choice first, with the wait after which each joins."""
        self.acw0 = acw0
        """After-contact work if served by the first-choice pool (drawn in bulk at birth)."""
        self.key = key
        """The need's key for its follow-ups' own uniforms (``rng.keyed_uniforms``)."""
        self.state = PENDING
        self.leg = 0
        """Queue leg: 1 on first queueing, +1 at each requeue; a timer or heap entry of an older leg is stale."""
        self.queued_in: list[int] | None = None

    def not_served(self, state: int, wait: float = math.nan, end: float = math.nan) -> None:
        """Fill the outcome fields of a contact that no agent answered."""
        self.state = state
        self.ans = math.nan
        self.end = end
        self.wait = wait
        self.handle = math.nan
        self.acw = 0.0
        self.pool = -1
        self.agent = -1
        self.res = False
