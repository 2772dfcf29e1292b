"""The FCFS multi-server recursion with abandonment, vectorised across replications.

Why: a plain FCFS pool (one queue, identical agents, no follow-ups) needs no event list. Take the
contacts in arrival order; the earliest moment an agent is free, once the earlier contacts are placed,
is when this contact would be answered. It is served iff that moment is within its patience (a wait that
reaches patience exactly is served: the engine's tie rule); an abandoner takes no agent and changes
nothing. That is exact, not an approximation, and every step is a few array operations over
replications (state ``free[r, agent]``), so R replications cost about one Python loop over the contacts.

It reproduces the event engine's arithmetic (an agent is free at ``answered + (handle + acw)``, an
abandoner leaves at ``arrival + patience``, still waiting at ``end_at`` means unserved), so on the same
draws both give the same outcome and wait to the last bit (tests/unit/test_fcfs_recursion.py). Staffing
is constant: with staffing that changes by interval the engine sends home the agents of the oldest
group, idle ones first, and which agents of which group are idle depends on which idle agent the engine
happened to pick earlier; no recursion reproduces that choice, so it is left out rather than approximated.

Imports numpy and the outcome vocabulary only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from contactsim.contact import OUTCOME_NAMES

HANDLED, ABANDONED, UNSERVED = (OUTCOME_NAMES.index(n) for n in ("handled", "abandoned", "unserved"))
"""Outcome codes, the records' (``contact.OUTCOME_NAMES``)."""

Rows = np.ndarray | Sequence[np.ndarray]
"""Per-replication values: a 2-D array (replication x contact, padded with NaN) or one 1-D array each."""


@dataclass(frozen=True)
class FcfsResult:
    """Per replication x contact (arrival order); padding positions (``~valid``) hold NaN / -1."""

    valid: np.ndarray
    """True where a contact exists (replications may have different numbers of contacts)."""
    outcome: np.ndarray
    """int8: ``HANDLED``, ``ABANDONED`` or ``UNSERVED`` (still waiting at ``end_at``); -1 for padding."""
    wait_s: np.ndarray
    """Time to answer, or to abandon; NaN when unserved."""
    answered_at: np.ndarray
    """NaN unless handled."""
    free_at: np.ndarray
    """When the agent that answered is free again (answered + handle + acw); NaN unless handled."""

    @property
    def handled(self) -> np.ndarray:
        return self.outcome == HANDLED

    @property
    def abandoned(self) -> np.ndarray:
        return self.outcome == ABANDONED


def _rows(x: Rows, name: str, fill: float) -> np.ndarray:
    """(R, N) floats from a 2-D array, one 1-D array (one replication) or ragged rows (padded with ``fill``)."""
    try:
        arr = np.asarray(x, dtype=float)
    except ValueError:  # ragged: replications of different lengths
        arr = None
    if arr is not None and arr.ndim in (1, 2):
        return arr if arr.ndim == 2 else arr[None, :]
    if arr is not None:
        raise ValueError(f"{name}: expected replications x contacts (2-D), got {arr.ndim}-D")
    rows = [np.asarray(r, dtype=float).ravel() for r in x]
    n = max((r.size for r in rows), default=0)
    out = np.full((len(rows), n), fill)
    for i, r in enumerate(rows):
        out[i, : r.size] = r
    if not rows:
        raise ValueError(f"{name}: no replications given")
    return out


