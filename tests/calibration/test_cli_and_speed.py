"""The two commands on the bundled sample log, the Python API, and calibration speed on a 1M-contact log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import contactsim as cs
from contactsim.cli import main
from contactsim.scenario.load import load_scenario

SAMPLE = Path(__file__).parents[2] / "examples" / "data" / "sample_log.csv"


def test_sample_log_is_small_and_follows_the_contract() -> None:
    assert SAMPLE.stat().st_size < 1_500_000
    header = SAMPLE.read_text().splitlines()[0].split(",")
    assert {"arrival_at", "channel", "outcome", "wait_s", "handle_s", "agent_id", "customer_id"} <= set(header)


def test_calibrate_then_backtest_commands(tmp_path, capsys) -> None:
    out = tmp_path / "centre.yaml"
    assert main(["calibrate", str(SAMPLE), "--out", str(out), "--name", "centre"]) == 0
    text = capsys.readouterr().out
    assert "special dates left out: 2024-04-01" in text and "retrial.probability" in text
    sc = load_scenario(out)  # runs as is
    assert sc.name == "centre" and sc.horizon.interval_minutes == 30
    assert set(sc.reasons) == {"billing", "support"}
    assert sc.segments["customers"].retrial is not None
    assert (tmp_path / "centre.observed.csv").exists() and (tmp_path / "centre.calibration.html").exists()
    assert "2024-04-01" in out.read_text()  # the holiday is listed in the scenario's comments
    assert main(["backtest", str(SAMPLE), str(out), "-n", "3", "--weeks", "1", "--seed", "3"]) == 0
    text = capsys.readouterr().out
    assert "service_level" in text and "95% band" in text
    html = (tmp_path / "centre.backtest.html").read_text()
    assert 'id="bands"' in html and "connect-src 'none'" in html


def test_python_api_and_column_mapping(tmp_path) -> None:
    renamed = tmp_path / "acd.csv"
    renamed.write_text(SAMPLE.read_text().replace("arrival_at,channel,reason", "CallStart,Medium,reason", 1))
    cal = cs.calibrate(renamed, columns={"CallStart": "arrival_at", "Medium": "channel"}, interval_minutes=60)
    assert isinstance(cal, cs.Calibration)
    assert cal.scenario.horizon.interval_minutes == 60 and len(cal.scenario.arrivals.intraday) == 24
    assert cal.estimate("reasons.billing.handle_time.phone.mean").value == pytest.approx(210, rel=0.05)


@pytest.mark.slow
def test_a_million_contacts_calibrate_in_under_a_minute(tmp_path) -> None:
    from contactsim.calibration.export import synthetic_log

    log = synthetic_log(1_000_000, seed=1)
    path = tmp_path / "big.parquet"
    log.to_parquet(path)
    t = time.perf_counter()
    cal = cs.calibrate(path, out=tmp_path / "big.yaml")
    elapsed = time.perf_counter() - t
    assert len(cal.data.frame) >= 999_000
    assert elapsed < 60, elapsed
    assert cal.estimate("reasons.billing.handle_time.phone.mean").value == pytest.approx(240, rel=0.02)
