"""Schedules as planners write them: staggered breaks and lunches, overnight shifts, absence and adherence
as lost capacity (still paid) -- compiled into the staffing the engine runs, checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import build, mmc_dict

from contactsim.errors import ContactsimError
from contactsim.experiment import simulate
from contactsim.scenario.compiled import compile_scenario, weekly_staffing
from contactsim.scenario.schedules import paid_per_duty
from contactsim.scenario.schema import Pool

H = 3600.0


def _level(pool: Pool, t: float) -> int:
    times, agents = weekly_staffing(pool, 1800.0)
    return int(agents[np.searchsorted(times, t, side="right") - 1])


def test_staggered_lunch_takes_agents_off_the_phones_but_not_off_the_payroll() -> None:
    pool = Pool(channels=["phone"], shifts=[{"days": "mon", "start": "08:00", "end": "17:00", "agents": 10,
                                             "breaks": [{"start": "12:00", "minutes": 30, "spread_minutes": 60}]}])
    # three lunch groups of 4, 3 and 3 at 12:00, 12:30 and 13:00
    assert [_level(pool, t * H) for t in (11.9, 12.25, 12.75, 13.25, 13.75)] == [10, 6, 7, 7, 10]
    assert _level(pool, 17.5 * H) == 0 and _level(pool, 24 * H + 9 * H) == 0  # Monday only
    assert paid_per_duty(pool) == pytest.approx(90 / 85)  # 90 paid agent-hours, 85 on the phones


def test_overnight_shift_runs_into_the_next_day_and_sunday_into_monday() -> None:
    pool = Pool(channels=["phone"], shifts=[{"days": "sun", "start": "22:00", "end": "06:00", "agents": 3,
                                             "overnight": True, "breaks": [{"start": "02:00", "minutes": 30}]}])
    assert _level(pool, 6 * 24 * H + 23 * H) == 3  # Sunday 23:00
    assert _level(pool, 1 * H) == 3 and _level(pool, 2.25 * H) == 0 and _level(pool, 5.9 * H) == 3  # Monday
    assert _level(pool, 6.1 * H) == 0 and _level(pool, 6 * 24 * H + 21 * H) == 0
    # the engine's timeline of a run starting on Monday has the Sunday night shift's agents from 00:00
    d = mmc_dict(20, 300, 1, patience_s=300, replications=1)
    d["horizon"] = {"days": 1, "interval_minutes": 60, "drain_hours": 1}
    d["arrivals"] = {"intraday": [1 / 24] * 24}
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [
        {"days": "sun", "start": "22:00", "end": "06:00", "agents": 3, "overnight": True},
        {"days": "mon", "start": "06:00", "end": "22:00", "agents": 2},
        {"days": "mon", "start": "22:00", "end": "06:00", "agents": 1, "overnight": True}]}
    cp = compile_scenario(build(d)).pool_defs[0]
    times, level = weekly_staffing(build(d).pools["agents"], 3600.0)
    assert _level(build(d).pools["agents"], 3 * H) == 3 and _level(build(d).pools["agents"], 23 * H) == 1
    events = cp.staff_events
    assert events[0][0] == 0.0 and events[0][2] == 3  # on duty from the start of the run
    assert len(times) == len(level)


def test_absence_and_adherence_cut_capacity_not_pay() -> None:
    base = mmc_dict(100, 300, 10, patience_s=300, hours=20, warmup_hours=1, replications=2)
    base["pools"]["agents"].update({"hourly_cost": 30.0, "shrinkage": 0.2})
    netted = {**base, "pools": {"agents": {**base["pools"]["agents"], "staffing": 8}}}
    lossy = {**base, "pools": {"agents": {**base["pools"]["agents"], "staffing": 10, "absence": 0.1,
                                          "adherence": 0.9}}}  # round(10 x 0.9 x 0.9) = 8 on the phones
    a, b = (simulate(build(x), replications=2, workers=1) for x in (netted, lossy))
    assert (a.values("service_level").to_numpy() == b.values("service_level").to_numpy()).all()
    paid_a = a.kpi("paid_hours", pool="agents")["mean"]
    paid_b = b.kpi("paid_hours", pool="agents")["mean"]
    assert paid_a == pytest.approx(8 * 20 / 0.8, rel=1e-3)  # on-duty hours / (1 - shrinkage)
    assert paid_b == pytest.approx(10 * 20 / 0.8, rel=1e-3)  # the 10 scheduled agents' pay
    with_shifts = dict(lossy)
    with_shifts["pools"] = {"agents": {**lossy["pools"]["agents"], "staffing": None,
                                       "shifts": [{"start": "00:00", "end": "24:00", "agents": 10}]}}
    assert paid_per_duty(build(with_shifts).pools["agents"]) == pytest.approx(10 / 8)


def test_bad_schedules_are_refused_with_the_fix() -> None:
    d = mmc_dict(20, 300, 1)
    d["pools"]["agents"] = {"channels": ["phone"], "shifts": [{"start": "22:00", "end": "06:00", "agents": 2}]}
    with pytest.raises(ContactsimError, match="overnight: true"):
        build(d)
    d["pools"]["agents"]["shifts"] = [{"start": "08:00", "end": "16:00", "agents": 2,
                                       "breaks": [{"start": "18:00", "minutes": 15}]}]
    with pytest.raises(ContactsimError, match="outside the shift"):
        build(d)


def test_per_weekday_staffing_with_a_key_naming_no_weekday_is_refused() -> None:
    """Regression (found by the fuzzer on the restaffed bank): an empty weekday key validated, then the
    compiler failed on it."""
    d = mmc_dict(20, 300, 1)
    d["pools"]["agents"] = {"channels": ["phone"], "staffing": {"": 3}}
    with pytest.raises(ContactsimError, match=r"pools\.agents\.staffing\."):
        build(d)
    d["pools"]["agents"]["staffing"] = {"mon-sun": 3}
    assert build(d).pools["agents"].staffing == {"mon-sun": 3}


@pytest.mark.parametrize("staffing", [{"thu": []}, [], {"mon-fri": [1, 2, 3]}])
def test_empty_or_odd_staffing_list_is_a_validation_error_not_a_crash(staffing) -> None:
    """Regression (found by the explore Hypothesis profile): ``staffing: {thu: []}`` passed the length check's
    issue but then crashed the coverage check with a ZeroDivisionError."""
    d = mmc_dict(20, 300, 1)
    d["pools"]["agents"] = {"channels": ["phone"], "staffing": staffing}
    with pytest.raises(ContactsimError, match=r"pools\.agents\.staffing"):
        build(d)
