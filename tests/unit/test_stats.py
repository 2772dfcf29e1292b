"""Replication statistics: t-intervals, paired CRN comparisons and the Welford accumulator."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from contactsim.stats import CI, Welford, half_width_below, mean_ci, paired_difference_ci, t_quantile


def test_mean_ci_known_value() -> None:
    ci = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])
    assert isinstance(ci, CI)
    # t_{4, 0.975} = 2.776445, s = sqrt(2.5)
    assert ci.mean == 3.0
    assert ci.half_width == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5.0), rel=1e-6)
    assert ci.low == pytest.approx(3.0 - ci.half_width)
    assert ci.high == pytest.approx(3.0 + ci.half_width)
    assert ci.n == 5
    assert mean_ci([1.0, 2.0, 3.0, 4.0, 5.0], 0.99).half_width > ci.half_width


def test_mean_ci_ignores_nan_and_handles_small_n() -> None:
    ci = mean_ci([1.0, np.nan, 3.0, np.nan])
    assert (ci.mean, ci.n) == (2.0, 2)
    one = mean_ci([4.0, np.nan])
    assert one.mean == 4.0 and one.n == 1
    assert math.isnan(one.half_width) and math.isnan(one.low) and math.isnan(one.high)
    empty = mean_ci([])
    assert empty.n == 0 and math.isnan(empty.mean)
    const = mean_ci([2.5] * 6)
    assert (const.low, const.high, const.half_width) == (2.5, 2.5, 0.0)


def test_mean_ci_coverage() -> None:
    rng = np.random.default_rng(2024)
    true_mean, trials, n = 3.0, 2000, 8
    data = rng.normal(true_mean, 2.0, size=(trials, n))
    covered = 0
    for row in data:
        ci = mean_ci(row, 0.9)
        covered += ci.low <= true_mean <= ci.high
    assert covered / trials == pytest.approx(0.9, abs=0.02)


def test_paired_identical_is_exactly_zero() -> None:
    a = np.random.default_rng(1).normal(100.0, 30.0, size=20)
    ci = paired_difference_ci(a, a.copy())
    assert (ci.mean, ci.low, ci.high, ci.half_width, ci.n) == (0.0, 0.0, 0.0, 0.0, 20)


def test_paired_difference_is_b_minus_a_and_tighter_under_crn() -> None:
    rng = np.random.default_rng(5)
    common = rng.normal(50.0, 10.0, size=30)  # shared randomness across the two scenarios
    a = common + rng.normal(0.0, 0.5, size=30)
    b = common + 2.0 + rng.normal(0.0, 0.5, size=30)
    paired = paired_difference_ci(a, b)
    assert paired.low < 2.0 < paired.high
    assert paired.mean == pytest.approx(float(np.mean(b - a)))
    unpaired = math.hypot(mean_ci(a).half_width, mean_ci(b).half_width)
    assert paired.half_width < unpaired / 5.0
    # Pairs with a NaN on either side are dropped together.
    a2, b2 = np.append(a, np.nan), np.append(b, 7.0)
    assert paired_difference_ci(a2, b2) == paired
    with pytest.raises(ValueError):
        paired_difference_ci([1.0, 2.0], [1.0])


def test_welford_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 3.0, size=257)
    w = Welford()
    for v in x[:100]:
        w.add(v)
    w.add_many(x[100:200])
    other = Welford()
    other.add_many(x[200:])
    w.merge(other)
    assert w.n == x.size
    assert w.mean == pytest.approx(float(x.mean()), rel=1e-12)
    assert w.variance == pytest.approx(float(x.var(ddof=1)), rel=1e-12)
    assert w.std == pytest.approx(float(x.std(ddof=1)), rel=1e-12)
    assert tuple(w.ci(0.9)) == pytest.approx(tuple(mean_ci(x, 0.9)), rel=1e-12)


def test_welford_is_stable_with_large_offset_and_skips_nan() -> None:
    x = 1e9 + np.array([4.0, 7.0, 13.0, 16.0])
    w = Welford()
    for v in [*x, math.nan, math.inf]:
        w.add(v)
    w.add_many([np.nan])
    assert w.n == 4
    assert w.variance == pytest.approx(30.0, rel=1e-9)  # naive sum-of-squares loses this entirely
    empty = Welford()
    assert math.isnan(empty.mean) and math.isnan(empty.variance) and empty.ci().n == 0
    single = Welford()
    single.add(2.0)
    assert single.mean == 2.0 and math.isnan(single.variance) and math.isnan(single.ci().half_width)


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40), st.integers(0, 40))
def test_welford_property(values: list[float], split: int) -> None:
    x = np.asarray(values)
    w = Welford()
    for v in x[:split]:
        w.add(v)
    w.add_many(x[split:])
    assert w.n == x.size
    assert w.mean == pytest.approx(float(x.mean()), rel=1e-9, abs=1e-6)
    assert w.variance == pytest.approx(float(x.var(ddof=1)), rel=1e-7, abs=1e-3)


def test_half_width_below_sequential_stopping() -> None:
    rng = np.random.default_rng(11)
    x = rng.normal(10.0, 1.0, size=400)
    assert not half_width_below(x[:1], 100.0)
    assert not half_width_below(x[:5], 0.2)
    assert half_width_below(x, 0.2)
    first = next(n for n in range(2, 401) if half_width_below(x[:n], 0.2))
    assert first > 2
    assert mean_ci(x[:first]).half_width <= 0.2 < mean_ci(x[: first - 1]).half_width
    assert half_width_below(x, 0.02, relative=True)
    assert not half_width_below(x[:10], 0.001, relative=True)


def test_t_quantile_and_confidence_validation() -> None:
    assert t_quantile(0.95, 5) == pytest.approx(2.776445, rel=1e-6)
    assert math.isnan(t_quantile(0.95, 1))
    with pytest.raises(ValueError):
        mean_ci([1.0, 2.0], 1.0)
    with pytest.raises(ValueError):
        Welford().ci(0.0)


def test_published_summaries_and_differences_use_this_module_exactly() -> None:
    """Issue 14: one t-interval. ``metrics.summarise`` (summary.csv) and ``compare.paired_differences``
    (differences.csv) give exactly what ``mean_ci`` / ``paired_difference_ci`` give, missing values included."""
    import pandas as pd

    from contactsim.compare import paired_differences
    from contactsim.metrics import summarise

    rng = np.random.default_rng(7)
    rows, vals = [], {}
    for m in ("aht_s", "asa_s", "cost"):
        for seg in ("a", "b", "c", "d", "e"):
            v = rng.gamma(2.0, 50.0, 9) * (1 + 1e-3 * rng.standard_normal(9))
            if seg == "b":
                v[[1, 4]] = np.nan  # undefined in two replications
            vals[(m, seg)] = v
            rows += [{"replication": r, "segment": seg, "channel": "all", "pool": "all", "interval": "all",
                      "metric": m, "value": x} for r, x in enumerate(v) if not (np.isnan(x) and m == "cost")]
    kpis = pd.DataFrame(rows)
    s = summarise(kpis).set_index(["metric", "segment"])
    other = kpis.assign(value=kpis["value"] * 1.01 + 0.5)
    d = paired_differences(kpis, other, "base", "other").set_index(["metric", "segment"])
    for (m, seg), v in vals.items():
        w = v * 1.01 + 0.5
        if m == "cost":  # a count missing in a replication is 0 (in both runs here)
            v, w = np.nan_to_num(v), np.where(np.isnan(v), 0.0, w)
        ci = mean_ci(v)
        row = s.loc[(m, seg)]
        assert (row["mean"], row["ci_low"], row["ci_high"], row["n"]) == (ci.mean, ci.low, ci.high, ci.n)
        p = paired_difference_ci(v, w)
        drow = d.loc[(m, seg)]
        assert (drow["diff_mean"], drow["ci_low"], drow["ci_high"], drow["n"]) == (p.mean, p.low, p.high, p.n)
