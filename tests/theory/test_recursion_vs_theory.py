"""The FCFS recursion against queueing theory over many replications (cheap: one Python loop for all).

Same rule as test_engine_vs_theory.py: the analytic value must lie inside the 99% Student-t interval of
independent replications at a fixed seed, and the interval must be tight enough to mean something.
"""

from __future__ import annotations

import pytest

from contactsim import erlang
from contactsim.fcfs_scenario import mmc_sweep
from contactsim.stats import mean_ci

CONF = 0.99


def _inside(k, metric: str, expected: float, width: float) -> None:
    ci = mean_ci(k[metric].to_numpy(), CONF)
    assert ci.low <= expected <= ci.high, (
        f"{metric}: theory {expected:.5g} outside the recursion's {CONF:.0%} CI [{ci.low:.5g}, {ci.high:.5g}]")
    assert ci.half_width < width, f"{metric}: CI half-width {ci.half_width:.3g} too wide for a meaningful check"


@pytest.mark.parametrize(("agents", "load", "patience"), [
    pytest.param(50, 50.0, 300.0, id="erlang-a-c50-rho1"),
    pytest.param(100, 110.0, 120.0, id="erlang-a-c100-overloaded"),
])
def test_erlang_a(agents: int, load: float, patience: float) -> None:
    aht = 300.0
    lam = load / aht
    k = mmc_sweep(lam * 3600, aht, [agents], patience_s=patience, hours=12, warmup_hours=1, replications=80,
                  seed=11)
    th = erlang.erlang_a_metrics(lam, 1 / aht, agents, 1 / patience, 20.0)
    _inside(k, "abandon_rate", th.p_abandon, 0.1 * th.p_abandon)
    _inside(k, "mean_wait_s", th.asa_s, 0.1 * th.asa_s)
    _inside(k, "p_wait", th.p_wait, 0.05)
    _inside(k, "service_level", th.service_level, 0.05)
    _inside(k, "occupancy", th.occupancy, 0.01)


def test_erlang_c() -> None:
    aht, agents, load = 300.0, 100, 92.0
    lam = load / aht
    k = mmc_sweep(lam * 3600, aht, [agents], hours=12, warmup_hours=1, replications=80, seed=12)
    th = erlang.mmc_metrics(lam, 1 / aht, agents, 20.0)
    assert k["abandoned"].sum() == 0
    _inside(k, "p_wait", th.p_wait, 0.05)
    _inside(k, "mean_wait_s", th.asa_s, 0.25 * th.asa_s)
    _inside(k, "service_level", th.service_level, 0.05)
