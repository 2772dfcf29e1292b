"""Regression tests for the engine defects of issue 12, each checked on per-contact records."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import build, mmc_dict, run_one

from contactsim.errors import ContactsimError
from contactsim.scenario.compiled import compile_scenario


def _ivr(d: dict, misroute: float = 0.5, transfer_s: float = 30.0) -> dict:
    d["policies"] = {"ivr": {"duration": {"dist": "deterministic", "value": 20}, "misroute_probability": misroute,
                             "transfer_time_s": transfer_s}}
    return d


def test_misrouted_contact_gets_its_own_patience_on_the_second_leg() -> None:
    """Item 1: the first leg's abandonment timer must not fire on the second leg."""
    d = _ivr(mmc_dict(70, 300, 5, hours=40, warmup_hours=0, patience_s=100))
    d["segments"]["customers"]["patience"]["phone"] = {"dist": "deterministic", "value": 100}
    c = run_one(d).contacts
    ab = c[(c["transfers"] > 0) & (c["outcome"] == "abandoned")]
    assert len(ab) > 30
    requeued_at = ab["misroute_at"] + ab["misroute_s"]
    np.testing.assert_allclose(ab["end_at"] - requeued_at, 100.0, atol=1e-6)
    first_wait = ab["misroute_at"] - ab["arrival_at"]
    np.testing.assert_allclose(ab["wait_s"], first_wait + 30.0 + 100.0, atol=1e-6)


def test_misroute_talk_counts_in_busy_time_and_cost() -> None:
    """Item 4: the wrong agent's talk is agent time of its pool (busy hours, occupancy, cost)."""
    d = _ivr(mmc_dict(40, 300, 5, hours=20, warmup_hours=0))
    d["horizon"]["drain_hours"] = 0
    d["pools"]["agents"]["hourly_cost"] = 36.0
    r = run_one(d)
    c = r.contacts
    assert (c["misroute_s"] > 0).sum() > 50
    horizon = 20 * 3600.0
    served = c[c["answered_at"].notna()]
    s, e = served["answered_at"], served["answered_at"] + served["handle_s"] + served["acw_s"]
    busy = (np.minimum(e, horizon) - np.minimum(s, horizon)).sum()
    m = c[c["misroute_s"] > 0]
    busy += (np.minimum(m["misroute_at"] + m["misroute_s"], horizon) - np.minimum(m["misroute_at"], horizon)).sum()
    assert r.values("busy_hours", pool="agents", interval="all")[0] * 3600 == pytest.approx(busy, rel=1e-9)
    # the staff cost is allocated over all agent time, misroute talks included
    kpi_cost = r.values("cost")[0]
    assert r.needs["cost"].sum() == pytest.approx(kpi_cost, rel=1e-9)


def _calendar(days: int = 3, fcr: float = 0.5) -> dict:
    d = mmc_dict(40, 300, 6, hours=24, warmup_hours=0)
    del d["horizon"]["steady_state_hours"], d["horizon"]["warmup_hours"]
    d["horizon"].update({"days": days, "drain_hours": 48})
    d["channels"]["phone"]["opening_hours"] = {"mon-sun": "08:00-20:00"}
    d["arrivals"] = {"intraday": [0] * 16 + [1 / 24] * 24 + [0] * 8}
    d["reasons"]["question"]["fcr"] = {"phone": fcr}
    d["reasons"]["question"]["repeat"] = {"probability": 0.9, "max_repeats": 2,
                                          "delay": {"dist": "exponential", "mean": 86400}}
    return d


