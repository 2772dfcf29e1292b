"""Summary tables on disk: whole-horizon rows in CSV for a person, every row exact in Parquet.

Review findings 3 and 4 (issue 14): the comparison folder wrote every per-interval row to CSV twice, and
``read_run`` gave the whole-horizon rows back rounded (CSV, 10 digits) next to exact per-interval rows.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import build, mmc_dict

from contactsim import io
from contactsim.compare import compare, write_comparison
from contactsim.report.data import load_comparison
from contactsim.results import read_rows, read_run, write_run


def _dict(name: str, agents: int) -> dict:
    d = mmc_dict(60, 240, agents, patience_s=120, hours=6, replications=2)
    d["name"] = name
    d["horizon"]["interval_minutes"] = 60
    return d


@pytest.fixture(scope="module")
def cmp():
    return compare([build(_dict("base", 5)), build(_dict("more", 6))], workers=1, keep_records=False)


def _csv(path) -> pd.DataFrame:
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def test_read_run_gives_the_summary_back_exactly(cmp, tmp_path) -> None:
    res = cmp.runs[0]
    folder = write_run(res, out=tmp_path / "run")
    pd.testing.assert_frame_equal(read_run(folder)["summary"], res.summary, check_exact=True)
    assert set(_csv(folder / "summary.csv")["interval"]) == {"all"}


def test_comparison_folder_keeps_per_interval_rows_out_of_its_csvs(cmp, tmp_path) -> None:
    folder = write_comparison(cmp, tmp_path / "cmp")
    assert (cmp.summary["interval"] != "all").any() and (cmp.differences["interval"] != "all").any()
    for csv, parquet, table in (("summary.csv", "intervals.parquet", cmp.summary),
                                ("differences.csv", "differences_intervals.parquet", cmp.differences)):
        on_disk = _csv(folder / csv)
        assert set(on_disk["interval"]) == {"all"}
        assert len(on_disk) == (table["interval"] == "all").sum()
        pd.testing.assert_frame_equal(read_rows(folder, csv, parquet), table, check_exact=True)
    pd.testing.assert_frame_equal(load_comparison(folder).differences, cmp.differences, check_exact=True)


def test_older_folders_still_read(cmp, tmp_path) -> None:
    """Every row in the CSV (folders written before the Parquet copy): the same rows, to the CSV's 10 digits."""
    res, folder = cmp.runs[0], tmp_path / "run"
    write_run(res, out=folder)
    (folder / "intervals.parquet").unlink()
    io.write_csv(folder / "summary.csv", res.summary)
    whole = read_run(folder)["summary"]
    pd.testing.assert_frame_equal(whole, res.summary, check_exact=False, rtol=1e-9, check_dtype=False)

    cfolder = write_comparison(cmp, tmp_path / "cmp")
    (cfolder / "differences_intervals.parquet").unlink()
    io.write_csv(cfolder / "differences.csv", cmp.differences)
    pd.testing.assert_frame_equal(load_comparison(cfolder).differences, cmp.differences, check_exact=False,
                                  check_dtype=False, rtol=1e-9)
