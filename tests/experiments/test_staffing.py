"""The staffing planner: Erlang per interval agrees with theory, a published plan never leaves an open
channel unstaffed nor pays a closed pool, it meets the targets on customers it never saw, and it runs as
published (shift blocks). Plus sequential replication control."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import build, mmc_dict

from contactsim import erlang
from contactsim.errors import ContactsimError
from contactsim.experiment import simulate
from contactsim.scenario.compiled import weekly_staffing
from contactsim.scenario.timespec import DAY_S
from contactsim.sequential import simulate_until
from contactsim.staffing import Targets, live_agents, open_cells, optimise_staffing, plan_wide
from contactsim.stats import mean_ci


def _week_dict() -> dict:
    """Two days (Sat, Sun), hourly intervals: a 24/7 card line, phone Sat 09-17 only, chat that a pool
    shares with e-mail, shifts that pay chat agents on Sunday while chat is closed."""
    d = mmc_dict(60, 300, 5, patience_s=300, replications=3)
    d["horizon"] = {"days": 2, "start_weekday": "sat", "interval_minutes": 60, "drain_hours": 12}
    d["channels"] = {
        "phone": {"kind": "phone", "opening_hours": {"sat": "09:00-17:00"}},
        "card_line": {"kind": "phone", "service_level": {"seconds": 10, "share": 0.9}},
        "chat": {"kind": "chat", "opening_hours": {"sat": "08:00-20:00"}, "concurrency": 2,
                 "service_level": {"seconds": 60, "share": 0.8}},
        "messaging": {"kind": "messaging", "opening_hours": {"sat": "08:00-20:00"}, "concurrency": 2,
                      "service_level": {"seconds": 300, "share": 0.8}},
    }
    d["segments"]["customers"]["channel_preference"] = {"phone": 0.6, "chat": 0.3, "messaging": 0.1}
    d["segments"]["customers"]["patience"] = {c: {"dist": "exponential", "mean": 300} for c in
                                              ("phone", "card_line", "chat", "messaging")}
    d["arrivals"] = {"intraday": [0.01] * 8 + [0.1] * 8 + [0.03] * 4 + [0.0] * 4}
    handle = {c: {"dist": "exponential", "mean": 300} for c in ("phone", "chat", "messaging", "card_line")}
    d["reasons"] = {
        "question": {"volume_per_day": 500, "handle_time": handle},
        "card": {"volume_per_day": 20, "intraday": [1 / 24] * 24, "handle_time": handle},
    }
    d["policies"] = {"steering": [{"applies_to": {"reasons": ["card"]}, "offered_channels": ["card_line"]}]}
    d["pools"] = {
        "agents": {"channels": ["phone"], "staffing": 5},
        "cards": {"channels": ["card_line"], "staffing": 1},
        "digital": {"channels": ["chat", "messaging"], "shifts": [{"days": "sat-sun", "start": "08:00", "end": "20:00",
                                                              "agents": 4}]},
    }
    return d


def test_plan_staffs_every_open_interval_and_pays_no_closed_one() -> None:
    sc = build(_week_dict())
    res = optimise_staffing(sc, replications=3, rounds=2, workers=1)
    assert set(res.plan) == {"agents", "cards", "digital"}  # the multi-channel pool is planned too
    assert any("digital" in n and "blended" in n for n in res.notes)
    for p, agents in res.plan.items():
        is_open = open_cells(sc, sc.pools[p].channels)
        occurring = np.array([d in (5, 6) for d in range(7)])
        assert (agents[is_open & occurring[:, None]] >= 1).all(), f"{p} leaves an open interval unstaffed"
        assert (agents[~is_open] == 0).all(), f"{p} pays agents while its channels are closed"
    assert (res.plan["cards"][5:7] >= 1).all()  # the 24/7 line: every hour of both days
    assert res.plan["agents"][6].sum() == 0 and res.plan["agents"][5, 12] >= 1  # phone: Sat only
    # the plan runs as published: the staffed scenario's shifts give exactly the plan, hour by hour
    for p, agents in res.plan.items():
        times, level = weekly_staffing(res.scenario.pools[p], 3600.0)
        mids = np.arange(7 * 24) * 3600.0 + 1800.0
        assert (level[np.searchsorted(times, mids, side="right") - 1].reshape(7, 24) == agents).all()
    # and its simulated paid hours while the pool is closed are zero
    run = simulate(res.scenario, replications=1, workers=1)
    k = run.kpis
    paid = k[(k["pool"] == "agents") & (k["metric"] == "paid_hours") & k["interval"].str.contains("Sun")]
    assert paid["value"].sum() == 0
    wide = plan_wide(sc, res.plan)
    assert list(wide.columns[:3]) == ["start", "end", "agents mon"] and len(wide) == 24


def test_erlang_step_agrees_with_theory_and_honours_every_target() -> None:
    lam, aht, theta = 100 / 3600, 300.0, 1 / 180
    sl_only = Targets(max_occupancy=None)
    c = live_agents(lam, aht, 1, theta, [(20.0, 0.8)], sl_only)
    assert c == erlang.min_agents_for_service_level(lam, 1 / aht, 20.0, 0.8, theta)
    # an abandonment cap of 1% needs more agents than 80/20 alone, and the plan meets it in theory
    c_ab = live_agents(lam, aht, 1, theta, [(20.0, 0.8)], Targets(max_occupancy=None, max_abandon=0.01))
    assert c_ab > c
    assert erlang.erlang_a_metrics(lam, 1 / aht, c_ab, theta, 20).p_abandon <= 0.01
    assert erlang.erlang_a_metrics(lam, 1 / aht, c_ab - 1, theta, 20).p_abandon > 0.01
    # an occupancy cap: load 8.33 Erlang at <= 70% needs 12
    assert live_agents(lam, aht, 1, theta, [], Targets(max_occupancy=0.7)) == 12
    # ASA cap in Erlang C; concurrency 2 halves the agents (rounded up)
    c_asa = live_agents(lam, aht, 1, None, [], Targets(max_occupancy=None, max_asa_s=5.0))
    asa = [erlang.mmc_metrics(lam, 1 / aht, c, 0).asa_s for c in (c_asa, c_asa - 1)]
    assert asa[0] <= 5.0 < asa[1]
    assert live_agents(lam, aht, 2, None, [], Targets(max_occupancy=None, max_asa_s=5.0)) == -(-c_asa // 2)


def test_plan_meets_targets_on_a_fresh_seed() -> None:
    d = mmc_dict(60, 300, 5, patience_s=300, replications=5)
    d["horizon"] = {"days": 1, "interval_minutes": 60, "drain_hours": 4}
    d["channels"]["phone"]["opening_hours"] = {"mon-sun": "08:00-20:00"}
    d["arrivals"] = {"intraday": [0] * 8 + [0.11] * 4 + [0.05] * 4 + [0.09] * 4 + [0] * 4}
    d["reasons"]["question"]["volume_per_day"] = 1000
    sc = build(d)
    res = optimise_staffing(sc, replications=5, workers=1)
    assert (res.plan["agents"][0, 8:20] >= 1).all() and res.plan["agents"][0, :8].sum() == 0
    check = simulate(res.scenario, replications=10, seed=4242, workers=1).kpis
    k = check[(check["segment"] == "all") & (check["channel"] == "phone") & (check["interval"] != "all")]
    w = k.pivot_table(index=["replication", "interval"], columns="metric", values="value").reset_index()
    w["in_sl"] = w["service_level"] * w["offered"]
    g = w.groupby("interval")[["in_sl", "offered"]].sum()
    sl = g["in_sl"] / g["offered"]
    assert (sl >= 0.78).all(), sl  # every interval within sampling noise of 80/20 on unseen customers ...
    assert (sl >= 0.8).mean() >= 0.75  # ... and most at or above it
    day = check[(check["segment"] == "all") & (check["channel"] == "all") & (check["interval"] == "all")
                & (check["metric"] == "occupancy")]
    assert day.empty or day["value"].mean() <= 0.9


def test_unknown_pools_are_refused() -> None:
    sc = build(_week_dict())
    with pytest.raises(ContactsimError, match="no such pool"):
        optimise_staffing(sc, pools=["nobody"])
    assert DAY_S == 86400


def test_sequential_replications_stop_when_the_interval_is_narrow() -> None:
    sc = build(mmc_dict(150, 240, 12, hours=20, warmup_hours=1))
    calls: list[tuple[int, int]] = []
    res = simulate_until(sc, {"service_level": 0.02}, min_replications=3, batch=3, max_replications=60,
                         progress=lambda done, total, widths: calls.append((done, total)))
    assert res.replications > 3, "the first batch alone should not be enough"
    assert calls == [(k, 60) for k in range(1, res.replications + 1)]  # the bar moves per replication
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


def test_weekday_labels_as_planners_write_them() -> None:
    """One label rule for plans and shifts: a run of days ``sat-sun``, other days listed ``mon,wed``."""
    from contactsim.staffing import cover_with_shifts, weekday_staffing

    sc = build(_week_dict())
    a = np.zeros((7, 24), dtype=np.int64)
    a[[0, 2], 9:17], a[5:7, 10:14] = 2, 1
    assert list(weekday_staffing(sc, a)) == ["mon,wed", "sat-sun"]
    assert [s["days"] for s in cover_with_shifts(sc, a)] == ["mon,wed", "sat-sun"]


def test_weekday_staffing_whole_shifts_and_absence() -> None:
    sc = build(_week_dict())
    a = np.zeros((7, 24), dtype=np.int64)
    a[0:5, 8:12], a[0:5, 12:17], a[5, 9:17] = 3, 2, 4
    from contactsim.staffing import cover_with_shifts, scheduled, weekday_staffing

    assert weekday_staffing(sc, a) == {"mon-fri": [0] * 8 + [3] * 4 + [2] * 5 + [0] * 7, "sat": [0] * 9 + [4] * 8
                                       + [0] * 7}
    shifts = cover_with_shifts(sc, a, shift_hours=8, min_hours=4)
    from contactsim.scenario.schema import Pool

    times, level = weekly_staffing(Pool(channels=["phone"], shifts=shifts), 3600.0)
    cover = level[np.searchsorted(times, np.arange(7 * 24) * 3600.0 + 1800, side="right") - 1].reshape(7, 24)
    assert (cover >= a).all() and cover[6].sum() == 0  # covers every interval, nobody on Sunday
    assert {"days": "mon-fri", "start": "08:00", "end": "16:00", "agents": 2} in shifts
    # absence 10% and adherence 90%: schedule enough that the plan is available after the engine's rounding
    d = _week_dict()
    d["pools"]["agents"].update({"absence": 0.1, "adherence": 0.9})
    sc2 = build(d)
    need = np.array([[1, 2, 5, 10, 20]])
    sched = scheduled(sc2, "agents", need)
    assert (np.round(sched * 0.81) >= need).all() and (np.round((sched - 1) * 0.81) < need).all()


def _account_manager_week():
    from pathlib import Path

    from contactsim.scenario.load import load_scenario

    path = Path(__file__).resolve().parents[2] / "scenarios" / "relationship_modes" / "account_manager.yaml"
    return load_scenario(path, {"horizon.days": 7})


def test_account_managers_are_kept_as_staffed_and_the_other_pools_planned() -> None:
    """Each customer waits for their own advisor: the advisors' number follows the customers
    (customers_per_advisor), so the planner keeps it and plans the pools that take the fallbacks. Before, it sized
    the advisors as one pooled queue (14 instead of 40) and the staffed scenario failed its own validation; the
    Erlang A step also took minutes on e-mail's 48-hour target (erlang._answered_within)."""
    sc = _account_manager_week()
    res = optimise_staffing(sc, replications=2, rounds=1, workers=1)
    assert "advisors" not in res.plan and {"phone_team", "digital_team", "back_office"} <= set(res.plan)
    assert any(n.startswith("pool advisors: account managers, kept as staffed") for n in res.notes)
    assert res.scenario.pools["advisors"] == sc.pools["advisors"]
    with pytest.raises(ContactsimError, match="customers_per_advisor"):
        optimise_staffing(sc, pools=["advisors"])