def test_repeat_counter_counts_repeat_contacts_made_and_last_day_is_not_inflated() -> None:
    """Item 3: repeats after the horizon play out in the drain; counters count what happened."""
    r = run_one(_calendar(), replications=2)
    c, n = r.contacts, r.needs
    made = c[c["kind"] == "repeat"].groupby(["replication", "need_id"]).size()
    per_need = n.set_index(["replication", "need_id"])["repeats"]
    np.testing.assert_array_equal(per_need.reindex(made.index).to_numpy(), made.to_numpy())
    assert per_need.sum() == len(c[c["kind"] == "repeat"])
    assert r.values("repeat_contacts").sum() == per_need.sum()
    assert made.sum() > 100
    # the last day's needs end unresolved no more often than the first day's (their repeats were observed)
    day = (n["arrival_at"] // 86400).astype(int)
    unresolved = n["terminal"] == "unresolved"
    assert unresolved[day == 2].mean() < 1.5 * unresolved[day == 0].mean() + 0.01
    # a need whose next follow-up would come after the drain is censored, not unresolved
    assert set(n["terminal"].astype(str)) <= {"resolved", "unresolved", "abandoned", "unserved", "censored"}


def test_follow_up_after_the_drain_is_censored_not_counted() -> None:
    d = _calendar(days=1, fcr=0.0)
    d["horizon"]["drain_hours"] = 1
    d["reasons"]["question"]["repeat"]["delay"] = {"dist": "deterministic", "value": 3 * 86400}
    r = run_one(d)
    n = r.needs
    censored = (n["terminal"] == "censored").sum()
    assert censored > 0.8 * len(n)  # the 10% who do not come back are unresolved
    assert set(n["terminal"].astype(str)) <= {"censored", "unresolved", "abandoned"}
    assert n["repeats"].sum() == 0 and (r.contacts["kind"] == "repeat").sum() == 0
    assert r.values("needs_censored")[0] == censored


def test_abandonment_tie_rule_is_the_same_on_the_lazy_and_eager_paths() -> None:
    """Item 5: a wait that reaches patience exactly when an agent frees up is answered, on both paths."""
    from contactsim.engine import Engine

    d = mmc_dict(1, 50, 1, hours=1, warmup_hours=0, patience_s=100)
    outcomes = []
    for retrial in (None, {"probability": 0.0, "delay": {"dist": "deterministic", "value": 60}}):
        dd = copy.deepcopy(d)
        if retrial:
            dd["segments"]["customers"]["retrial"] = retrial
        eng = Engine(compile_scenario(build(dd)), 1, 0)
        assert eng.lazy_abandon[0] is (retrial is None)
        for k in range(3):  # three callers at t = 10: served 10-60, 60-110; the third reaches 100 s at 110
            eng.add_contact(k, 0, 0, 0, 10.0, 100.0, 50.0, key=k)
        eng.run_until(3600.0)
        eng.finish()
        col = eng.flush().contacts
        outcomes.append(col["outcome"].tolist())
        assert col["wait_s"].max() == pytest.approx(100.0)
    assert outcomes[0] == outcomes[1] == [0, 0, 0]  # all three handled


def test_repeat_contacts_keep_their_own_retrial_budget() -> None:
    """Item 6: a repeat contact that abandons may still retry (separate retrial and repeat counters)."""
    d = mmc_dict(60, 300, 4, hours=40, warmup_hours=0, patience_s=60)
    d["reasons"]["question"]["fcr"] = {"phone": 0.0}
    d["reasons"]["question"]["repeat"] = {"probability": 1.0, "max_repeats": 2,
                                          "delay": {"dist": "exponential", "mean": 600}}
    d["segments"]["customers"]["retrial"] = {"probability": 1.0, "max_attempts": 2,
                                             "delay": {"dist": "exponential", "mean": 60}}
    c = run_one(d).contacts
    retried_repeats = c[(c["kind"] == "retrial") & (c["repeat"] >= 1)]
    assert len(retried_repeats) > 10
    assert (c["retrial"] <= 1).all() and (c["repeat"] <= 2).all()
    assert (c.loc[c["kind"] == "first", ["retrial", "repeat"]] == 0).all().all()


def _crn_dict(agents: int) -> dict:
    d = mmc_dict(60, 300, agents, hours=40, warmup_hours=0, patience_s=120)
    d["reasons"]["question"]["fcr"] = {"phone": 0.6}
    d["reasons"]["question"]["repeat"] = {"probability": 0.8, "delay": {"dist": "exponential", "mean": 3600}}
    d["segments"]["customers"]["retrial"] = {"probability": 0.7, "delay": {"dist": "exponential", "mean": 300}}
    return d


def test_follow_ups_keep_their_random_numbers_across_scenarios() -> None:
    """Item 7: in a paired comparison each need's follow-ups draw the same handle time and patience."""
    a, b = run_one(_crn_dict(5)).contacts, run_one(_crn_dict(6)).contacts
    m = a.merge(b, on=["need_id", "kind", "attempt"], suffixes=("_a", "_b"))
    for kind in ("repeat", "retrial"):
        mk = m[(m["kind"] == kind) & m["handle_s_a"].notna() & m["handle_s_b"].notna()]
        assert len(mk) > 50, kind
        assert np.isclose(mk["handle_s_a"], mk["handle_s_b"], rtol=1e-12).mean() == 1.0, kind


def test_follow_ups_keep_the_failed_self_service_factors() -> None:
    d = _crn_dict(8)
    d["reasons"]["question"]["self_service"] = {"suitability": 1.0, "containment": 0.0,
                                                "duration": {"dist": "deterministic", "value": 60},
                                                "failed_handle_time_factor": 1.0}
    d["segments"]["customers"]["self_service_propensity"] = 1.0
    one = run_one(d).contacts
    d["reasons"]["question"]["self_service"]["failed_handle_time_factor"] = 2.0
    two = run_one(d).contacts
    m = one.merge(two, on=["need_id", "kind", "attempt"], suffixes=("_1", "_2"))
    rep = m[(m["kind"] != "first") & m["handle_s_1"].notna() & m["handle_s_2"].notna()]
    assert len(rep) > 50
    np.testing.assert_allclose(rep["handle_s_2"], 2.0 * rep["handle_s_1"], rtol=1e-12)


def test_shift_end_sends_home_the_agents_whose_shift_ends() -> None:
    """Item 8: at 12:00 the early shift's agent leaves (after the contact in hand); the other stays."""
    d = mmc_dict(30, 600, 2, hours=8, warmup_hours=0)
    d["horizon"] = {"days": 1, "interval_minutes": 60, "drain_hours": 6}
    d["arrivals"] = {"intraday": [0] * 8 + [1 / 8] * 8 + [0] * 8}
    d["reasons"]["question"]["volume_per_day"] = 60
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [
        {"start": "08:00", "end": "12:00", "agents": 1}, {"start": "08:00", "end": "16:00", "agents": 1}]}
    c = run_one(d, replications=3).contacts
    noon = 12 * 3600.0
    started = c[c["answered_at"].notna()]
    # agent 0 is the early shift's: it starts nothing after noon (a contact in hand at noon is finished)
    early = started[started["agent"] == 0]
    assert (early["answered_at"] <= noon + 1e-9).all()
    assert (early["answered_at"] + early["handle_s"] > noon).any()
    late = started[started["agent"] == 1]
    assert (late["answered_at"] > noon).sum() > 10
    # after noon nobody waits while the late agent is idle
    for rep_, g in c.groupby("replication"):
        lg = late[late["replication"] == rep_]
        for t, w in zip(g["arrival_at"], g["wait_s"], strict=True):
            if t > noon and t < 16 * 3600 and w > 1e-9:
                busy = ((lg["answered_at"] <= t) & (lg["answered_at"] + lg["handle_s"] + lg["acw_s"] >= t)).any()
                assert busy, f"a caller waited at {t} while the late agent was idle"


