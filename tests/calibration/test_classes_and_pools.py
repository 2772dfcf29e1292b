"""Priority classes, shared-agent pools from skill sets, staffing without agent ids, and the empirical law."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from contactsim.calibration import calibrate
from contactsim.calibration import estimate as E
from contactsim.scenario.compiled import compile_scenario


def small_log(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Three weeks of weekday contacts on two queues; agents a* serve billing only, s* serve both queues."""
    rng = np.random.default_rng(seed)
    day = rng.integers(0, 21, n)
    t = pd.Timestamp("2024-05-06") + pd.to_timedelta(day * 86400 + 9 * 3600 + rng.random(n) * 8 * 3600, unit="s")
    queue = rng.choice(["billing", "support"], n, p=[0.7, 0.3])
    priority = np.where(rng.random(n) < 0.25, "1", "2")
    wait = rng.exponential(np.where(priority == "1", 5.0, 40.0))
    patience = rng.exponential(200.0, n)
    answered = patience > wait
    agent = np.where(queue == "support", "s" + rng.integers(0, 4, n).astype(str),
                     np.where(rng.random(n) < 0.6, "a" + rng.integers(0, 6, n).astype(str),
                              "s" + rng.integers(0, 4, n).astype(str)))
    return pd.DataFrame({"arrival_at": t, "channel": "phone", "queue": queue, "priority": priority,
                         "outcome": np.where(answered, "answered", "abandoned"),
                         "wait_s": np.minimum(wait, patience).round(1),
                         "handle_s": np.where(answered, rng.gamma(2.0, 120.0, n).round(1), np.nan),
                         "agent_id": np.where(answered, agent, None)})


def test_priority_classes_and_shared_pools(tmp_path) -> None:
    path = tmp_path / "acd.csv"
    small_log().to_csv(path, index=False)
    cal = calibrate(path)
    sc = cal.scenario
    assert set(sc.segments) == {"priority_1", "priority_2"}
    assert sc.segments["priority_1"].share == pytest.approx(0.25, abs=0.02)
    pools = {p: (set(v.reasons), v.discipline.type) for p, v in sc.pools.items()}
    assert sorted(r for r, _ in pools.values()) == [{"billing"}, {"billing", "support"}]
    assert {d for _, d in pools.values()} == {"priority"}
    assert all(v.discipline.classes[0].segments == ["priority_1"] for v in sc.pools.values())
    assert "shared agents serve every queue of their set" in cal.text
    compile_scenario(sc)  # routes: support reaches only the shared pool
    assert cal.handle["billing|phone"].chosen == "gamma"


def test_staffing_without_agent_ids_from_erlang_a(tmp_path) -> None:
    """Without agent_id, agents per interval are those whose Erlang-A mean wait matches the observed one."""
    log = small_log().drop(columns=["agent_id", "priority"])
    path = tmp_path / "no_agents.csv"
    log.to_csv(path, index=False)
    cal = calibrate(path)
    st = cal.staffing
    busy = st[(st["weekday"] < 5) & (st["busy_agents"] > 0)]
    assert (busy["agents"] >= np.floor(busy["busy_agents"])).all()  # never fewer agents than the work needs
    assert 0.5 < (busy["busy_agents"] / busy["agents"]).median() < 1.0  # a plausible implied occupancy
    assert "Erlang-A" in cal.text


def test_empirical_law_when_no_parametric_law_fits() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(60, 5, 4000), rng.normal(400, 20, 4000)]).clip(1)  # two humps
    fit = E.fit_law("handle", x, rng)
    assert fit.chosen == "empirical" and min(fit.ks.values()) > 0.04
    assert fit.spec()["dist"] == "empirical" and len(fit.spec()["values"]) == 1000
    assert np.mean(fit.spec()["values"]) == pytest.approx(x.mean(), rel=0.01)
