"""Omnichannel behaviour of follow-up contacts and full queues (seed 002: customers combine channels;
"all our chat agents are busy").

* :class:`ChannelSwitch` -- a retrial or repeat moves to another channel with the segment's probability
  for the channel just used, chosen by the customer's preferences for the reason without that channel.
* :class:`FollowUpFactors` -- the segment's handle-time factor and its patience by hour of day, applied
  to follow-up contacts as the funnel applies them to first contacts.
* :class:`QueueCaps` -- per pool, the most contacts that may wait; an arrival that finds the queue of its
  first-choice pool full balks.

Pure rules built once from the compiled scenario (policy units like the follow-up rules of
``followups.py``); the engine asks them and acts. Issue 16.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from contactsim.scenario.compiled import Compiled
from contactsim.scenario.timespec import hour_of_day


@dataclass(frozen=True)
class ChannelSwitch:
    probability: list[list[float]]
    """[segment][channel]: probability a follow-up after a contact on the channel switches."""
    weights: list[list[list[float]]]
    """[segment][reason][channel]: preference weights of the channels a follow-up may switch to."""

    def choose(self, seg: int, rea: int, ch: int, u_switch: float, u_channel: float) -> int:
        """The channel of the follow-up: ``ch`` unless the customer switches (``u_switch`` below the
        probability); then another channel by preference (``u_channel``), if there is one."""
        if u_switch >= self.probability[seg][ch]:
            return ch
        w = self.weights[seg][rea]
        total = sum(x for k, x in enumerate(w) if k != ch)
        if total <= 0:
            return ch
        x = u_channel * total
        last = ch
        for k, wk in enumerate(w):
            if k == ch or wk <= 0:
                continue
            last = k
            x -= wk
            if x < 0:
                return k
        return last


def build_channel_switch(c: Compiled, usable: Callable[[int, int, int], bool]) -> ChannelSwitch | None:
    """None when no segment switches; ``usable(seg, rea, ch)`` says whether a contact can be served there
    (a handle time and a pool), so a switch never leads nowhere."""
    if c.rules.channel_switch is None:
        return None
    prob = [list(row) for row in c.rules.channel_switch]
    pref = c.reason_preference
    weights = [[[float(pref[i, j, k]) if usable(i, j, k) else 0.0 for k in range(len(c.channels))]
                for j in range(len(c.reasons))] for i in range(len(c.segments))]
    return ChannelSwitch(prob, weights)


@dataclass(frozen=True)
class FollowUpFactors:
    handle: list[float]
    """[segment] handle-time factor."""
    patience: list[list[float]] | None
    """[segment][hour of day] patience factor, or None when no segment varies it."""
    start_weekday: int

    def patience_at(self, seg: int, t: float) -> float:
        if self.patience is None:
            return 1.0
        return self.patience[seg][int(hour_of_day(t, self.start_weekday))]


def build_follow_up_factors(c: Compiled) -> FollowUpFactors:
    return FollowUpFactors(c.funnel.segment_handle_factor.tolist(), c.patience_by_hour,
                           c.start_weekday)


@dataclass(frozen=True)
class QueueCaps:
    cap: list[int | None]
    """[pool]: the most contacts that may wait for it (None: no cap)."""

    @property
    def any(self) -> bool:
        return any(x is not None for x in self.cap)

    def balks(self, pool: int, n_waiting: int) -> bool:
        """Does a contact whose first-choice pool is ``pool`` balk when ``n_waiting`` wait there?"""
        cap = self.cap[pool]
        return cap is not None and n_waiting >= cap


def build_queue_caps(c: Compiled) -> QueueCaps:
    return QueueCaps([p.queue_cap for p in c.pool_defs])