def test_agents_more_that_do_not_help_are_taken_back(monkeypatch) -> None:
    """The phone team is judged on the phone channel, whose account-manager customers first wait for their own
    advisor: more phone agents cannot fix those intervals. The planner sees two agents more leave the service
    level where it was (same customers) and takes them back, with a note, instead of adding agents every round
    (bundled file: 35,154 EUR before, 30,624 now; insurer.yaml, whose misses do answer to staffing, is planned
    as before within one interval)."""
    sc = _account_manager_week()
    res = optimise_staffing(sc, replications=2, rounds=3, workers=1)
    stuck = [n for n in res.notes if n.startswith("pool phone_team:") and "did not raise the service level" in n]
    assert len(stuck) == 1
    monkeypatch.setattr("contactsim.staffing.NO_HELP", -1.0)  # every agent more counts as helping: the old rule
    old = optimise_staffing(sc, replications=2, rounds=3, workers=1)
    assert not any("did not raise" in n for n in old.notes)
    assert res.plan["phone_team"].sum() < old.plan["phone_team"].sum()
    assert res.cost["plan"] < old.cost["plan"]
    # the published table is the verification of the published plan
    t = res.table[res.table["pool"] == "phone_team"]
    planned = [res.plan["phone_team"][w, k] for w, k in zip(t["wd"], t["slot"], strict=True)]
    assert (t["agents"].to_numpy() == planned).all()