def simulate_fcfs(arrival_at: Rows, patience_s: Rows, handle_s: Rows, agents: int, acw_s: Rows | None = None,
                  end_at: float = math.inf) -> FcfsResult:
    """Outcomes of an FCFS pool of ``agents`` identical agents for every replication at once.

    Args:
        arrival_at: arrival instants, non-decreasing within a replication (equal instants: array order,
            as the engine's contact ids); shape (R, N) padded with NaN, or R 1-D arrays.
        patience_s: patience of each contact (``inf``: never abandons); same shape.
        handle_s: talk time of each contact; same shape.
        agents: agents on duty throughout (at least 1).
        acw_s: after-contact work (agent time after the talk); default none.
        end_at: end of the run: a contact not answered by then, and not past its patience before it, is
            unserved (the engine's end of the drain).

    Returns:
        An :class:`FcfsResult` of (R, N) arrays.
    """
    if isinstance(agents, bool) or not float(agents).is_integer() or agents < 1:
        raise ValueError(f"agents must be a whole number >= 1, got {agents!r}")
    c = int(agents)
    a = _rows(arrival_at, "arrival_at", math.nan)
    p = _rows(patience_s, "patience_s", math.nan)
    h = _rows(handle_s, "handle_s", math.nan)
    busy = h if acw_s is None else h + _rows(acw_s, "acw_s", math.nan)  # the engine's handle + acw
    if not (a.shape == p.shape == busy.shape):
        raise ValueError(f"arrival_at, patience_s, handle_s (and acw_s) must have the same shape per replication: "
                         f"{a.shape}, {p.shape}, {busy.shape}")
    valid = ~np.isnan(a)
    if np.isnan(p[valid]).any() or np.isnan(busy[valid]).any():
        raise ValueError("patience_s, handle_s and acw_s need a value for every contact (NaN found)")
    if (p[valid] < 0).any() or (busy[valid] < 0).any():
        raise ValueError("patience_s, handle_s and acw_s must be >= 0")
    if np.isinf(a[valid]).any() or np.isinf(busy[valid]).any():
        raise ValueError("arrival_at, handle_s and acw_s must be finite")
    # padding must come last, and arrivals must be in order
    if (valid[:, 1:] & ~valid[:, :-1]).any():
        raise ValueError("arrival_at: padding (NaN) only after a replication's last contact")
    steps = np.diff(a, axis=1)
    if (steps[valid[:, 1:]] < 0).any():
        raise ValueError("arrival_at must be non-decreasing within each replication (FCFS order)")
    R, N = a.shape
    deadline = a + p  # as the engine computes it; NaN on padding, so padding is never served
    # contact-major copies: step i reads and writes one contiguous row of R values
    a_t, d_t, b_t = (np.ascontiguousarray(x.T) for x in (a, deadline, busy))
    free = np.full(R * c, -math.inf)  # free[r * c + agent]: when that agent is free
    free2 = free.reshape(R, c)
    base = np.arange(R) * c
    start_t = np.empty((N, R))
    served_t = np.empty((N, R), dtype=bool)
    slot, earliest, s, nxt = np.empty(R, dtype=np.intp), np.empty(R), np.empty(R), np.empty(R)
    late = np.empty(R, dtype=bool)
    finite_end = end_at != math.inf
    argmin, add, take, maximum, less_equal, where = np.argmin, np.add, np.take, np.maximum, np.less_equal, np.where
    for i in range(N):
        argmin(free2, axis=1, out=slot)
        add(slot, base, out=slot)
        take(free, slot, out=earliest)
        maximum(a_t[i], earliest, out=s)
        ok = served_t[i]
        less_equal(s, d_t[i], out=ok)  # the engine abandons only when deadline < now: a tie is served
        if finite_end:
            less_equal(s, end_at, out=late)
            ok &= late
        add(s, b_t[i], out=nxt)  # the engine's release: answered + (handle + acw)
        free[slot] = where(ok, nxt, earliest)
        start_t[i] = s
    start, served = start_t.T, served_t.T
    abandoned = valid & ~served & (deadline < end_at)
    outcome = np.full((R, N), -1, dtype=np.int8)
    outcome[valid] = UNSERVED
    outcome[abandoned] = ABANDONED
    outcome[served] = HANDLED
    answered = np.where(served, start, math.nan)
    wait = np.where(served, start - a, np.where(abandoned, deadline - a, math.nan))
    return FcfsResult(valid=valid, outcome=outcome, wait_s=wait, answered_at=answered,
                      free_at=np.where(served, start + busy, math.nan))