def _callback_dict() -> dict:
    d = mmc_dict(80, 300, 5, hours=24, warmup_hours=0)
    del d["horizon"]["steady_state_hours"], d["horizon"]["warmup_hours"]
    d["horizon"].update({"days": 2, "drain_hours": 24})
    d["channels"]["phone"]["opening_hours"] = {"mon-sun": "08:00-20:00"}
    d["channels"]["phone"]["abandonment"] = True
    d["segments"]["customers"]["patience"] = {"phone": {"dist": "exponential", "mean": 600}}
    d["arrivals"] = {"intraday": [0] * 16 + [1 / 24] * 24 + [0] * 8}
    d["reasons"]["question"]["volume_per_day"] = 900
    d["pools"]["agents"]["shifts"] = [{"start": "08:00", "end": "20:00", "agents": 7}]
    del d["pools"]["agents"]["staffing"]
    d["policies"] = {"callback": {"offer_when_wait_exceeds_s": 120, "acceptance": 1.0}}
    return d


def test_callbacks_are_offered_only_when_they_can_be_made_before_closing() -> None:
    """Item 9: no callback is offered that would fall after closing; callback waits are reported apart."""
    r = run_one(_callback_dict())
    c = r.contacts
    cb = c[c["callback"]]
    assert len(cb) > 20
    tod = cb["arrival_at"] % 86400
    assert (tod < 20 * 3600 - 120).all(), "an offer needs a predicted wait > 120 s ending before 20:00"
    handled = c[(c["outcome"] == "handled") & (c["arrival_at"] < 2 * 86400)]
    hold = handled[~handled["callback"]]
    assert r.values("asa_s")[0] == pytest.approx(hold["wait_s"].mean(), rel=1e-9)
    cbh = handled[handled["callback"]]
    assert r.values("callback_wait_s")[0] == pytest.approx(cbh["wait_s"].mean(), rel=1e-9)
    assert r.values("callbacks")[0] == len(c[c["callback"] & (c["arrival_at"] < 2 * 86400)])


