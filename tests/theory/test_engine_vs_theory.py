"""The engine against queueing theory: the analytic value must lie inside the simulated CI.

Fixed seeds make these deterministic. Assertions use a 99% Student-t interval over independent
replications (a correct engine then fails a single check 1% of the time, on a fixed seed never by
chance drift); a failing check calls for more replications, never for another seed.
"""

from __future__ import annotations

import pytest
from helpers import build, mmc_dict, two_class_dict

from contactsim import erlang
from contactsim.experiment import simulate
from contactsim.stats import mean_ci

CONF = 0.99


def inside(result, metric: str, expected: float, segment: str = "all"):
    ci = mean_ci(result.values(metric, segment=segment).to_numpy(), CONF)
    assert ci.low <= expected <= ci.high, (
        f"{metric}[{segment}]: theory {expected:.5g} outside simulated {CONF:.0%} CI "
        f"[{ci.low:.5g}, {ci.high:.5g}] (mean {ci.mean:.5g}, n={ci.n})"
    )
    # and the interval is tight enough to mean something
    return ci


@pytest.mark.parametrize(
    ("agents", "load", "hours", "reps"),
    [
        pytest.param(5, 2.5, 300, 10, id="light-c5-rho0.5"),
        pytest.param(10, 9.0, 600, 10, id="heavy-c10-rho0.9"),
        pytest.param(100, 92.0, 150, 8, id="large-c100-rho0.92"),
    ],
)
def test_erlang_c(agents: int, load: float, hours: float, reps: int) -> None:
    aht = 300.0
    lam = load / aht
    res = simulate(build(mmc_dict(lam * 3600, aht, agents, hours=hours, replications=reps)), workers=1)
    th = erlang.mmc_metrics(lam, 1 / aht, agents, 20.0)
    inside(res, "p_wait", th.p_wait)
    ci = inside(res, "mean_wait_s", th.asa_s)
    assert ci.half_width < 0.25 * th.asa_s + 1.0, "too few replications for a meaningful check"
    inside(res, "service_level", th.service_level)
    assert res.values("abandoned").sum() == 0


@pytest.mark.parametrize(
    ("agents", "load", "patience", "hours", "reps"),
    [
        pytest.param(20, 20.0, 600.0, 200, 20, id="critical-c20-rho1"),
        pytest.param(10, 12.0, 180.0, 200, 10, id="overloaded-c10-rho1.2"),
    ],
)
def test_erlang_a(agents: int, load: float, patience: float, hours: float, reps: int) -> None:
    aht = 300.0
    lam = load / aht
    res = simulate(build(mmc_dict(lam * 3600, aht, agents, patience_s=patience, hours=hours, replications=reps)),
                   workers=1)
    th = erlang.erlang_a_metrics(lam, 1 / aht, agents, 1 / patience, 20.0)
    inside(res, "abandon_rate", th.p_abandon)
    inside(res, "mean_wait_s", th.asa_s)
    inside(res, "p_wait", th.p_wait)
    inside(res, "service_level", th.service_level)


def test_two_class_priority_mean_waits() -> None:
    aht = 300.0
    lam_h, lam_l = 1.5 / aht, 2.5 / aht  # 5 agents at 80% load, 37.5% high priority
    d = two_class_dict(lam_h * 3600, lam_l * 3600, aht, 5, hours=600, replications=10)
    res = simulate(build(d), workers=1)
    w_high, w_low = erlang.mmc_priority_waits([lam_h, lam_l], 1 / aht, 5)
    inside(res, "mean_wait_s", w_high, segment="high")
    inside(res, "mean_wait_s", w_low, segment="low")
    assert res.kpi("mean_wait_s", segment="high")["ci_high"] < res.kpi("mean_wait_s", segment="low")["ci_low"]
