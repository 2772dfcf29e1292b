"""The comparison maths on small M/M/c queues: paired differences under common random numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
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


def test_a_count_missing_in_a_replication_is_zero_in_the_differences_as_in_the_summary() -> None:
    """Bug (issue 14, found consolidating the confidence intervals): paired differences dropped a replication in
    which a cell had no contacts (no ``offered`` row), while the summary counts it as 0; so the difference of
    means disagreed with the summaries' means (and a pool only one scenario has got no difference rows)."""
    from contactsim.compare import paired_differences
    from contactsim.metrics import summarise

    def kpis(values: dict[int, float], metric: str = "offered", pool: str = "all") -> pd.DataFrame:
        return pd.DataFrame([{"replication": r, "segment": "all", "channel": "all", "pool": pool,
                              "interval": "all", "metric": metric, "value": v} for r, v in values.items()]
                            + [{"replication": r, "segment": "x", "channel": "all", "pool": "all", "interval": "all",
                                "metric": "needs", "value": 1.0} for r in range(3)])

    base, other = kpis({0: 4.0, 1: 6.0, 2: 5.0}), kpis({0: 3.0, 1: 2.0})  # replication 2: no contacts
    d = paired_differences(base, other, "a", "b")
    row = d[d["metric"] == "offered"].iloc[0]
    mean = lambda k: summarise(k).set_index("metric").loc["offered", "mean"]  # noqa: E731
    assert row["n"] == 3 and row["diff_mean"] == pytest.approx(mean(other) - mean(base)) == -10 / 3
    assert row["baseline_mean"] == mean(base) and row["scenario_mean"] == mean(other)
    only = paired_differences(base, pd.concat([other, kpis({0: 2.0, 1: 2.0, 2: 2.0}, "agents", "new")]), "a", "b")
    assert only.loc[only["pool"] == "new", "diff_mean"].tolist() == [2.0]
