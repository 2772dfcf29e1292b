"""Analytic queueing formulas against textbook values, closed forms and independent brute force."""

from __future__ import annotations

import math
import time
from collections import deque
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats

from contactsim.erlang import (
    ErlangAResult,
    MMCResult,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    min_agents_for_service_level,
    mmc_metrics,
    mmc_priority_waits,
    square_root_staffing,
)

# ------------------------------------------------------------------------------------------------ helpers


def _erlang_b_exact(c: int, a: Fraction) -> float:
    """Erlang B from its defining factorial sums in exact rational arithmetic."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return float(terms[-1] / sum(terms))


def _erlang_c_exact(c: int, a: Fraction) -> float:
    """Erlang C from its textbook closed form in exact rational arithmetic."""
    top = a**c / math.factorial(c) * Fraction(c) / (c - a)
    return float(top / (sum(a**k / math.factorial(k) for k in range(c)) + top))


def _brute_force_erlang_a(lam: float, mu: float, c: int, theta: float, n_max: int) -> np.ndarray:
    """Stationary law of M/M/c+M from a dense truncated generator, solved by linear algebra."""
    size = n_max + 1
    q = np.zeros((size, size))
    for n in range(size):
        if n < n_max:
            q[n, n + 1] = lam
        if n > 0:
            q[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        q[n, n] = -q[n].sum()
    # Solve pi Q = 0 with sum(pi) = 1 by replacing one balance equation with the normalisation.
    lhs = q.T.copy()
    lhs[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    return np.linalg.solve(lhs, rhs)


def _simulate_erlang_a(
    lam: float, mu: float, c: int, theta: float, target_s: float, n_arrivals: int, seed: int
) -> tuple[float, float, float]:
    """Independent FCFS M/M/c+M simulation: returns (P(wait), P(abandon), P(answered within target))."""
    rng = np.random.default_rng(seed)
    n_events = 4 * n_arrivals
    expo = rng.exponential(size=n_events)
    unif = rng.random(n_events)
    t = 0.0
    busy = 0
    queue: deque[float] = deque()  # arrival times of waiting customers, head first
    arrivals = waited = abandoned = answered_ok = 0
    warmup = n_arrivals // 20
    for i in range(n_events):
        n_q = len(queue)
        r_arr, r_srv, r_ab = lam, busy * mu, n_q * theta
        total = r_arr + r_srv + r_ab
        t += expo[i] / total
        u = unif[i] * total
        if u < r_arr:
            arrivals += 1
            counted = arrivals > warmup
            if busy < c:
                busy += 1
                answered_ok += counted
            else:
                waited += counted
                queue.append(t if counted else -t)  # negative time marks a warm-up customer
            if arrivals >= n_arrivals:
                break
        elif u < r_arr + r_srv:
            if queue:
                arrived = queue.popleft()
                if arrived >= 0 and t - arrived <= target_s:
                    answered_ok += 1
            else:
                busy -= 1
        else:
            # Memoryless patience: each waiting customer is equally likely to be the one who leaves.
            idx = min(int((u - r_arr - r_srv) / theta), n_q - 1)
            arrived = queue[idx]
            del queue[idx]
            abandoned += arrived >= 0
    counted_arrivals = arrivals - warmup
    return waited / counted_arrivals, abandoned / counted_arrivals, answered_ok / counted_arrivals


# ------------------------------------------------------------------------------------------------ Erlang B / C


@pytest.mark.parametrize(
    ("c", "a", "table"),
    [(1, 1.0, 0.5), (5, 2.0, 0.0367), (10, 5.0, 0.0184), (20, 15.0, 0.0456), (10, 8.0, 0.1217)],
)
def test_erlang_b_matches_tables(c: int, a: float, table: float) -> None:
    assert erlang_b(c, a) == pytest.approx(table, abs=5e-5)


@pytest.mark.parametrize(("c", "a"), [(1, 0.3), (3, 2.5), (7, 6.25), (12, 11.5), (25, 30.0), (40, 17.75)])
def test_erlang_b_and_c_match_exact_rational_formulas(c: int, a: float) -> None:
    exact_a = Fraction(a)
    assert erlang_b(c, a) == pytest.approx(_erlang_b_exact(c, exact_a), rel=1e-12)
    if a < c:
        assert erlang_c(c, a) == pytest.approx(_erlang_c_exact(c, exact_a), rel=1e-12)


def test_erlang_c_textbook_value_and_edges() -> None:
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)  # M/M/1: P(wait) = rho
    assert erlang_c(10, 10.0) == 1.0
    assert erlang_c(10, 12.0) == 1.0
    assert erlang_c(10, 0.0) == 0.0
    assert erlang_b(0, 3.0) == 1.0


def test_erlang_b_large_c_is_finite_and_monotone() -> None:
    values = [erlang_b(c, 900.0) for c in (800, 900, 1000, 5000)]
    assert all(0.0 < v < 1.0 for v in values[:3])
    assert values == sorted(values, reverse=True)
    assert 0.0 < erlang_c(1000, 900.0) < 1.0


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError):
        erlang_c(3, -0.5)
    with pytest.raises(ValueError):
        mmc_metrics(1.0, 0.0, 2, 10.0)
    with pytest.raises(TypeError):
        erlang_b(2.5, 1.0)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------ M/M/c


def test_mmc_metrics_formulas() -> None:
    lam, mu, c, t = 8.0 / 180.0, 1.0 / 180.0, 10, 20.0
    r = mmc_metrics(lam, mu, c, t)
    assert isinstance(r, MMCResult)
    assert r.p_wait == pytest.approx(0.40918015, rel=1e-7)
    assert r.asa_s == pytest.approx(r.p_wait / (c * mu - lam))
    assert r.service_level == pytest.approx(1.0 - r.p_wait * math.exp(-(c * mu - lam) * t))
    assert r.occupancy == pytest.approx(0.8)
    # At t = 0 the answered-immediately share is 1 - C.
    assert mmc_metrics(lam, mu, c, 0.0).service_level == pytest.approx(1.0 - r.p_wait)


def test_mmc_service_level_integrates_to_asa() -> None:
    # E[W] = integral of P(W > t) dt, so the SL curve and the ASA must agree.
    lam, mu, c = 3.2, 0.5, 8
    r = mmc_metrics(lam, mu, c, 0.0)
    tail, _ = integrate.quad(lambda t: 1.0 - mmc_metrics(lam, mu, c, t).service_level, 0.0, math.inf)
    assert tail == pytest.approx(r.asa_s, rel=1e-8)


def test_mmc_single_server_is_mm1() -> None:
    lam, mu, t = 0.6, 1.0, 2.0
    r = mmc_metrics(lam, mu, 1, t)
    rho = lam / mu
    assert r.asa_s == pytest.approx(rho / (mu - lam))
    assert r.service_level == pytest.approx(1.0 - rho * math.exp(-(mu - lam) * t))


def test_mmc_unstable() -> None:
    r = mmc_metrics(10.0, 1.0, 10, 5.0)
    assert (r.p_wait, r.asa_s, r.service_level, r.occupancy) == (1.0, math.inf, 0.0, 1.0)


# ------------------------------------------------------------------------------------------------ Erlang A


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta"),
    [(2.5, 1.0, 3, 0.7), (4.0, 1.0, 3, 2.0), (1.0, 0.5, 2, 0.05), (6.0, 1.0, 4, 0.3)],
)
def test_erlang_a_matches_brute_force_ctmc(lam: float, mu: float, c: int, theta: float) -> None:
    pi = _brute_force_erlang_a(lam, mu, c, theta, n_max=c + 400)
    n = np.arange(pi.size)
    mean_queue = float(np.dot(np.maximum(n - c, 0), pi))
    r = erlang_a_metrics(lam, mu, c, theta, 1.0)
    assert isinstance(r, ErlangAResult)
    assert r.p_wait == pytest.approx(pi[c:].sum(), rel=1e-9)
    assert r.p_abandon == pytest.approx(theta * mean_queue / lam, rel=1e-9)
    assert r.asa_s == pytest.approx(mean_queue / lam, rel=1e-9)
    assert r.p_abandon_given_wait == pytest.approx(r.p_abandon / r.p_wait)
    busy = float(np.dot(np.minimum(n, c), pi))
    assert r.occupancy == pytest.approx(busy / c, rel=1e-9)


def test_erlang_a_service_level_matches_simulation() -> None:
    lam, mu, c, theta, t = 2.5, 1.0, 3, 0.7, 0.5
    r = erlang_a_metrics(lam, mu, c, theta, t)
    p_wait, p_ab, sl = _simulate_erlang_a(lam, mu, c, theta, t, n_arrivals=100_000, seed=7)
    assert p_wait == pytest.approx(r.p_wait, abs=0.015)
    assert p_ab == pytest.approx(r.p_abandon, abs=0.01)
    assert sl == pytest.approx(r.service_level, abs=0.015)


def test_erlang_a_service_level_matches_per_state_hypoexponential() -> None:
    # Independent of expm_multiply: with k ahead the time to reach an agent is a sum of Exp(c*mu + j*theta),
    # j = 0..k; P(answered by t) = E[exp(-theta T) 1{T <= t}], which for distinct rates has the closed form
    # sum_j w_j r_j/(r_j + theta) (1 - exp(-(r_j + theta) t)). Few queue states matter here, so no cancellation.
    lam, mu, c, theta, t = 1.5, 1.0, 3, 1.3, 0.8
    pi = _brute_force_erlang_a(lam, mu, c, theta, n_max=c + 60)
    answered = pi[:c].sum()
    for k in range(pi.size - c):
        rates = c * mu + theta * np.arange(k + 1)
        prob = 0.0
        for j, r_j in enumerate(rates):
            others = np.delete(rates, j)
            w_j = float(np.prod(others / (others - r_j)))
            prob += w_j * r_j / (r_j + theta) * (1.0 - math.exp(-(r_j + theta) * t))
        answered += pi[c + k] * prob
    assert erlang_a_metrics(lam, mu, c, theta, t).service_level == pytest.approx(answered, rel=1e-9)


def test_erlang_a_service_level_of_a_target_of_hours_is_the_long_run_answer_and_quick() -> None:
    """A 48-hour target (e-mail in a blended pool) with patience of minutes: answered later than the target needs
    patience beyond it (probability exp(-θt), nil), so the t = inf closed form is the answer. Before, expm_multiply
    took minutes per call (found: `contactsim staff` on relationship_modes/account_manager.yaml)."""
    lam, mu, c, theta = 0.016458333333333332, 0.002107402091819285, 10, 1 / 180
    start = time.process_time()
    long = erlang_a_metrics(lam, mu, c, theta, 172_800.0)
    assert time.process_time() - start < 0.5
    assert long.service_level == erlang_a_metrics(lam, mu, c, theta, math.inf).service_level
    # just below the cut-over (θt = 49) the chain's own answer agrees to double precision
    near = erlang_a_metrics(lam, mu, c, theta, 49 * 180.0).service_level
    assert near == pytest.approx(long.service_level, rel=1e-12, abs=1e-15)


def test_erlang_a_with_vanishing_patience_rate_is_erlang_c() -> None:
    lam, mu, c, t = 8.0 / 180.0, 1.0 / 180.0, 10, 20.0
    ec = mmc_metrics(lam, mu, c, t)
    ea = erlang_a_metrics(lam, mu, c, 1e-9, t)
    assert ea.p_wait == pytest.approx(ec.p_wait, rel=1e-5)
    assert ea.asa_s == pytest.approx(ec.asa_s, rel=1e-5)
    assert ea.service_level == pytest.approx(ec.service_level, rel=1e-5)
    assert ea.p_abandon == pytest.approx(0.0, abs=1e-6)
    exact = erlang_a_metrics(lam, mu, c, 0.0, t)
    assert (exact.p_wait, exact.service_level, exact.p_abandon) == (ec.p_wait, ec.service_level, 0.0)


@pytest.mark.parametrize(("c", "a"), [(10, 8.0), (3, 5.0), (500, 520.0)])
def test_erlang_a_with_patience_equal_to_service_is_poisson(c: int, a: float) -> None:
    # theta = mu makes the death rate n*mu at every n: the number in system is Poisson(a), like M/M/inf.
    mu = 1.0 / 240.0
    lam = a * mu
    n = np.arange(0, int(a + 40 * math.sqrt(a) + 50))
    pmf = stats.poisson.pmf(n, a)
    excess = float(np.dot(np.maximum(n - c, 0), pmf))
    r = erlang_a_metrics(lam, mu, c, mu, 30.0)
    assert r.p_wait == pytest.approx(stats.poisson.sf(c - 1, a), rel=1e-9)
    assert r.p_abandon == pytest.approx(excess * mu / lam, rel=1e-9)
    assert r.asa_s == pytest.approx(excess / lam, rel=1e-9)


def test_erlang_a_service_level_limits_and_monotonicity() -> None:
    lam, mu, c, theta = 2.5, 1.0, 3, 0.7
    at = [erlang_a_metrics(lam, mu, c, theta, t) for t in (0.0, 0.2, 1.0, 5.0, 50.0, math.inf)]
    sls = [r.service_level for r in at]
    assert sls[0] == pytest.approx(1.0 - at[0].p_wait, rel=1e-12)
    assert sls == sorted(sls)
    assert sls[-1] == pytest.approx(1.0 - at[-1].p_abandon, rel=1e-12)
    assert sls[-2] == pytest.approx(sls[-1], rel=1e-10)


def test_erlang_a_large_overloaded_centre() -> None:
    # 500 agents, 5 % overload, 3-minute handle, 2-minute patience: stable thanks to abandonment.
    mu, theta, c = 1.0 / 180.0, 1.0 / 120.0, 500
    lam = 1.05 * c * mu
    r = erlang_a_metrics(lam, mu, c, theta, 20.0)
    # Flow balance: served rate = lam*(1 - p_ab) cannot exceed the capacity c*mu.
    assert lam * (1.0 - r.p_abandon) <= c * mu
    assert r.p_abandon >= (lam - c * mu) / lam - 1e-12
    assert 0.0 < r.service_level < 1.0 - r.p_abandon
    assert r.occupancy == pytest.approx(lam * (1.0 - r.p_abandon) / (c * mu))
    assert 0.95 < r.occupancy <= 1.0


# ------------------------------------------------------------------------------------------------ priorities


def test_priority_single_class_is_erlang_c_wait() -> None:
    lam, mu, c = 8.0, 1.0, 10
    (w,) = mmc_priority_waits([lam], mu, c)
    assert w == pytest.approx(mmc_metrics(lam, mu, c, 0.0).asa_s, rel=1e-12)


def test_priority_conservation_law_and_ordering() -> None:
    lams, mu, c = [1.0, 2.5, 4.0], 1.0 / 3.0, 25
    waits = mmc_priority_waits(lams, mu, c)
    fcfs = mmc_metrics(sum(lams), mu, c, 0.0).asa_s
    assert np.dot(lams, waits) / sum(lams) == pytest.approx(fcfs, rel=1e-12)
    assert waits == sorted(waits)
    assert waits[0] < fcfs < waits[-1]


def test_priority_single_server_matches_cobham_mg1() -> None:
    # M/G/1 non-preemptive priority: W_k = W0 / ((1 - s_{k-1})(1 - s_k)), W0 = sum_i lam_i E[S^2] / 2.
    lams, mu = [0.2, 0.3], 1.25
    rho1, rho = lams[0] / mu, sum(lams) / mu
    w0 = sum(lams) * (2.0 / mu**2) / 2.0
    assert mmc_priority_waits(lams, mu, 1) == pytest.approx([w0 / (1 - rho1), w0 / ((1 - rho1) * (1 - rho))])


def test_priority_overload_keeps_top_class_finite() -> None:
    waits = mmc_priority_waits([3.0, 9.0], 1.0, 10)
    assert math.isfinite(waits[0])
    assert waits[0] == pytest.approx((1.0 / 10.0) / (1.0 - 0.3))
    assert waits[1] == math.inf
    assert mmc_priority_waits([], 1.0, 3) == []


# ------------------------------------------------------------------------------------------------ staffing


def test_square_root_staffing() -> None:
    assert square_root_staffing(100.0, 1.0, 1.0) == 110
    assert square_root_staffing(4.0, 1.0, 1.0) == 6  # exact integer is not rounded up
    assert square_root_staffing(2.0, 0.5, 0.5) == 5  # a=4 -> 4 + 1 = 5
    assert square_root_staffing(8.0, 1.0, 0.0) == 8
    assert square_root_staffing(8.1, 1.0, 0.0) == 9


def test_min_agents_erlang_c_is_the_smallest_sufficient() -> None:
    lam, mu, t, target = 10.0 / 180.0 * 18.0, 1.0 / 180.0, 20.0, 0.8  # a = 180 Erlangs
    c = min_agents_for_service_level(lam, mu, t, target)
    assert mmc_metrics(lam, mu, c, t).service_level >= target
    assert mmc_metrics(lam, mu, c - 1, t).service_level < target
    # Classic small case: a = 10 Erlangs, 20 s at 80 %, 180 s AHT.
    small = min_agents_for_service_level(10.0 / 180.0, 1.0 / 180.0, 20.0, 0.8)
    assert small == 14
    assert mmc_metrics(10.0 / 180.0, 1.0 / 180.0, 13, 20.0).service_level < 0.8


def test_min_agents_erlang_a_matches_linear_scan_and_needs_fewer() -> None:
    lam, mu, theta, t, target = 20.0 / 180.0, 1.0 / 180.0, 1.0 / 90.0, 20.0, 0.85
    c = min_agents_for_service_level(lam, mu, t, target, theta=theta)
    scan = next(k for k in range(1, 100) if erlang_a_metrics(lam, mu, k, theta, t).service_level >= target)
    assert c == scan
    assert c <= min_agents_for_service_level(lam, mu, t, target)


def test_min_agents_rejects_impossible_target() -> None:
    with pytest.raises(ValueError):
        min_agents_for_service_level(1.0, 1.0, 10.0, 1.0)
