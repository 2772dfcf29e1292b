"""The arrival model's new variability: a persistent day level and within-day (interval) noise.

Needs are generated straight from the arrival model (no engine) for many days with known values; the
calibration estimators must find them again, and the model must show what the theory says it should.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_truth import TRUTH, truth_scenario

from contactsim.arrivals import _day_factor, generate
from contactsim.calibration import estimate as E
from contactsim.rng import stream
from contactsim.scenario.compiled import compile_scenario

DAYS = 364
WIDEN = 2.576 / 1.96


def counts(sc, seed: int = 5) -> np.ndarray:
    c = compile_scenario(sc)
    t = np.concatenate([generate(c, seed, 0, b).arrival_at for b in range(DAYS)])
    return np.bincount((t // 1800).astype(int), minlength=DAYS * 48).reshape(DAYS, 48).astype(float)


@pytest.fixture(scope="module")
def measured():
    grid = E.Grid(pd.date_range("2024-01-01", periods=DAYS), counts(truth_scenario(days=DAYS)), 30)
    vol = E.volume_and_profiles(grid, np.random.default_rng(1), n_boot=20)
    return grid, vol, E.variability(grid, vol.ordinary)


@pytest.mark.parametrize(("attr", "truth"), [("interval_cv", TRUTH["interval_cv"]), ("day_cv", TRUTH["day_cv"]),
                                             ("persistence", TRUTH["persistence"])])
def test_estimators_find_the_known_values(measured, attr, truth) -> None:
    est = getattr(measured[2], attr)
    assert est.value - (est.value - est.low) * WIDEN <= truth <= est.value + (est.high - est.value) * WIDEN
    assert est.high - est.low < 0.6 * max(truth, 0.1)  # and the interval is informative


def test_within_day_overdispersion_matches_theory(measured) -> None:
    """Given the day total, an interval's variance-to-mean is about 1 + c^2 x (its expected count)."""
    grid, vol, _var = measured
    m = vol.ordinary & (grid.weekday == 0)
    p = vol.profiles[0]
    dp = grid.totals[m][:, None] * p[None, :]
    o = p > 0
    observed = ((grid.counts[m] - dp) ** 2)[:, o].sum() / (dp * (1 - p))[:, o].sum()
    c2 = TRUTH["interval_cv"] ** 2
    expected = 1 + c2 * (dp**2 * (1 - 2 * p + (p**2).sum()))[:, o].sum() / (dp * (1 - p))[:, o].sum()
    assert observed == pytest.approx(expected, rel=0.12)
    assert observed > 2.0  # three times Poisson's 1 would be missed by a plain NHPP


def test_day_to_day_persistence_shows_in_day_totals(measured) -> None:
    """Consecutive open days correlate; without persistence they do not."""
    _, _, var = measured
    assert var.acf1 > 0.35
    flat = counts(truth_scenario(days=DAYS, persistence=0.0), seed=5)
    g = E.Grid(pd.date_range("2024-01-01", periods=DAYS), flat, 30)
    v = E.variability(g, E.volume_and_profiles(g, np.random.default_rng(1), n_boot=2).ordinary)
    assert abs(v.acf1) < 0.12
    assert v.day_cv.value == pytest.approx(TRUTH["day_cv"], abs=0.03)


def test_new_streams_leave_the_old_ones_alone() -> None:
    """CRN: without persistence the day factor is the historical gamma draw of 'arrivals/day-factor/<day>',
    and with the interval noise off the profile is used as before (same counts, same needs)."""
    sc = truth_scenario(days=7, persistence=0.0, interval_cv=0.0)
    c = compile_scenario(sc)
    k = 1 / TRUTH["day_cv"] ** 2
    for b in range(3):
        assert _day_factor(c, 9, 2, b) == stream(9, 2, f"arrivals/day-factor/{b}").gamma(k, 1 / k)
    data = sc.model_dump(mode="json")
    data["arrivals"].pop("interval_overdispersion_cv")
    data["arrivals"].pop("day_persistence")
    from contactsim.scenario.load import parse_scenario

    c2 = compile_scenario(parse_scenario(data))
    a, b = generate(c, 9, 2, 1), generate(c2, 9, 2, 1)
    assert np.array_equal(a.arrival_at, b.arrival_at) and np.array_equal(a.u, b.u)


def test_persistent_level_does_not_depend_on_the_horizon() -> None:
    short = compile_scenario(truth_scenario(days=7))
    long = compile_scenario(truth_scenario(days=70))
    assert [_day_factor(short, 4, 1, b) for b in range(7)] == [_day_factor(long, 4, 1, b) for b in range(7)]


def test_persistent_level_is_drawn_once_and_bit_identical_to_the_per_day_chain() -> None:
    """The AR(1) chain is drawn once per replication (it was re-built from day 0 for every day, quadratic in
    days); every level stays what building day b's chain from the stream's first b + 1 normals gives."""
    c = compile_scenario(truth_scenario(days=40))
    phi, cv = c.arrivals.day_persistence, c.arrivals.overdispersion_cv
    assert phi > 0 and cv > 0
    s2 = np.log1p(cv * cv)
    for b in (0, 1, 2, 17, 39):
        z = stream(4, 1, "arrivals/day-level-ar1").standard_normal(b + 1)
        x = z[0]
        for e in z[1:]:
            x = phi * x + np.sqrt(1.0 - phi * phi) * e
        assert _day_factor(c, 4, 1, b) == float(np.exp(np.sqrt(s2) * x - s2 / 2.0))
    assert _day_factor(c, 4, 1, 45) == _day_factor(compile_scenario(truth_scenario(days=50)), 4, 1, 45)  # past the run


def test_profiles_and_staffing_with_their_own_interval_length() -> None:
    """A 15-minute run may use an hourly profile and hourly staffing per weekday."""
    from contactsim.scenario.compiled import weekly_staffing

    data = truth_scenario(days=7).model_dump(mode="json")
    data["horizon"]["interval_minutes"] = 15
    hourly = [0.0] * 8 + [1 / 12] * 12 + [0.0] * 4
    data["arrivals"]["intraday"] = hourly
    data["arrivals"]["intraday_by_weekday"] = {"sat": hourly}
    data["pools"]["agents"]["staffing"] = {"mon-fri": [0] * 8 + [9] * 12 + [0] * 4, "sat": [0] * 8 + [4] * 12 + [0] * 4}
    from contactsim.scenario.load import parse_scenario

    sc = parse_scenario(data)
    c = compile_scenario(sc)
    needs = generate(c, 1, 0, 0)
    hours = needs.arrival_at / 3600
    assert hours.min() >= 8 and hours.max() < 20
    times, agents = weekly_staffing(sc.pools["agents"], 900.0)
    sat_noon = agents[np.searchsorted(times, 5 * 86400 + 12 * 3600, side="right") - 1]
    mon_noon = agents[np.searchsorted(times, 12 * 3600, side="right") - 1]
    assert (sat_noon, mon_noon) == (4, 9)
    data["pools"]["agents"]["staffing"] = {"sat": [1] * 7}
    with pytest.raises(Exception, match="7 values"):
        parse_scenario(data)
