"""Every ACD KPI definition (contactsim.kpis) against a case computed by hand (docs/KPIS.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contactsim import kpis

H = 3600.0
DAY = 86400.0


def _calls() -> pd.DataFrame:
    """Six calls, target 20 s, 30-minute intervals.

    1 answered after 5 s, 2 after 30 s, 3 abandons after 3 s (short), 4 abandons after 40 s,
    5 arrives 09:59:50-like at 1790 s and is answered at 1800 s (next interval), 6 answered at once."""
    return pd.DataFrame({
        "arrival_at": [0.0, 100.0, 200.0, 1700.0, 1790.0, 1900.0],
        "wait_s": [5.0, 30.0, 3.0, 40.0, 10.0, 0.0],
        "outcome": ["handled", "handled", "abandoned", "abandoned", "handled", "handled"],
        "handle_s": [100.0, 200.0, np.nan, np.nan, 300.0, 400.0],
        "acw_s": [20.0, 0.0, 0.0, 0.0, 40.0, 40.0],
        "answered_at": [5.0, 130.0, np.nan, np.nan, 1800.0, 1900.0],
        "sl_threshold_s": [20.0] * 6,
    })


def test_service_level_abandon_treatments() -> None:
    c = _calls()
    # answered within 20 s: calls 1, 5, 6 = 3
    against = kpis.service_level(c)
    assert against.loc[0, "service_level"] == pytest.approx(3 / 6)  # every offered call
    excluded = kpis.service_level(c, abandons="excluded")
    assert excluded.loc[0, "service_level"] == pytest.approx(3 / 4)  # answered calls only
    short = kpis.service_level(c, abandons="short_excluded", short_abandon_s=5)
    assert short.loc[0, "service_level"] == pytest.approx(3 / 5)  # the 3-second abandon left out
    assert short.loc[0, "short_abandoned"] == 1
    # a fixed threshold overrides each call's own: within 30 s also call 2
    assert kpis.service_level(c, threshold_s=30).loc[0, "service_level"] == pytest.approx(4 / 6)


def test_service_level_by_arrival_and_by_answer_interval() -> None:
    c = _calls()
    arr = kpis.service_level(c, interval_s=1800).set_index("interval")
    assert arr.loc[0, "service_level"] == pytest.approx(2 / 5)  # calls 1-5 arrived in 00:00-00:30
    assert arr.loc[1, "service_level"] == pytest.approx(1.0)
    ans = kpis.service_level(c, interval_s=1800, by="answer").set_index("interval")
    # answered/abandoned in the first interval: 1 (in), 2 (late), 3 and 4 (abandoned) -> 1/4
    assert ans.loc[0, "service_level"] == pytest.approx(1 / 4)
    assert ans.loc[1, "service_level"] == pytest.approx(2 / 2)  # 5 (answered at 1800 s) and 6
    assert ans["offered"].sum() == arr["offered"].sum() == 6


def test_aht_with_and_without_after_contact_work() -> None:
    c = _calls()
    assert kpis.aht(c).loc[0, "aht_s"] == pytest.approx((120 + 200 + 340 + 440) / 4)
    assert kpis.aht(c, with_acw=False).loc[0, "aht_s"] == pytest.approx((100 + 200 + 300 + 400) / 4)
    per = kpis.aht(c, interval_s=1800).set_index("interval")  # by answer interval
    assert per.loc[0, "aht_s"] == pytest.approx((120 + 200) / 2) and per.loc[1, "aht_s"] == pytest.approx(390)


def test_occupancy_counts_agents_on_duty_only() -> None:
    # 2 agents 00:00-00:30, nobody 00:30-01:00, 1 agent 01:00-01:30
    duty = kpis.duty_seconds(np.array([0.0, 1800.0, 3600.0]), np.array([2, 0, 1]), 1800.0, 3)
    assert duty.tolist() == [3600.0, 0.0, 1800.0]
    # busy 0-900, 1000-2600 (finishing a contact after the shift), 3600-4500
    busy = kpis.busy_seconds(np.array([0.0, 1000.0, 3600.0]), np.array([900.0, 1600.0, 900.0]), 1800.0, 3)
    assert busy.tolist() == pytest.approx([1700.0, 800.0, 900.0])
    per, total = kpis.occupancy(busy, duty)
    assert per[0] == pytest.approx(1700 / 3600) and np.isnan(per[1]) and per[2] == pytest.approx(0.5)
    assert total == pytest.approx((1700 + 900) / 5400)
    # chat slots: two per agent halve it
    assert kpis.occupancy(busy, duty, concurrency=2)[1] == pytest.approx(total / 2)
    # mean agents over on-duty intervals: (2 + 1) / 2, not (2 + 0 + 1) / 3
    assert kpis.mean_agents_on_duty(duty, 1800.0) == pytest.approx(1.5)


def test_backlog_sla_on_the_business_hours_clock() -> None:
    office = [(d * DAY + 8 * H, d * DAY + 18 * H) for d in range(5)]  # Mon-Fri 08:00-18:00
    # an e-mail on Friday 17:00 answered on Monday 09:00: 64 calendar hours, 2 business hours
    friday_17, monday_9 = 4 * DAY + 17 * H, 7 * DAY + 9 * H
    assert kpis.business_seconds(np.array([friday_17]), np.array([monday_9]), office)[0] == pytest.approx(2 * H)
    # the same instants on a run that starts on a Wednesday (Friday is day 2 of the run)
    wed = kpis.business_seconds(np.array([2 * DAY + 17 * H]), np.array([5 * DAY + 9 * H]), office, start_weekday=2)
    assert wed[0] == pytest.approx(2 * H)
    # Tuesday 07:00 -> Tuesday 19:00: the 10 office hours only
    assert kpis.business_seconds(np.array([DAY + 7 * H]), np.array([DAY + 19 * H]), office)[0] == pytest.approx(10 * H)
    mails = pd.DataFrame({"arrival_at": [friday_17, DAY + 9 * H, DAY + 10 * H],
                          "answered_at": [monday_9, DAY + 12 * H, np.nan]})  # 64 h, 3 h, never
    assert kpis.backlog_service_level(mails, 8) == pytest.approx(1 / 3)
    assert kpis.backlog_service_level(mails, 8, clock="business_hours", windows=office) == pytest.approx(2 / 3)


def test_time_to_resolution_across_repeats_and_channels() -> None:
    c = pd.DataFrame({
        "replication": [0, 0, 0, 0],
        "need_id": [1, 1, 2, 3],
        "kind": ["first", "repeat", "first", "first"],
        "segment": ["gold", "gold", "gold", "gold"],
        "reason": ["card", "card", "loan", "loan"],
        "channel": ["phone", "chat", "phone", "phone"],
        "arrival_at": [0.0, DAY, 100.0, 200.0],
        "end_at": [500.0, DAY + 600.0, 400.0, np.nan],
        "outcome": ["handled", "handled", "handled", "abandoned"],
        "resolved": [False, True, True, False],
    })
    ttr = kpis.time_to_resolution(c).set_index("need_id")
    assert ttr.loc[1, "resolved_s"] == pytest.approx(DAY + 600)  # first call to the chat that solved it
    assert ttr.loc[1, "contacts"] == 2
    assert ttr.loc[2, "resolved_s"] == pytest.approx(300) and not ttr.loc[3, "resolved"]
    sla = kpis.resolution_sla(ttr.reset_index(), {"gold": {"hours": 24, "share": 0.5}}).iloc[0]
    assert sla["needs"] == 3 and sla["resolved_in_target"] == 1 and not sla["met"]  # 24 h 10 min is late
    assert sla["resolution_sla"] == pytest.approx(1 / 3)
    # a per-reason target: cards within 25 hours
    per_reason = kpis.resolution_sla(ttr.reset_index(), {"gold": {"hours": 24, "share": 0.5}},
                                     {"gold": {"card": 25}}).iloc[0]
    assert per_reason["resolution_sla"] == pytest.approx(2 / 3) and per_reason["met"]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="abandons"):
        kpis.service_level(_calls(), abandons="sometimes")
    with pytest.raises(ValueError, match="business-hours"):
        kpis.backlog_service_level(pd.DataFrame({"arrival_at": [0.0], "answered_at": [1.0]}), 1,
                                   clock="business_hours")


def test_acd_kpis_reconcile_with_the_run_summary() -> None:
    """With abandons counted against it and by arrival interval, the ACD service level is the run's own
    service level; talk time is the run's AHT; excluding abandons can only raise it."""
    from helpers import build, mmc_dict

    from contactsim.experiment import simulate

    d = mmc_dict(100, 240, 7, patience_s=120, hours=12, warmup_hours=1, replications=2)
    d["channels"]["email"] = {"kind": "email", "abandonment": False, "sla_hours": 2}
    d["segments"]["customers"]["channel_preference"] = {"phone": 0.8, "email": 0.2}
    d["reasons"]["question"]["handle_time"]["email"] = {"dist": "exponential", "mean": 300}
    d["pools"]["mail"] = {"channels": ["email"], "staffing": 1}
    d["pools"]["agents"]["after_contact_work"] = {"dist": "deterministic", "value": 30}
    d["kpis"] = {"resolution_targets": {"customers": {"hours": 1, "share": 0.5}}}
    sc = build(d)
    res = simulate(sc, replications=2, workers=1, keep_records=True)
    acd = kpis.acd_kpis(res.contacts, sc)
    k = res.kpis[(res.kpis["pool"] == "all") & (res.kpis["interval"] == "all") & (res.kpis["segment"] == "all")]

    def ours(metric: str, channel: str) -> np.ndarray:
        return acd[(acd["metric"] == metric) & (acd["channel"] == channel) & (acd["segment"] == "all")
                   ].sort_values("replication")["value"].to_numpy()

    def run(metric: str, channel: str) -> np.ndarray:
        return k[(k["metric"] == metric) & (k["channel"] == channel)].sort_values("replication")["value"].to_numpy()

    assert ours("sl_acd", "phone") == pytest.approx(run("service_level", "phone"))
    assert ours("talk_time_s", "phone") == pytest.approx(run("aht_s", "phone"))
    assert ours("aht_s", "phone") == pytest.approx(run("aht_s", "phone") + 30)
    assert ours("backlog_sla", "email") == pytest.approx(run("service_level", "email"))
    res_sla = acd[acd["metric"] == "resolution_sla"]
    assert len(res_sla) == 2 and res_sla["value"].between(0, 1).all()
