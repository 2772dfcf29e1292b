"""Round trip: simulate a centre with known parameters, export its contacts as a log and as an interval
history, calibrate, and find every parameter again inside its interval; then the calibrated scenario's
simulated KPIs must agree with the log's.

One fixed seed; the calibration's 95% intervals are widened to 99% (x 2.576/1.96) as the theory tests do,
so a correct estimator does not fail on one unlucky stream. A failure means more data, not another seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from calibration_truth import PER_DAY, TRUTH, truth_scenario, weekday_profile

import contactsim as cs
from contactsim.calibration import calibrate
from contactsim.calibration.backtest import backtest
from contactsim.calibration.export import contacts_to_log, log_to_intervals
from contactsim.scenario.compiled import compile_scenario

DAYS = 84
WIDEN = 2.576 / 1.96


def inside(est, truth: float) -> bool:
    h_low, h_high = (est.value - est.low) * WIDEN, (est.high - est.value) * WIDEN
    return est.value - h_low <= truth <= est.value + h_high


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    sc = truth_scenario(days=DAYS)
    res = cs.simulate(sc, replications=1, workers=1, backend="serial", keep_records=True)
    log = contacts_to_log(res.contacts, scenario=sc)
    log.to_csv(folder / "log.csv", index=False)
    cp = compile_scenario(sc).pool_defs[0]
    starts = pd.date_range("2024-01-01", periods=DAYS * PER_DAY, freq="30min")
    sec = (starts - starts[0]).total_seconds().to_numpy()
    agents = cp.change_agents[np.searchsorted(cp.change_times, sec, side="right") - 1]
    history = log_to_intervals(log, 30, 20.0, pd.DataFrame({"interval_start": starts, "channel": "phone",
                                                             "agents": agents}))
    history.to_csv(folder / "history.csv", index=False)
    cal = calibrate(folder / "log.csv", out=folder / "from_log.yaml")
    cal_iv = calibrate(folder / "history.csv", out=folder / "from_history.yaml", report=False)
    return {"sc": sc, "log": log, "cal": cal, "cal_iv": cal_iv, "folder": folder, "agents": agents}


def true_weekday_volume(w: int) -> float:
    return TRUTH["volume_per_day"] * 7 * TRUTH["weekly"][w]


@pytest.mark.parametrize("source", ["cal", "cal_iv"])
def test_weekday_volumes_inside_their_intervals(world, source) -> None:
    cal = world[source]
    for w, day in enumerate(["mon", "tue", "wed", "thu", "fri", "sat"]):
        assert inside(cal.estimate(f"volume.{day}"), true_weekday_volume(w)), day
    assert cal.estimate("volume.sun").value == 0


def test_intraday_profile_per_weekday_inside_its_band(world) -> None:
    vol = world["cal"].volume
    for w, truth in ((0, weekday_profile()), (5, weekday_profile(0.8))):
        truth = np.array(truth)
        open_ = truth > 0
        lo, hi = vol.profile_ci[w, open_, 0], vol.profile_ci[w, open_, 1]
        hits = (truth[open_] >= lo) & (truth[open_] <= hi)
        assert hits.mean() >= 0.85, (w, hits.mean())
        assert np.all(vol.profiles[w, ~open_] == 0)
    # the calibrated scenario carries its own Saturday profile
    assert world["cal"].scenario.arrivals.intraday_by_weekday["sat"][16] == pytest.approx(vol.profiles[5, 16], abs=1e-5)


@pytest.mark.parametrize("source", ["cal", "cal_iv"])
def test_arrival_variability_recovered(world, source) -> None:
    cal = world[source]
    assert inside(cal.estimate("arrivals.overdispersion_cv"), TRUTH["day_cv"])
    assert inside(cal.estimate("arrivals.day_persistence"), TRUTH["persistence"])
    assert inside(cal.estimate("arrivals.interval_overdispersion_cv"), TRUTH["interval_cv"])
    # and they are written into the scenario
    a = cal.scenario.arrivals
    assert a.day_persistence == pytest.approx(cal.estimate("arrivals.day_persistence").value, abs=1e-4)
    assert a.interval_overdispersion_cv == pytest.approx(cal.estimate("arrivals.interval_overdispersion_cv").value,
                                                         abs=1e-4)


def test_handle_time_law_mean_and_cv(world) -> None:
    cal = world["cal"]
    fit = cal.handle["general|phone"]
    assert fit.chosen == "lognormal"
    assert fit.aic["lognormal"] < fit.aic["gamma"] < fit.aic["exponential"]
    assert inside(fit.mean, TRUTH["handle_mean"])
    assert inside(fit.cv, TRUTH["handle_cv"])
    spec = cal.scenario.reasons["general"].handle_time["phone"]
    assert spec.dist == "lognormal" and spec.mean == pytest.approx(fit.mean.value, abs=0.01)


def test_handle_time_from_interval_history(world) -> None:
    mean, cv = world["cal_iv"].handle["general|phone"]
    assert inside(mean, TRUTH["handle_mean"])
    assert inside(cv, TRUTH["handle_cv"])


def test_patience_from_censored_log(world) -> None:
    fit = world["cal"].patience["customers|phone"]
    assert inside(fit.mean, TRUTH["patience_mean"])
    assert fit.censored > fit.abandoned > 1000
    # Kaplan-Meier of exponential patience: S(t) = exp(-t / mean) inside the KM band at most times
    km = fit.km[fit.km["time_s"] > 0]
    truth = np.exp(-km["time_s"] / TRUTH["patience_mean"])
    assert ((truth >= km["low"] - 1e-9) & (truth <= km["high"] + 1e-9)).mean() >= 0.9


def test_patience_from_interval_history_is_close(world) -> None:
    """The interval estimate assumes exponential patience and takes ASA for the mean wait of all callers
    (abandoned ones wait less): a stated approximation, so within 10%, not inside its CI."""
    est = world["cal_iv"].estimate("segments.customers.patience.phone.mean")
    assert est.value == pytest.approx(TRUTH["patience_mean"], rel=0.10)


@pytest.mark.parametrize("source", ["cal", "cal_iv"])
def test_staffing_recovered_per_interval(world, source) -> None:
    cal = world[source]
    truth = world["sc"].pools["agents"].staffing
    pool = next(iter(cal.scenario.pools.values()))
    for day in ("mon", "sat"):
        est, true = np.array(pool.staffing[day]), np.array(truth[day])
        open_ = true > 0
        assert np.mean(np.abs(est[open_] - true[open_]) <= 1) >= 0.9, (day, est, true)
    st = cal.staffing
    occ = st["busy_agents"].sum() / st["agents"].sum()
    assert 0.6 < occ < 0.95


def test_observed_kpis_kept_beside_the_scenario(world) -> None:
    folder = world["folder"]
    obs = pd.read_csv(folder / "from_log.observed.csv")
    assert {"interval_start", "offered", "service_level", "asa_s", "abandon_rate"} <= set(obs.columns)
    assert obs["offered"].sum() == len(world["log"])
    assert (folder / "from_log.calibration.html").stat().st_size > 100_000
    text = (folder / "from_log.yaml").read_text()
    assert "# " in text and "day_persistence" in text and "Kaplan" not in text.split("segments:")[0]
    assert "censored maximum-likelihood" in text  # the patience line says where it came from


def test_report_shows_within_day_and_persistence(world) -> None:
    html = (world["folder"] / "from_log.calibration.html").read_text()
    for section in ('id="within_day"', 'id="day_level"', 'id="profiles"', 'id="patience_1"', 'id="handle_1"',
                    'id="staffing"'):
        assert section in html


def test_calibrated_scenario_reproduces_the_log(world) -> None:
    bt = backtest(world["folder"] / "log.csv", world["cal"].scenario, replications=4, weeks=2, seed=11)
    ov = bt.overall.set_index("metric")
    for metric in ("offered_per_day", "service_level", "asa_s", "abandon_rate", "aht_s"):
        assert bool(ov.loc[metric, "inside"]), (metric, ov.loc[metric].to_dict())
    for metric in ("service_level", "abandon_rate"):
        assert bt.share_inside(metric) >= 0.85
