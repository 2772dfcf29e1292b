"""The staffing optimiser (meets the target independently, one agent fewer misses, agrees with Erlang C) and
sequential replication control."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import build, mmc_dict

from contactsim import erlang
from contactsim.errors import ContactsimError
from contactsim.experiment import RunResult, simulate
from contactsim.scenario.load import parse_scenario
from contactsim.sequential import simulate_until
from contactsim.staffing import optimise_staffing, with_staffing
from contactsim.stats import mean_ci


def test_optimiser_meets_target_independently_and_agrees_with_erlang_c() -> None:
    lam_h, aht = 150.0, 240.0  # 10 Erlang, no abandonment: an M/M/c interval
    d = mmc_dict(lam_h, aht, 10, hours=60, warmup_hours=2, replications=6)
    d["pools"]["agents"].update({"hourly_cost": 30.0, "shrinkage": 0.25})
    sc = build(d)
    res = optimise_staffing(sc, replications=6)
    row = res.table.iloc[0]
    c_erlang = erlang.min_agents_for_service_level(lam_h / 3600, 1 / aht, 20.0, 0.8)
    assert row["erlang_agents"] == c_erlang
    agents = int(row["simulated_agents"])
    assert abs(agents - c_erlang) <= 1
    assert row["sl_ci_low"] >= 0.8 and row["fewer_gap"] < 0 and row["binding"] == "all"
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


def _slot_sl(res: RunResult) -> pd.DataFrame:
    """Per interval of the day (days pooled): mean service level and lower 95% CI bound over replications."""
    k = res.kpis
    k = k[(k["segment"] == "all") & (k["channel"] == "phone") & (k["pool"] == "all") & (k["interval"] != "all")]
    w = k.pivot_table(index=["replication", "interval"], columns="metric", values="value").reset_index()
    w["hour"] = w["interval"].str[-5:-3].astype(int)
    w["in_sl"] = w["service_level"] * w["offered"]
    g = w.groupby(["replication", "hour"])[["in_sl", "offered"]].sum()
    sl = (g["in_sl"] / g["offered"]).dropna().groupby("hour")
    return pd.DataFrame({"mean": sl.mean(), "low": sl.apply(lambda v: mean_ci(v.to_numpy()).low)})


def test_per_interval_staffing_on_a_calendar_day() -> None:
    d = mmc_dict(60, 300, 5, patience_s=300, replications=4)
    d["horizon"] = {"days": 2, "interval_minutes": 60}
    d["arrivals"] = {"intraday": [0] * 8 + [0.1] * 4 + [0.05] * 4 + [0.1] * 4 + [0] * 4}
    d["reasons"]["question"]["volume_per_day"] = 600
    sc = build(d)
    res = optimise_staffing(sc, replications=4)
    t = res.table.set_index("slot")
    assert (t.loc[[*range(8), 20, 21, 22, 23], "simulated_agents"] == 0).all()  # nobody calls: nobody staffed
    assert t.loc[8:11, "simulated_agents"].mean() > t.loc[12:15, "simulated_agents"].mean()  # peak > dip
    busy = t[t["offered_per_hour"] > 0]
    assert busy["checked"].all() and (busy["sl_ci_low"] >= busy["target"]).all()
    assert res.scenario.pools["agents"].staffing == t["simulated_agents"].tolist()
    # independent check on other customers: every busy interval meets 80% on average
    check = _slot_sl(simulate(res.scenario, replications=8, seed=4242, workers=1))
    assert (check["mean"] >= 0.8).all(), check
    # one agent fewer in any staffed interval misses a target (same customers as the optimiser's)
    staffing = {"agents": t["simulated_agents"].tolist()}
    for k in busy.index:
        fewer = {"agents": list(staffing["agents"])}
        fewer["agents"][k] -= 1
        sl = _slot_sl(simulate(with_staffing(sc, fewer), replications=4, workers=1))
        assert (sl["low"] < 0.8).any(), f"interval {k} could lose an agent"
        assert t.loc[k, "fewer_gap"] < 0


def test_segment_targets_bind_and_unplannable_pools_are_explained() -> None:
    d = mmc_dict(120, 240, 10, hours=30, warmup_hours=1, replications=5)
    d["segments"] = {"gold": {"share": 0.5, "channel_preference": {"phone": 1.0},
                              "service_level": {"phone": {"seconds": 10, "share": 0.95}}},
                     "basic": {"share": 0.5, "channel_preference": {"phone": 1.0}}}
    res = optimise_staffing(build(d), replications=5, verify=False)
    row = res.table.iloc[0]
    plain = erlang.min_agents_for_service_level(120 / 3600, 1 / 240, 20.0, 0.8)
    assert row["binding"] == "gold" and row["simulated_agents"] > plain
    d["pools"]["backup"] = {"channels": ["phone"], "staffing": 2}
    with pytest.raises(ContactsimError, match="no pool serves exactly one"):
        optimise_staffing(build(d), replications=2)


def test_sequential_replications_stop_when_the_interval_is_narrow() -> None:
    sc = build(mmc_dict(150, 240, 12, hours=20, warmup_hours=1))
    res = simulate_until(sc, {"service_level": 0.02}, min_replications=3, batch=3, max_replications=60)
    assert res.replications > 3, "the first batch alone should not be enough"
    assert res.timings["converged"] == 1.0
    assert res.timings["half_width_service_level"] <= 0.02
    # it stopped at the first batch boundary where the target was met
    fewer = mean_ci(res.values("service_level").to_numpy()[:res.replications - 3])
    assert fewer.half_width > 0.02
    # the first replications are exactly those of a fixed run
    fixed = simulate(sc, replications=3, workers=1)
    assert (fixed.values("service_level").to_numpy() == res.values("service_level").to_numpy()[:3]).all()
    with pytest.raises(ContactsimError, match="no such KPI"):
        simulate_until(sc, {"servce_level": 0.01}, min_replications=2, max_replications=2)
