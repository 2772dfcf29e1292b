"""Forecasts and schedules as inputs: a WFM forecast per date x interval and staffing per date x interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from calibration_truth import truth_scenario

from contactsim.arrivals import generate
from contactsim.errors import ScenarioError
from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.load import load_scenario, parse_scenario


def base(**arrivals) -> dict:
    data = truth_scenario(days=7, persistence=0.0, interval_cv=0.0, day_cv=0.0).model_dump(mode="json")
    data["horizon"]["start_date"] = "2024-03-04"  # a Monday
    data["arrivals"].update(arrivals)
    return data


def test_forecast_replaces_the_profile_on_its_dates(tmp_path) -> None:
    rows = [{"date": "2024-03-05", "interval_start": f"{h:02d}:00", "queue": "general", "volume": 400.0}
            for h in (9, 10)]  # Tuesday: 800 needs between 09:00 and 11:00, hourly intervals
    pd.DataFrame(rows).to_csv(tmp_path / "forecast.csv", index=False)
    data = base(forecast_file="forecast.csv")
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(data))
    sc = load_scenario(tmp_path / "sc.yaml")  # the file is found beside the scenario
    c = compile_scenario(sc)
    counts = []
    for seed in range(20):
        t = generate(c, seed, 0, 1).arrival_at - 86400
        counts.append((len(t), ((t >= 9 * 3600) & (t < 11 * 3600)).sum()))
    counts = np.array(counts)
    assert np.all(counts[:, 0] == counts[:, 1])  # nothing outside the forecast's hours on that date
    assert counts[:, 0].mean() == pytest.approx(800, rel=0.03)
    monday = generate(c, 0, 0, 0).arrival_at
    assert len(monday) == pytest.approx(1400 * 7 * 0.19, rel=0.1)  # dates not in the file keep the profile


def test_staffing_file_overrides_its_dates(tmp_path) -> None:
    pd.DataFrame({"date": "2024-03-06", "interval_start": [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)],
                  "agents": [3] * 48, "pool": "agents"}).to_csv(tmp_path / "roster.csv", index=False)
    data = base()
    data["pools"]["agents"]["staffing_file"] = str(tmp_path / "roster.csv")
    c = compile_scenario(parse_scenario(data))
    cp = c.pool_defs[0]
    level = lambda t: cp.change_agents[np.searchsorted(cp.change_times, t, side="right") - 1]  # noqa: E731
    weekly = data["pools"]["agents"]["staffing"]
    assert level(2 * 86400 + 12 * 3600) == 3  # Wednesday noon from the file
    assert level(1 * 86400 + 12 * 3600) == weekly["tue"][24]
    assert level(3 * 86400 + 12 * 3600) == weekly["thu"][24]
    assert level(2 * 86400 + 3 * 3600) == 3  # the file's night too


def test_dated_files_need_a_start_date_and_good_rows(tmp_path) -> None:
    pd.DataFrame({"date": ["2024-03-05"], "interval_start": ["09:00"], "queue": ["nope"], "volume": [5]}).to_csv(
        tmp_path / "f.csv", index=False)
    data = base(forecast_file=str(tmp_path / "f.csv"))
    with pytest.raises(ScenarioError, match="nope, not in the scenario's reasons"):
        parse_scenario(data)
    data["horizon"].pop("start_date")
    with pytest.raises(ScenarioError, match=r"needs horizon\.start_date"):
        parse_scenario(data)
    pd.DataFrame({"date": ["2024-03-05", "soon"], "interval_start": ["09:00", "10:00"], "volume": [5, 5]}).to_csv(
        tmp_path / "g.csv", index=False)
    with pytest.raises(ScenarioError, match=r"line 3, column date/interval_start"):
        parse_scenario(base(forecast_file=str(tmp_path / "g.csv")))
    data = base()
    data["horizon"]["start_date"] = "2024-03-05"
    with pytest.raises(ScenarioError, match="is a tue, but start_weekday is mon"):
        parse_scenario(data)


def test_one_reader_for_dated_inputs_and_calibration_data(tmp_path) -> None:
    """calendar_inputs.read_table reads both: a Parquet forecast gives the arrivals its CSV gives; a missing or
    unreadable file is refused in each place's own words."""
    from contactsim.calibration import read_data
    from contactsim.errors import ContactsimError

    rows = pd.DataFrame({"date": "2024-03-05", "interval_start": ["09:00", "10:00"], "queue": "general",
                         "volume": [400.0, 400.0]})
    rows.to_csv(tmp_path / "f.csv", index=False)
    rows.to_parquet(tmp_path / "f.parquet")
    a, b = (generate(compile_scenario(parse_scenario(base(forecast_file=str(tmp_path / f)))), 0, 0, 1).arrival_at
            for f in ("f.csv", "f.parquet"))
    assert len(a) > 0 and np.array_equal(a, b)
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    with pytest.raises(ScenarioError, match=r"bad\.parquet cannot be read"):
        parse_scenario(base(forecast_file=str(tmp_path / "bad.parquet")))
    with pytest.raises(ScenarioError, match=r"none\.csv does not exist"):
        parse_scenario(base(forecast_file=str(tmp_path / "none.csv")))
    with pytest.raises(ContactsimError, match="cannot be read as Parquet"):
        read_data(tmp_path / "bad.parquet")
    with pytest.raises(ContactsimError, match="no such file"):
        read_data(tmp_path / "none.csv")
