"""metrics._by_replication is the pivot the summary used to make (issue 14 speed): same rows, same values."""

from __future__ import annotations

import numpy as np
import pandas as pd

from contactsim.metrics import _by_replication


def test_by_replication_equals_the_pivot_table_with_gaps_duplicates_and_missing_values() -> None:
    rng = np.random.default_rng(7)
    n = 400
    kpis = pd.DataFrame({
        "replication": rng.choice([3, 0, 7], n),
        "segment": rng.choice(["all", "a", "b"], n),
        "metric": rng.choice(["offered", "asa_s", "fcr"], n),
        "value": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
    })
    kpis.loc[5, "segment"] = None  # a row without a key is left out, as groupby does
    cols = ["segment", "metric"]
    wide = kpis.pivot_table(index=cols, columns="replication", values="value", aggfunc="first", observed=True)
    keys, vals = _by_replication(kpis, cols)
    got = pd.DataFrame(vals, index=pd.MultiIndex.from_frame(keys), columns=[0, 3, 7]).sort_index()
    expected = wide.reindex(columns=[0, 3, 7]).sort_index()
    pd.testing.assert_frame_equal(got, expected, check_names=False, check_exact=True)


def test_summarise_of_an_empty_kpi_frame_is_an_empty_summary_with_the_usual_columns() -> None:
    """Review finding 5: an empty KPI frame raised in the reshape; like the pivot it replaced, it gives no rows
    and the columns a non-empty summary has (with and without the interval columns)."""
    from contactsim.metrics import summarise

    one = pd.DataFrame({"replication": [0, 1], "segment": ["a", "a"], "channel": ["phone"] * 2, "pool": ["x"] * 2,
                        "interval": ["all"] * 2, "metric": ["offered"] * 2, "value": [1.0, 3.0]})
    for kpis in (one, one.assign(interval_start_s=np.nan, weekday="")):
        expected = summarise(kpis)
        assert len(expected) == 1 and expected["mean"].tolist() == [2.0]
        got = summarise(kpis.iloc[:0])
        assert got.empty and got.columns.tolist() == expected.columns.tolist()
