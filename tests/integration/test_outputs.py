"""What planners read: the console keeps live and deferred channels apart (e-mail waits in hours), tells the
business case, prints percentage points as pp and net cost when revenue moves; exports carry clock-time
columns and open in Excel."""

from __future__ import annotations

import re

import openpyxl
import pandas as pd
import pytest
from helpers import mmc_dict

from contactsim.cli import main


def _scenario(tmp_path, fee: float = 5.0, name: str = "shop") -> str:
    d = mmc_dict(60, 240, 5, patience_s=300, replications=3)
    d["name"] = name
    d["horizon"] = {"days": 1, "interval_minutes": 60, "drain_hours": 24}
    d["arrivals"] = {"intraday": [0.0] * 8 + [0.1] * 10 + [0.0] * 6}
    d["channels"]["phone"]["opening_hours"] = {"mon-fri": "08:00-18:00"}
    d["channels"]["email"] = {"kind": "email", "abandonment": False, "sla_hours": 8}
    d["segments"]["customers"]["channel_preference"] = {"phone": 0.8, "email": 0.2}
    d["reasons"]["question"]["handle_time"]["email"] = {"dist": "exponential", "mean": 300}
    d["pools"]["mail"] = {"channels": ["email"], "shifts": [{"days": "mon-fri", "start": "09:00", "end": "17:00",
                                                             "agents": 1}]}
    d["segments"]["customers"]["customers"] = 10000
    del d["segments"]["customers"]["share"]
    d["policies"] = {"premium": {"take_up": {"customers": 0.2}, "fee_per_month": fee,
                                 "promise": {"seconds": 30, "share": 0.9}, "promise_channels": ["phone"]}}
    import yaml

    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(d))
    return str(path)


def test_console_separates_live_and_deferred_and_tells_the_business_case(tmp_path, capsys) -> None:
    out_dir = tmp_path / "run"
    assert main(["run", _scenario(tmp_path), "--out", str(out_dir), "--no-report", "-w", "1"]) == 0
    text = capsys.readouterr().out
    assert "all live" in text and "all deferred" in text
    lines = text.splitlines()
    # no mixed 'all channels' row: every 'all' segment row names a channel or a kind
    assert not any(re.match(r"^│ all\s+│ all\s+│", ln) for ln in lines)
    email = next(ln for ln in lines if re.match(r"^│ all\s+│ email", ln))
    assert re.search(r"\d+\.\d h", email), email  # e-mail waits in hours
    phone = next(ln for ln in lines if re.match(r"^│ all\s+│ phone", ln))
    assert re.search(r"\d+\.\d s", phone)
    assert "business case" in text and "revenue EUR" in text and "net cost EUR" in text
    assert "promise 90% within 30 s on phone" in text
    assert "agents on duty (mean while staffed)" in text
    # exports: wide CSV with clock columns, Excel workbook with the sheets planners open
    assert main(["export", str(out_dir)]) == 0
    wide = pd.read_csv(out_dir / "intervals_wide.csv")
    assert list(wide.columns[:4]) == ["day", "weekday", "start", "end"]
    assert {"agents agents", "agents mail", "service_level", "offered"} <= set(wide.columns)
    assert wide["start"].str.match(r"^\d\d:\d\d$").all()
    assert wide.loc[wide["channel"] == "all", "asa_s"].isna().all()  # no mixed waits
    book = openpyxl.load_workbook(out_dir / "contactsim.xlsx", read_only=True)
    assert {"summary", "intervals", "staffing"} <= set(book.sheetnames)
    head = next(book["intervals"].iter_rows(max_row=1, values_only=True))
    assert head[:4] == ("day", "weekday", "start", "end")
    acd = pd.read_csv(out_dir / "acd_summary.csv")
    assert {"sl_acd", "aht_s", "talk_time_s", "backlog_sla"} <= set(acd["metric"])


def test_compare_prints_percentage_points_and_net_cost(tmp_path, capsys) -> None:
    a, b = _scenario(tmp_path, fee=0.0, name="base"), _scenario(tmp_path, fee=9.0, name="paid")
    assert main(["compare", a, b, "--out", str(tmp_path / "cmp"), "--no-report", "-n", "3", "-w", "1"]) == 0
    text = capsys.readouterr().out
    assert " pp" in text and not re.search(r"[+-]\d+\.\d%", text)
    assert "net cost (cost - revenue)" in text and "revenue +" in text


@pytest.mark.parametrize("bad", ["nowhere"])
def test_export_refuses_a_folder_that_is_not_a_run(tmp_path, bad, capsys) -> None:
    assert main(["export", str(tmp_path / bad)]) == 2
    assert "not a complete run folder" in capsys.readouterr().err