def test_callback_prediction_uses_the_pools_own_handle_times() -> None:
    """Item 2: hour-long e-mails in another pool do not change phone callback offers."""
    d = _callback_dict()
    base = run_one(d).contacts
    d["channels"]["email"] = {"kind": "email", "abandonment": False, "sla_hours": 24}
    d["segments"]["writers"] = {"share": 0.2, "channel_preference": {"email": 1.0}}
    d["segments"]["customers"]["share"] = 0.8
    d["reasons"]["question"]["segment_mix"] = {"writers": 0.0}
    d["reasons"]["question"]["handle_time"]["email"] = {"dist": "exponential", "mean": 3600}
    d["reasons"]["letter"] = {"volume_per_day": 100, "segment_mix": {"customers": 0.0},
                              "handle_time": {"email": {"dist": "exponential", "mean": 3600},
                                              "phone": {"dist": "exponential", "mean": 300}}}
    d["pools"]["back_office"] = {"channels": ["email"], "staffing": 4}
    both = run_one(d).contacts
    phone = both[both["channel"] == "phone"]
    assert len(phone) == len(base)
    np.testing.assert_array_equal(phone["callback"].to_numpy(), base["callback"].to_numpy())


def test_contacts_carry_the_needs_arrival_and_costs_reconcile_with_the_kpi_cost() -> None:
    """Item 10: with a warm-up, contacts of needs in the window (need_at) add up to the KPI cost."""
    d = _ivr(mmc_dict(60, 300, 6, hours=10, warmup_hours=2, patience_s=200), misroute=0.1)
    d["pools"]["agents"]["hourly_cost"] = 40.0
    d["channels"]["phone"]["cost_per_minute"] = 0.05
    r = run_one(d)
    c, n = r.contacts, r.needs
    lo, hi = 2 * 3600.0, 12 * 3600.0
    arr = n.set_index("need_id")["arrival_at"]
    np.testing.assert_array_equal(c["need_at"].to_numpy(), arr.loc[c["need_id"]].to_numpy())
    in_win = n[(n["arrival_at"] >= lo) & (n["arrival_at"] < hi)]
    assert in_win["cost"].sum() == pytest.approx(r.values("cost")[0], rel=1e-9)
    cw = c[(c["need_at"] >= lo) & (c["need_at"] < hi)]
    assert cw["cost"].sum() == pytest.approx(in_win["cost"].sum(), rel=1e-9)  # no own need costs here
    assert c["cost"].sum() > r.values("cost")[0]  # the warm-up's contacts cost too, outside the KPI


@pytest.mark.parametrize(("hours", "warmup"), [(0.25, 0.0), (10.3, 0.0), (10.0, 0.2)])
def test_measurement_window_must_be_whole_intervals(hours: float, warmup: float) -> None:
    d = mmc_dict(60, 300, 6, hours=hours, warmup_hours=warmup)
    with pytest.raises(ContactsimError) as e:
        build(d)
    assert "KPI intervals" in str(e.value)


def test_conservation_gap_is_computed_per_segment() -> None:
    from contactsim.metrics import KpiAccumulator
    from contactsim.records import LEVELS, TERMINAL_STATES

    c = compile_scenario(build(mmc_dict(60, 300, 6, hours=10, warmup_hours=0)))
    acc = KpiAccumulator(c, LEVELS, TERMINAL_STATES)
    acc.add_needs(np.zeros(3, np.int16), np.zeros(3, np.int16), np.full(3, 4), np.full(3, 3), np.zeros(3),
                  np.zeros(3), np.zeros(3), np.zeros(3, bool), np.full(3, 4.0), np.zeros(3))
    rows = acc.need_rows(np.zeros(1), 0.0, 0.0, {}, expected_needs=np.array([5.0]))
    gap = rows[rows["metric"] == "conservation_gap"].set_index("segment")["value"]
    assert gap["all"] == 2.0 and gap["customers"] == 2.0


def _occupancy(r) -> np.ndarray:
    return r.kpis.loc[r.kpis["metric"] == "occupancy", "value"].to_numpy()


