"""The staffing optimiser: meets the target in an independent check, one agent fewer misses, agrees with Erlang C."""

from __future__ import annotations

from helpers import build, mmc_dict

from contactsim import erlang
from contactsim.experiment import simulate
from contactsim.scenario.load import parse_scenario
from contactsim.sequential import simulate_until
from contactsim.staffing import optimise_staffing


def test_optimiser_meets_target_independently_and_agrees_with_erlang_c() -> None:
    lam_h, aht = 150.0, 240.0  # 10 Erlang, no abandonment: an M/M/c interval
    d = mmc_dict(lam_h, aht, 10, hours=60, warmup_hours=2, replications=6)
    d["pools"]["agents"].update({"hourly_cost": 30.0, "shrinkage": 0.25})
    sc = build(d)
    res = optimise_staffing(sc, replications=6)
    row = res.table.iloc[0]
    c_erlang = erlang.min_agents_for_service_level(lam_h / 3600, 1 / aht, 20.0, 0.8)
    assert row["erlang_agents"] == c_erlang
    assert abs(int(row["agents"]) - c_erlang) <= 1
    agents = int(row["agents"])
    # an independent check on other customers (another seed) meets the 80/20 target ...
    check = simulate(res.scenario, replications=10, seed=999, workers=1)
    assert check.kpi("service_level")["mean"] >= 0.8
    # ... and one agent fewer misses it
    data = res.scenario.model_dump(mode="json")
    data["pools"]["agents"]["staffing"] = agents - 1
    fewer = simulate(parse_scenario(data), replications=10, seed=999, workers=1)
    assert fewer.kpi("service_level")["mean"] < 0.8
    assert res.cost["simulation"] == agents * 60 / 0.75 * 30.0  # paid hours over the measured 60 h
    assert res.cost["erlang"] == c_erlang * 60 / 0.75 * 30.0
    assert res.cost["difference"] == res.cost["simulation"] - res.cost["erlang"]


def test_per_interval_staffing_on_a_calendar_day() -> None:
    d = mmc_dict(60, 300, 5, patience_s=300, replications=4)
    d["horizon"] = {"days": 2, "interval_minutes": 60}
    d["arrivals"] = {"intraday": [0] * 8 + [0.1] * 4 + [0.05] * 4 + [0.1] * 4 + [0] * 4}
    d["reasons"]["question"]["volume_per_day"] = 600
    res = optimise_staffing(build(d), replications=4)
    t = res.table.set_index("slot")
    assert (t.loc[[0, 1, 2, 3], "agents"] == 0).all()  # nobody calls at night: nobody staffed
    assert t.loc[8, "agents"] > t.loc[12, "agents"]  # the peak gets more agents than the dip
    busy = t[t["offered_per_hour"] > 0]
    assert (busy["sl_low"] >= busy["target"] - 1e-9).all()


def test_sequential_replications_stop_when_the_interval_is_narrow() -> None:
    sc = build(mmc_dict(150, 240, 12, hours=20, warmup_hours=1))
    res = simulate_until(sc, {"service_level": 0.02}, min_replications=3, batch=3, max_replications=60)
    assert res.replications > 3, "the first batch alone should not be enough"
    assert res.timings["converged"] == 1.0
    assert res.timings["half_width_service_level"] <= 0.02
    # the first replications are exactly those of a fixed run
    fixed = simulate(sc, replications=3, workers=1)
    assert (fixed.values("service_level").to_numpy() == res.values("service_level").to_numpy()[:3]).all()
