"""The comparison maths on small M/M/c queues: paired differences under common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
from helpers import build, mmc_dict

from contactsim.compare import compare

SMALL = {"hours": 20.0, "warmup_hours": 2.0, "replications": 6}


def _row(diffs: pd.DataFrame, metric: str) -> pd.Series:
    d = diffs[
        (diffs["metric"] == metric)
        & (diffs["segment"] == "all")
        & (diffs["channel"] == "all")
        & (diffs["pool"] == "all")
        & (diffs["interval"] == "all")
    ]
    assert len(d) == 1, metric
    return d.iloc[0]


def test_a_scenario_against_itself_differs_by_exactly_zero() -> None:
    sc = build(mmc_dict(100.0, 180.0, 6, patience_s=300.0, **SMALL))
    cmp = compare([sc, sc], workers=1, keep_records=False)
    d = cmp.differences
    assert cmp.names == ["mmc", "mmc-2"]
    assert len(d) > 100 and (d["n"] == 6).any()
    finite = d["diff_mean"].notna()
    assert finite.sum() > 100
    assert (d.loc[finite, "diff_mean"] == 0.0).all()
    both = finite & (d["n"] > 1)
    assert (d.loc[both, "ci_low"] == 0.0).all() and (d.loc[both, "ci_high"] == 0.0).all()
    assert not d["significant"].any()
    assert np.array_equal(d.loc[finite, "baseline_mean"], d.loc[finite, "scenario_mean"])


def test_one_more_agent_cuts_the_mean_wait_significantly() -> None:
    six = build(mmc_dict(100.0, 180.0, 6, patience_s=300.0, **SMALL))  # 5 Erlangs offered
    seven = build(mmc_dict(100.0, 180.0, 7, patience_s=300.0, **SMALL) | {"name": "seven"})
    d = compare([six, seven], workers=1, keep_records=False).differences
    wait = _row(d, "mean_wait_s")
    assert wait["diff_mean"] < 0 and wait["ci_high"] < 0 and bool(wait["significant"])
    assert wait["scenario_mean"] < wait["baseline_mean"]
    sl = _row(d, "service_level")
    assert sl["diff_mean"] > 0 and sl["ci_low"] > 0
    # the same customers arrive in both runs: offered volume is identical replication by replication
    assert _row(d, "offered")["diff_mean"] == 0.0