def test_occupancy_never_exceeds_one_when_agents_finish_after_their_shift() -> None:
    """A shift ending while agents hold long contacts (and a 0-agent shift): busy <= on duty, always."""
    d = mmc_dict(30, 1800, 3, hours=8, warmup_hours=0)
    d["horizon"] = {"days": 2, "interval_minutes": 30, "drain_hours": 6}
    d["arrivals"] = {"intraday": [0] * 16 + [1 / 6] * 6 + [0] * 26}
    d["reasons"]["question"]["volume_per_day"] = 400
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [
        {"start": "08:00", "end": "09:00", "agents": 3}, {"start": "09:00", "end": "10:00", "agents": 0},
        {"start": "10:00", "end": "10:30", "agents": 2}]}
    r = run_one(d, replications=2)
    occ = _occupancy(r)
    assert len(occ) > 0 and (occ >= 0).all() and (occ <= 1 + 1e-9).all()
    paid = r.values("paid_hours", pool="agents", interval="all")
    assert (paid > (3 * 1 + 2 * 0.5) * 2).all()  # agents finishing after the shift are paid for it


def test_staffing_events_reproduce_the_staffing_levels() -> None:
    """Groups joining and leaving add up to the scheduled level at every change (bundled scenarios)."""
    from pathlib import Path

    from contactsim.scenario.load import load_scenario
    from contactsim.scenario.shifts import levels_of, staffing_timeline

    for path in sorted(Path(__file__).parents[2].joinpath("scenarios").glob("*.yaml")):
        sc = load_scenario(path)
        c = compile_scenario(sc)
        for (_, pool), cp in zip(sc.pools.items(), c.pool_defs, strict=True):
            t, a = staffing_timeline(pool, c.interval_s, c.start_weekday, c.end_s)
            t2, a2 = levels_of(cp.staff_events)
            np.testing.assert_array_equal(t, t2)
            np.testing.assert_array_equal(a, a2)


def test_parallel_chats_all_slow_down_while_they_share_an_agent() -> None:
    """Chat concurrency: every chat in hand runs at 1 / (1 + stretch x (chats - 1)) of full speed, so the
    chat already in progress slows when a second one starts (as retail_bank.yaml's comment says)."""
    from contactsim.engine import Engine

    d = mmc_dict(1, 100, 1, hours=1, warmup_hours=0)
    d["channels"]["phone"].update({"kind": "chat", "concurrency": 2, "concurrency_stretch": 0.5})
    eng = Engine(compile_scenario(build(d)), 1, 0)
    eng.add_contact(0, 0, 0, 0, 0.0, float("inf"), 100.0, key=1)
    eng.add_contact(1, 0, 0, 0, 40.0, float("inf"), 100.0, key=2)
    eng.run_until(3600.0)
    eng.finish()
    col = eng.flush().contacts
    # alone 0-40 (40 done); together at 1/1.5: the first's last 60 take 90 (ends 130), the second has
    # done 60 by then and finishes its last 40 alone (ends 170)
    np.testing.assert_allclose(sorted(col["end_at"]), [130.0, 170.0])
    np.testing.assert_allclose(sorted(col["handle_s"]), [130.0, 130.0])


def test_occupancy_stays_in_range_on_every_bundled_scenario() -> None:
    """The invariant on realistic runs: busy agent-time never exceeds on-duty agent-time, per interval and
    over the run, on every bundled scenario (two days, one replication)."""
    from pathlib import Path

    from contactsim.experiment import simulate
    from contactsim.scenario.load import load_scenario

    for path in sorted(Path(__file__).parents[2].joinpath("scenarios").glob("*.yaml")):
        sc = load_scenario(path)
        over = ({"horizon.steady_state_hours": 24} if sc.horizon.steady_state_hours
                else {"horizon.days": 2, "run.record_contacts": False})
        if not sc.horizon.steady_state_hours:
            over.update({f"incidents.{i}.day": min(inc.day, 2) for i, inc in enumerate(sc.incidents)})
        r = simulate(load_scenario(path, over), replications=1, workers=1)
        occ = _occupancy(r)
        assert len(occ) and (occ >= 0).all() and (occ <= 1 + 1e-9).all(), path.name


def test_staffing_per_weekday_with_a_bad_day_name_is_an_error_not_a_traceback() -> None:
    """Found by the fuzz test: a per-weekday staffing key that names no weekday crashed the coverage check."""
    d = mmc_dict(60, 300, 6, hours=10, warmup_hours=0)
    d["pools"]["agents"]["staffing"] = {"days": 6}
    with pytest.raises(ContactsimError) as e:
        build(d)
    assert "pools.agents.staffing.days" in str(e.value)
