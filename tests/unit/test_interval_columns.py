"""KPI rows carry their interval's start (seconds) and weekday beside the label; readers use those, never the label.

Issue 14: interval labels used to be parsed back with regexes and string slicing (figures, export, staffing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import build, mmc_dict

from contactsim.experiment import simulate
from contactsim.export import wide_intervals
from contactsim.metrics import INTERVAL_COLUMNS
from contactsim.report import figures as F
from contactsim.results import read_run, write_run


def calendar_dict(mode: str = "auto") -> dict:
    d = mmc_dict(60, 240, 6, patience_s=120, replications=2)
    d["horizon"] = {"days": 2, "start_weekday": "fri", "interval_minutes": 60}
    d["run"]["interval_kpis"] = mode
    d["arrivals"] = {"intraday": [1 / 24] * 24}
    return d


@pytest.fixture(scope="module")
def run():
    return simulate(build(calendar_dict()), replications=2, workers=1)


def test_interval_start_is_where_the_counted_contacts_arrived(run) -> None:
    k, contacts = run.kpis, run.contacts
    assert list(k.columns[k.columns.get_loc("interval") + 1:][:2]) == list(INTERVAL_COLUMNS)
    rows = k[(k["metric"] == "offered") & (k["segment"] == "all") & (k["channel"] == "all")
             & (k["pool"] == "all") & (k["interval"] != "all")]
    assert len(rows) == 2 * 48
    for _, r in rows.iterrows():
        c = contacts[contacts["replication"] == r["replication"]]
        n = ((c["arrival_at"] >= r["interval_start_s"]) & (c["arrival_at"] < r["interval_start_s"] + 3600)).sum()
        assert n == r["value"]
    day = (rows["interval_start_s"] // 86400).astype(int)
    assert set(zip(day, rows["weekday"], strict=True)) == {(0, "Fri"), (1, "Sat")}
    top = k[k["interval"] == "all"]
    assert top["interval_start_s"].isna().all() and top["weekday"].isna().all()
    s = run.summary[run.summary["interval"] != "all"]
    assert s["interval_start_s"].notna().all() and set(s["weekday"]) == {"Fri", "Sat"}


def test_time_of_week_rows_start_from_monday() -> None:
    res = simulate(build(calendar_dict("time_of_week")), replications=1, workers=1)
    s = res.summary[(res.summary["interval"] != "all") & (res.summary["metric"] == "agents")]
    assert len(s) == 7 * 24
    assert s["interval_start_s"].min() == 0 and s["interval_start_s"].max() == 7 * 86400 - 3600
    wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert (s["weekday"] == [wd[int(t // 86400)] for t in s["interval_start_s"]]).all()


def test_readers_never_parse_labels(run) -> None:
    """Opaque labels give the same export columns and figure axis: the numbers are read, not the text."""
    summary = run.summary.assign(scenario="x")
    names = {lab: f"slot {i}" for i, lab in enumerate(pd.unique(summary["interval"])) if lab != "all"}
    opaque = summary.assign(interval=summary["interval"].map(lambda v: names.get(v, v)))
    a, b = wide_intervals(summary, 60), wide_intervals(opaque, 60)
    cols = ["day", "weekday", "start", "end", "channel", "segment", "offered"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert a["day"].tolist()[:1] == [1] and a["start"].tolist()[:1] == ["00:00"]
    fa, fb = F.intraday_occupancy(summary), F.intraday_occupancy(opaque)
    assert list(fa.data[0].x) == list(fb.data[0].x) == [h for h in np.arange(48.0)]
    assert fa.layout.xaxis.ticktext == fb.layout.xaxis.ticktext


def test_old_run_folders_get_the_columns_at_read_time(run, tmp_path) -> None:
    folder = write_run(run, out=tmp_path / "run")
    new = read_run(folder)
    for name in ("summary.csv",):
        old = pd.read_csv(folder / name).drop(columns=list(INTERVAL_COLUMNS))
        old.to_csv(folder / name, index=False)
    pd.read_parquet(folder / "kpis.parquet").drop(columns=list(INTERVAL_COLUMNS)).to_parquet(folder / "kpis.parquet")
    back = read_run(folder)
    for key in ("summary", "kpis"):
        pd.testing.assert_frame_equal(back[key], new[key], check_dtype=False)


@pytest.mark.parametrize(("days", "mode"), [(35, "absolute"), (36, "time_of_week")])
def test_interval_kpis_auto_resolved_once_for_kpis_and_the_resource_estimate(days, mode) -> None:
    """``run.interval_kpis: auto`` has one reading (``tables.interval_kpis_mode``): the KPI tables and the
    resource estimate's KPI columns agree on both sides of 35 days."""
    from contactsim.resources import _intervals
    from contactsim.scenario.compiled import compile_scenario

    d = calendar_dict()
    d["horizon"]["days"] = days
    sc = build(d)
    c = compile_scenario(sc)
    assert c.kpi.interval_kpis == mode
    assert _intervals(sc)[1] == (days * 24 if mode == "absolute" else 7 * 24)


def test_an_export_builds_the_interval_lookup_once(run, tmp_path, monkeypatch) -> None:
    """The wide CSV and the staffing sheet share one metrics.interval_table of the summary (was built twice)."""
    import contactsim.export as export

    folder = write_run(run, out=tmp_path / "run")
    calls: list[int] = []
    real = export.interval_table
    monkeypatch.setattr(export, "interval_table", lambda frame: calls.append(len(frame)) or real(frame))
    export.write_exports(folder)
    assert len(calls) == 1
    staffing = pd.read_excel(folder / "contactsim.xlsx", sheet_name="staffing")
    assert list(staffing.columns[:4]) == ["day", "weekday", "start", "end"] and staffing["start"].notna().all()
