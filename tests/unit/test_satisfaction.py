"""Satisfaction formulas at their edges, monotone, and in range for any input (hypothesis)."""

from __future__ import annotations

import numpy as np
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from contactsim import satisfaction as s
from contactsim.scenario.schema import Churn, Csat

P = Csat()
CH = Churn()


def test_edges() -> None:
    assert s.csat(P, 0, 20, True, 0, 1, False) == P.base  # no wait, resolved, no effort, preferred channel
    assert s.csat(P, 1e7, 20, True, 0, 1, False) == np.clip(P.base - P.speed_weight, 1, 5)  # huge wait
    assert s.csat(P, 0, 20, False, 0, 1, False) == P.base - P.resolution_weight  # unresolved
    assert s.csat(P, 0, 20, True, 0, 1, True) == P.abandoned_score
    assert s.effort_score(0) == 1.0
    assert 6.9 < s.effort_score(100) <= 7.0
    assert s.churn_probability(CH, 5.0) < s.churn_probability(CH, 1.0) <= CH.baseline + CH.max_extra
    assert s.value_at_risk(CH, 5.0, 1000) >= 0


@given(w1=st.floats(0, 1e6), w2=st.floats(0, 1e6), e=st.floats(1, 1e4))
def test_more_wait_never_raises_csat(w1: float, w2: float, e: float) -> None:
    lo, hi = sorted((w1, w2))
    assert s.csat(P, hi, e, True, 1, 1, False) <= s.csat(P, lo, e, True, 1, 1, False)


@given(a=st.floats(0, 1e3), b=st.floats(0, 1e3))
def test_more_effort_never_lowers_the_effort_score(a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    assert s.effort_score(hi) >= s.effort_score(lo)
    assert s.csat(P, 10, 20, True, hi, 1, False) <= s.csat(P, 10, 20, True, lo, 1, False)


@settings(max_examples=examples(300))
@given(w=st.floats(0, 1e7), e=st.floats(0.001, 1e7), r=st.booleans(), steps=st.floats(0, 1e4),
       fit=st.floats(0, 1), ab=st.booleans(), value=st.floats(0, 1e7))
def test_always_in_range(w: float, e: float, r: bool, steps: float, fit: float, ab: bool, value: float) -> None:
    c = float(s.csat(P, w, e, r, steps, fit, ab))
    assert 1.0 <= c <= 5.0
    assert 1.0 <= float(s.effort_score(steps)) <= 7.0
    p = float(s.churn_probability(CH, c))
    assert CH.baseline <= p <= CH.baseline + CH.max_extra
    assert 0.0 <= float(s.value_at_risk(CH, c, value)) <= CH.max_extra * value + 1e-9
