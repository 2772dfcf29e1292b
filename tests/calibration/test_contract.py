"""Bad data gets a clear error naming the file, the row and the column; dropped rows are counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from contactsim.calibration import Data, parse_columns, read_data
from contactsim.cli import main
from contactsim.errors import ContactsimError

GOOD = [
    "arrival_at,channel,queue,outcome,wait_s,handle_s,acw_s,agent_id,customer_id",
    "2024-03-04 08:01:10,phone,billing,answered,12.5,240,20,a1,c1",
    "2024-03-04 08:02:00,phone,billing,abandoned,45,,,,c2",
    "2024-03-04 08:03:30,phone,sales,answered,3,180,10,a2,c3",
]


def write(tmp_path: Path, lines: list[str], name: str = "calls.csv") -> Path:
    p = tmp_path / name
    p.write_text("\n".join(lines) + "\n")
    return p


def error_text(path: Path, **kw) -> str:
    with pytest.raises(ContactsimError) as e:
        read_data(path, **kw)
    return str(e.value)


def test_good_log_reads_with_types(tmp_path) -> None:
    d = read_data(write(tmp_path, GOOD))
    assert d.kind == "log" and len(d.frame) == 3 and d.dropped == {}
    assert d.frame["reason"].tolist() == ["billing", "billing", "sales"]  # queue stands in for the reason
    assert str(d.frame["arrival_at"].dtype) == "datetime64[ns]"


def test_unparseable_timestamp_names_line_and_column(tmp_path) -> None:
    text = error_text(write(tmp_path, [*GOOD, "2024-03-04 25:99,phone,billing,answered,1,100,0,a1,c9"]))
    assert "calls.csv" in text and "line 5, column arrival_at" in text and "is not a timestamp" in text
    assert "fix:" in text


def test_negative_duration(tmp_path) -> None:
    text = error_text(write(tmp_path, [*GOOD, "2024-03-04 09:00:00,phone,billing,answered,-3,100,0,a1,c9"]))
    assert "line 5, column wait_s" in text and "negative" in text and "-3" in text


def test_unknown_outcome(tmp_path) -> None:
    text = error_text(write(tmp_path, [*GOOD, "2024-03-04 09:00:00,phone,billing,transferred,3,100,0,a1,c9"]))
    assert "line 5, column outcome" in text and "answered or abandoned" in text


def test_missing_required_column(tmp_path) -> None:
    lines = [line.rsplit(",", 0)[0] for line in GOOD]
    header = lines[0].replace("wait_s", "waiting")
    text = error_text(write(tmp_path, [header, *lines[1:]]))
    assert "column wait_s" in text and "missing" in text and "--columns YOURNAME=wait_s" in text


def test_neither_log_nor_history(tmp_path) -> None:
    text = error_text(write(tmp_path, ["when,what", "1,2"]))
    assert "arrival_at" in text and "interval_start" in text


def test_mixed_time_zones(tmp_path) -> None:
    lines = [*GOOD[:2], "2024-03-04 08:02:00+01:00,phone,billing,abandoned,45,,,,c2"]
    assert "with and without a time-zone offset" in error_text(write(tmp_path, lines))
    lines = [GOOD[0], "2024-03-30 08:01:10+01:00,phone,billing,answered,12.5,240,20,a1,c1",
             "2024-04-01 08:02:00+02:00,phone,billing,abandoned,45,,,,c2"]
    p = write(tmp_path, lines, "dst.csv")
    text = error_text(p)
    assert "line 3, column arrival_at" in text and "mixes time zones" in text and "--timezone" in text
    d = read_data(p, timezone="Europe/Amsterdam")
    assert d.frame["arrival_at"].dt.hour.tolist() == [8, 8]  # local wall clock on both sides of the DST change


def test_one_offset_is_dropped_to_wall_clock(tmp_path) -> None:
    lines = [GOOD[0], "2024-03-04T08:01:10Z,phone,billing,answered,12.5,240,20,a1,c1"]
    assert read_data(write(tmp_path, lines)).frame["arrival_at"].dt.hour.tolist() == [8]


def test_dropped_rows_are_counted(tmp_path) -> None:
    lines = [*GOOD, ",phone,billing,answered,1,100,0,a1,c9", "2024-03-04 09:00:00,phone,billing,answered,3,,0,a1,c9",
             GOOD[1]]
    d = read_data(write(tmp_path, lines))
    assert len(d.frame) == 3
    assert d.dropped == {"a required value (arrival_at, channel, outcome or wait_s) is empty": 1,
                         "answered but handle_s is empty": 1, "exact duplicate of an earlier row": 1}


def test_columns_mapping_and_its_errors(tmp_path) -> None:
    header = GOOD[0].replace("arrival_at", "CallStart").replace("queue", "Skill")
    p = write(tmp_path, [header, *GOOD[1:]])
    d = read_data(p, columns=parse_columns(["CallStart=arrival_at,Skill=queue"]))
    assert len(d.frame) == 3 and d.frame["reason"].iloc[2] == "sales"
    assert "no such column" in error_text(p, columns={"Start": "arrival_at"})
    with pytest.raises(ContactsimError, match="OLD=NEW"):
        parse_columns(["CallStart"])


def test_parquet_rows_are_numbered_from_one(tmp_path) -> None:
    df = pd.DataFrame({"arrival_at": pd.to_datetime(["2024-03-04 08:00", "2024-03-04 08:05"]),
                       "channel": "phone", "outcome": ["answered", "abandoned"], "wait_s": [3.0, -1.0],
                       "handle_s": [100.0, None]})
    df.to_parquet(tmp_path / "calls.parquet")
    text = error_text(tmp_path / "calls.parquet")
    assert "row 2, column wait_s" in text


def test_interval_history_checks(tmp_path) -> None:
    p = write(tmp_path, ["interval_start,queue,offered,answered,abandoned,aht_s,asa_s,service_level,agents",
                         "2024-03-04 08:00,billing,10,9,1,200,12,1.5,3"], "hist.csv")
    assert "line 2, column service_level" in error_text(p) and "is above 1" in error_text(p)
    p = write(tmp_path, ["interval_start,queue,offered", "2024-03-04 08:00,billing,10",
                         "2024-03-04 08:20,billing,10"], "odd.csv")
    assert "20 minutes apart" in error_text(p)


def test_cli_reports_bad_data_with_exit_2_and_no_traceback(tmp_path, capsys) -> None:
    p = write(tmp_path, [*GOOD, "yesterday,phone,billing,answered,1,100,0,a1,c9"])
    assert main(["calibrate", str(p), "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "line 5, column arrival_at" in err and "calls.csv" in err
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("minutes", [7, 45])
def test_unsupported_interval_is_one_error_for_api_and_cli(tmp_path, capsys, minutes: int) -> None:
    """The interval length is checked once, where the data is read: the API (which used to fail without saying
    why for 7 minutes, and to go on for 45) and the CLI give the same one-line error, and nothing is written."""
    import contactsim

    expected = (f"error: --interval (interval_minutes): not a supported interval length (got {minutes}); "
                "use 5, 15, 30 or 60")
    p = write(tmp_path, GOOD)
    with pytest.raises(ContactsimError) as e:
        contactsim.calibrate(p, out=tmp_path / "api.yaml", interval_minutes=minutes)
    assert str(e.value) == expected
    assert main(["calibrate", str(p), "--out", str(tmp_path / "cli.yaml"), "--interval", str(minutes)]) == 2
    assert capsys.readouterr().err.strip() == expected
    assert not list(tmp_path.glob("*.yaml"))
    with pytest.raises(ContactsimError, match="not a supported interval length"):
        Data("log", pd.DataFrame(), "hand-made", 0, interval_minutes=minutes)


@pytest.mark.parametrize("dropped", ["asa_s", "abandoned"])
def test_history_without_what_patience_needs_names_the_columns(tmp_path, capsys, dropped: str) -> None:
    """An interval history without abandoned or asa_s used to end in '<calibrated scenario>: ... patience:
    Input should be a valid dictionary' (a scenario the user never wrote); now the data file and columns."""
    import contactsim

    log = pd.read_csv(Path(__file__).parents[2] / "examples" / "data" / "sample_log.csv", parse_dates=["arrival_at"])
    log = log[log["arrival_at"] < "2024-03-25"]
    log["interval_start"] = log["arrival_at"].dt.floor("30min").dt.strftime("%Y-%m-%d %H:%M")
    ans = log["outcome"] == "answered"
    g = log.assign(answered=ans, abandoned=~ans, asa_s=log["wait_s"].where(ans), aht_s=log["handle_s"].where(ans),
                   agents=1).groupby(["interval_start", "channel"])
    hist = g.agg(offered=("answered", "size"), answered=("answered", "sum"), abandoned=("abandoned", "sum"),
                 aht_s=("aht_s", "mean"), asa_s=("asa_s", "mean"), agents=("agents", "sum")).reset_index()
    p = tmp_path / "history.csv"
    hist.drop(columns=[dropped]).to_csv(p, index=False)
    with pytest.raises(ContactsimError) as e:
        contactsim.calibrate(p)
    text = str(e.value)
    assert text.startswith(f"{p}: invalid data") and "column abandoned and asa_s: needed to estimate patience" in text
    assert main(["calibrate", str(p), "--out", str(tmp_path / "x.yaml")]) == 2
    assert "abandoned and asa_s" in capsys.readouterr().err and not (tmp_path / "x.yaml").exists()
    hist.to_csv(p, index=False)  # with both columns the same history calibrates
    assert contactsim.calibrate(p).estimate("segments.customers.patience.phone.mean").value > 0
