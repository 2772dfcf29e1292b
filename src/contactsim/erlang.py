"""Analytic queueing formulas: the yardsticks the simulator is validated against and the seeds for staffing.

Notation used throughout: arrival rate ``lam`` (λ, per second), service rate ``mu`` (μ = 1 / mean handle
time), ``c`` agents, offered load ``a = λ/μ`` (Erlangs), patience rate ``theta`` (θ = 1 / mean patience),
service-level threshold ``target_s`` (seconds). All rates must use the same time unit; the results that are
times (``asa_s``) come out in that unit.

Everything here is pure numpy/scipy and exact up to floating point (Erlang A truncates a tail whose mass is
below ``1e-14``), so tests can compare simulated estimates against these numbers with tight tolerances.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse, special
from scipy.sparse.linalg import expm_multiply

__all__ = [
    "ErlangAResult",
    "MMCResult",
    "erlang_a_metrics",
    "erlang_b",
    "erlang_c",
    "min_agents_for_service_level",
    "mmc_metrics",
    "mmc_priority_waits",
    "square_root_staffing",
]

_TAIL_TOL = 1e-14
"""Erlang A truncation: the neglected stationary tail mass is below this (relative to the total)."""
_MAX_QUEUE = 100_000
"""Erlang A truncation cap on the number of queue places represented."""


def _agents(c: int) -> int:
    c = operator.index(c)
    if c < 0:
        raise ValueError(f"number of agents must be >= 0, got {c}")
    return c


def _non_negative(name: str, value: float) -> float:
    value = float(value)
    if not value >= 0.0 or math.isnan(value):
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return value


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not value > 0.0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------------------------------------


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B) with offered load ``a`` Erlangs.

    B(c, a) = (a^c / c!) / sum_{k=0..c} a^k / k!, evaluated with the recursion
    B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)). Every step stays in [0, 1], so it neither overflows nor
    cancels, unlike the factorial sums, for any c and a.
    """
    c = _agents(c)
    a = _non_negative("offered load a", a)
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def _erlang_c_from_b(c: int, a: float, b: float) -> float:
    # C = c·B / (c - a·(1 - B)), valid for a < c.
    return c * b / (c - a * (1.0 - b))


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c (Erlang C) with offered load ``a = λ/μ`` Erlangs.

    C(c, a) = c·B(c, a) / (c - a·(1 - B(c, a))), from the stable Erlang B recursion. By PASTA this is also
    the long-run share of time all agents are busy. Returns 1.0 when ``a >= c``: the queue is unstable and
    every arrival eventually waits.
    """
    c = _agents(c)
    a = _non_negative("offered load a", a)
    if a >= c:
        return 1.0
    return _erlang_c_from_b(c, a, erlang_b(c, a))


@dataclass(frozen=True)
class MMCResult:
    """Steady-state M/M/c (Erlang C) performance."""

    p_wait: float
    """P(W > 0) = C(c, a)."""
    asa_s: float
    """Mean wait of all arrivals, E[W] = C / (cμ - λ)."""
    service_level: float
    """P(W <= target_s) = 1 - C·exp(-(cμ - λ)·target_s)."""
    occupancy: float
    """Agent utilisation ρ = a / c (1.0 when unstable)."""


def mmc_metrics(lam: float, mu: float, c: int, target_s: float) -> MMCResult:
    """Erlang C metrics of an M/M/c queue with infinite patience.

    The wait of an arrival that finds all c agents busy is exponential with rate cμ - λ (the queue drains at
    the total service rate minus the arrival rate), so E[W] = C/(cμ - λ) and
    P(W <= t) = 1 - C·exp(-(cμ - λ)·t). When λ >= cμ the queue grows without bound: p_wait = 1,
    asa_s = inf, service_level = 0, occupancy = 1.
    """
    lam = _non_negative("lam", lam)
    mu = _positive("mu", mu)
    c = _agents(c)
    if c < 1:
        raise ValueError("mmc_metrics needs at least one agent")
    target_s = _non_negative("target_s", target_s)
    a = lam / mu
    if a >= c:
        return MMCResult(p_wait=1.0, asa_s=math.inf, service_level=0.0, occupancy=1.0)
    p_wait = erlang_c(c, a)
    drain = c * mu - lam
    return MMCResult(
        p_wait=p_wait,
        asa_s=p_wait / drain,
        service_level=1.0 - p_wait * math.exp(-drain * target_s),
        occupancy=a / c,
    )


# --------------------------------------------------------------------------------------------------------
# Erlang A (M/M/c+M)
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErlangAResult:
    """Steady-state M/M/c+M (Erlang A) performance; every share is of *all* arrivals unless named otherwise."""

    p_wait: float
    """P(an arrival finds all agents busy) = P(N >= c) (PASTA)."""
    p_abandon: float
    """P(an arrival abandons) = θ·E[Q] / λ."""
    asa_s: float
    """Mean time in queue of all arrivals, including zero waits and those who abandon: E[Q] / λ (Little)."""
    service_level: float
    """P(answered and W <= target_s) over all arrivals; abandoners never count as answered."""
    p_abandon_given_wait: float
    """P(abandon | had to wait) = p_abandon / p_wait."""
    occupancy: float
    """Agent utilisation: carried load over agents, λ·(1 - p_abandon) / (cμ) = E[busy agents] / c."""


def _erlang_a_distribution(lam: float, mu: float, c: int, theta: float) -> tuple[float, np.ndarray]:
    """Stationary law of the Erlang A birth–death chain.

    Returns ``(P(N < c), q)`` where ``q[k] = P(N = c + k)`` for k = 0..K. Birth rate λ everywhere; death
    rate nμ for n <= c and cμ + (n - c)θ above. So π_n ∝ a^n / n! for n <= c and
    π_{c+k} = π_c · Π_{j=1..k} λ / (cμ + jθ). Computed in log space (no overflow at c ~ 500+) and truncated
    at the first K where the ratio λ/(cμ + (K+1)θ) < 1 and the geometric bound on the rest of the tail,
    π_{c+K}·r/(1 - r), is below 1e-14 of the total.
    """
    a = lam / mu
    n = np.arange(c + 1, dtype=float)
    log_head = n * math.log(a) - special.gammaln(n + 1.0)  # n = 0..c
    c_mu = c * mu
    log_lam = math.log(lam)
    # Past j_star the ratios λ/(cμ + jθ) are < 1, so terms decrease from there on.
    j_star = max(0, math.ceil((lam - c_mu) / theta))
    spread = math.sqrt(lam / theta) if theta > 0 else 0.0
    n_queue = min(_MAX_QUEUE, j_star + max(64, math.ceil(10.0 * spread)))
    log_tol = math.log(_TAIL_TOL)
    while True:
        j = np.arange(1, n_queue + 1, dtype=float)
        log_q = np.empty(n_queue + 1)
        log_q[0] = log_head[c]
        log_q[1:] = log_head[c] + np.cumsum(log_lam - np.log(c_mu + j * theta))
        log_total = float(special.logsumexp(np.concatenate((log_head[:c], log_q))))
        r_next = lam / (c_mu + (n_queue + 1) * theta)
        if r_next < 1.0:
            log_tail = log_q[-1] + math.log(r_next) - math.log1p(-r_next)
            if log_tail - log_total < log_tol:
                break
        if n_queue >= _MAX_QUEUE:
            raise ValueError(
                f"Erlang A queue tail not negligible within {_MAX_QUEUE} places "
                f"(lam={lam}, mu={mu}, c={c}, theta={theta}): patience rate too small for this overload"
            )
        n_queue = min(_MAX_QUEUE, 2 * n_queue)
    p_below = float(np.exp(special.logsumexp(log_head[:c]) - log_total)) if c > 0 else 0.0
    return p_below, np.exp(log_q - log_total)


_PATIENT_PAST = 50.0
"""θ·t beyond which the answered-within-t mass equals the t = inf one to far below double precision."""


def _answered_within(q: np.ndarray, c_mu: float, theta: float, t: float) -> float:
    """Mass of arrivals that find all agents busy and are answered within ``t``: sum_k q[k]·P_k(t).

    A tagged arrival with k customers ahead sees the number ahead, j, fall by one at rate cμ + jθ (a
    service completion or an abandonment ahead; FCFS, so those behind never matter) and reaches an agent
    from j = 0 at rate cμ; its own patience, Exp(θ) and independent, competes throughout. That is an
    absorbing CTMC on j = k..0 with exit rate cμ + (j+1)θ from state j. Rather than solving one chain per
    k, the arrival-weighted mixture q is pushed forward once: x' = A x with an absorbing "answered" state,
    x(t) = expm(A t) x(0), via scipy's expm_multiply on the sparse bidiagonal generator.
    P(answered by t) = x_answered(t). For t = inf the answer is closed form,
    P_k(inf) = prod_{j=0..k} (cμ + jθ) / (cμ + (j+1)θ).
    """
    n = q.size
    down = c_mu + theta * np.arange(n, dtype=float)  # rate j -> j-1 (or -> answered from j = 0)
    if math.isinf(t) or theta * t > _PATIENT_PAST:
        # answered after t needs patience beyond t: P <= exp(-θt) < 2e-22, far below a double's resolution of a
        # probability, so the closed form for t = inf is the answer (and a target of hours, e.g. e-mail's,
        # would cost expm_multiply some θt·n steps)
        return float(np.dot(q, np.cumprod(down / (down + theta))))
    if t == 0.0 or n == 0:
        return 0.0
    exit_rate = down + theta
    rows = np.concatenate((np.arange(n), np.arange(n - 1), [n]))
    cols = np.concatenate((np.arange(n), np.arange(1, n), [0]))
    vals = np.concatenate((-exit_rate, down[1:], [c_mu])) * t
    gen = sparse.csc_matrix((vals, (rows, cols)), shape=(n + 1, n + 1))
    x0 = np.concatenate((q, [0.0]))
    x = expm_multiply(gen, x0)
    return float(min(max(x[-1], 0.0), q.sum()))


def erlang_a_metrics(lam: float, mu: float, c: int, theta: float, target_s: float) -> ErlangAResult:
    """Exact steady-state metrics of M/M/c+M (Erlang A, Palm 1957; Garnett, Mandelbaum & Reiman 2002).

    From the birth–death stationary law π (see ``_erlang_a_distribution``) and PASTA:
    p_wait = P(N >= c); E[Q] = sum_k k·π_{c+k}; abandonments happen at rate θ·E[Q], so
    p_abandon = θ·E[Q]/λ; Little's law on the queue gives the mean wait of all arrivals, E[Q]/λ.
    service_level = P(N < c) + sum_k π_{c+k}·P(answered within target_s | k ahead), the second factor from
    the tagged-customer chain (see ``_answered_within``). ``target_s = inf`` gives 1 - p_abandon.

    ``theta = 0`` means infinite patience and reduces to Erlang C (``mmc_metrics``). Works for c in the
    hundreds and for overload (λ > cμ is stable whenever θ > 0).
    """
    lam = _non_negative("lam", lam)
    mu = _positive("mu", mu)
    c = _agents(c)
    theta = _non_negative("theta", theta)
    if math.isinf(theta):
        raise ValueError("theta must be finite")
    target_s = _non_negative("target_s", target_s)
    if theta == 0.0:
        if c < 1:
            raise ValueError("Erlang A with theta = 0 needs at least one agent")
        mmc = mmc_metrics(lam, mu, c, target_s)
        return ErlangAResult(
            p_wait=mmc.p_wait,
            p_abandon=0.0,
            asa_s=mmc.asa_s,
            service_level=mmc.service_level,
            p_abandon_given_wait=0.0,
            occupancy=mmc.occupancy,
        )
    if lam == 0.0:
        return ErlangAResult(
            p_wait=0.0, p_abandon=0.0, asa_s=0.0, service_level=1.0, p_abandon_given_wait=0.0, occupancy=0.0
        )
    p_below, q = _erlang_a_distribution(lam, mu, c, theta)
    p_wait = float(q.sum())
    mean_queue = float(np.dot(np.arange(q.size, dtype=float), q))
    p_abandon = theta * mean_queue / lam
    answered_late_ok = _answered_within(q, c * mu, theta, target_s) if c > 0 else 0.0
    service_level = min(1.0, p_below + answered_late_ok)
    return ErlangAResult(
        p_wait=p_wait,
        p_abandon=p_abandon,
        asa_s=mean_queue / lam,
        service_level=service_level,
        p_abandon_given_wait=p_abandon / p_wait if p_wait > 0.0 else 0.0,
        occupancy=lam * (1.0 - p_abandon) / (c * mu) if c > 0 else 0.0,
    )


# --------------------------------------------------------------------------------------------------------
# Priorities
# --------------------------------------------------------------------------------------------------------


def mmc_priority_waits(lams: Sequence[float], mu: float, c: int) -> list[float]:
    """Mean queue wait per class in a non-preemptive priority M/M/c, class 0 highest, one common μ.

    W_k = (C(c, a) / (cμ)) / ((1 - σ_{k-1})(1 - σ_k)),  σ_k = sum_{i<=k} λ_i / (cμ),  σ_{-1} = 0,
    with C the Erlang C probability at the total load a = sum λ_i / μ (Cobham 1954; Kleinrock, Queueing
    Systems Vol. II, 1976, §3.7). The numerator is the mean residual work an arrival must see cleared
    before any agent frees (all agents busy w.p. C, next completion after Exp(cμ)); the denominators
    inflate it for the higher-priority work already queued and arriving meanwhile. The λ-weighted mean of
    the W_k equals the FCFS Erlang C wait C/(cμ - λ) (work conservation). A class with σ_k >= 1, and every
    class below it, gets ``inf``; classes above stay finite even when the total load is >= c.
    """
    mu = _positive("mu", mu)
    c = _agents(c)
    if c < 1:
        raise ValueError("mmc_priority_waits needs at least one agent")
    rates = [_non_negative(f"lams[{i}]", x) for i, x in enumerate(lams)]
    if not rates:
        return []
    capacity = c * mu
    base = erlang_c(c, sum(rates) / mu) / capacity
    waits: list[float] = []
    sigma_prev = 0.0
    cum = 0.0
    for lam_k in rates:
        cum += lam_k
        sigma = cum / capacity
        if sigma >= 1.0:
            waits.append(math.inf)
        else:
            waits.append(base / ((1.0 - sigma_prev) * (1.0 - sigma)))
        sigma_prev = sigma
    return waits


# --------------------------------------------------------------------------------------------------------
# Staffing
# --------------------------------------------------------------------------------------------------------


def square_root_staffing(lam: float, mu: float, beta: float) -> int:
    """Halfin–Whitt square-root staffing: c = ceil(a + β·sqrt(a)), a = λ/μ.

    The safety margin grows with sqrt(a) because Poisson load fluctuations do; β fixes the quality regime
    (P(wait) tends to a constant depending only on β). A 1e-9 relative slack keeps exact integers from being
    rounded up by floating-point noise. Never below 0.
    """
    lam = _non_negative("lam", lam)
    mu = _positive("mu", mu)
    a = lam / mu
    x = a + float(beta) * math.sqrt(a)
    return max(0, math.ceil(x - 1e-9 * max(1.0, abs(x))))


def min_agents_for_service_level(
    lam: float, mu: float, target_s: float, sl_target: float, theta: float | None = None
) -> int:
    """Smallest c whose steady-state service level P(answered within target_s) reaches ``sl_target``.

    ``theta is None`` uses Erlang C and scans upward from ceil(a) (c <= a is unstable, SL = 0), stepping
    the Erlang B recursion one agent at a time. With ``theta`` it uses Erlang A, which is stable for any
    c >= 1; its service level is nondecreasing in c, so a doubling-then-bisection search from 1 returns the
    same c as an upward scan from 1, in O(log c) Erlang A evaluations. ``sl_target`` must lie in (0, 1)
    (no finite c answers 100 % within the target).
    """
    lam = _non_negative("lam", lam)
    mu = _positive("mu", mu)
    target_s = _non_negative("target_s", target_s)
    sl_target = float(sl_target)
    if not 0.0 < sl_target < 1.0:
        raise ValueError(f"sl_target must lie strictly between 0 and 1, got {sl_target!r}")
    if lam == 0.0:
        return 0
    a = lam / mu
    limit = math.ceil(a + 50.0 * math.sqrt(a) + 100.0)

    if theta is None:
        c = max(1, math.ceil(a))
        b = erlang_b(c, a)
        while c <= limit:
            if a < c:
                wait = _erlang_c_from_b(c, a, b)
                if 1.0 - wait * math.exp(-(c * mu - lam) * target_s) >= sl_target:
                    return c
            c += 1
            b = a * b / (c + a * b)
        raise ValueError(f"no staffing up to {limit} agents reaches service level {sl_target}")

    theta = _non_negative("theta", theta)

    def ok(c: int) -> bool:
        return erlang_a_metrics(lam, mu, c, theta, target_s).service_level >= sl_target

    lo, hi = 0, max(1, math.ceil(a))  # SL(0) = 0 < sl_target, so lo always fails
    while not ok(hi):
        lo = hi
        if hi >= limit:
            raise ValueError(f"no staffing up to {limit} agents reaches service level {sl_target}")
        hi = min(limit, 2 * hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi
