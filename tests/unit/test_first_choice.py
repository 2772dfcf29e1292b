"""Staffing asks routing which pool a contact joins first (``compiled.first_choice``), never a rule of its own.

Regression (issue 14 review): staffing's first-choice pool (``rules.eligible_pools``) ignored the account
managers' pool, identification and ``serves``, so the staffing pilot gave unanswered contacts of account-manager
customers to the phone team and back office (first in the file) although routing puts them with their advisor
first, and gave anonymous contacts to a pool for one segment that routing never lets them join.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import build, mmc_dict

from contactsim.errors import ContactsimError
from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.load import load_scenario
from contactsim.staffing import first_choice_segments, pool_demand

SCENARIOS = Path(__file__).parents[2] / "scenarios"
AM_SEGMENTS = ["online_single", "household", "advice"]


def _unanswered(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Abandoned contacts (no pool in the records) on Monday from 10:00, one need each, replication 0."""
    n = len(rows)
    return pd.DataFrame({
        "replication": np.zeros(n, dtype=np.int32), "need_id": np.arange(n), "arrival_at": 36_000.0 + np.arange(n),
        "pool": pd.Categorical([None] * n), "segment": [r[0] for r in rows], "reason": [r[1] for r in rows],
        "channel": [r[2] for r in rows], "premium": np.zeros(n, dtype=bool), "tier": np.zeros(n, dtype=np.int8),
        "outcome": ["abandoned"] * n, "handle_s": np.full(n, np.nan), "acw_s": np.zeros(n)})


def _offered(demand: dict[str, pd.DataFrame]) -> dict[str, float]:
    return {p: round(float(f["offered"].sum()), 9) for p, f in demand.items()}


def test_account_manager_customers_are_the_advisors_first_choice() -> None:
    sc = load_scenario(SCENARIOS / "relationship_modes" / "account_manager.yaml")
    assert first_choice_segments(sc, "advisors") == AM_SEGMENTS
    assert first_choice_segments(sc, "phone_team") == [] and first_choice_segments(sc, "back_office") == []
    demand = pool_demand(sc, _unanswered([("household", "claim", "phone"), ("advice", "question", "email")]), 1)
    assert _offered(demand) == {"phone_team": 0.0, "digital_team": 0.0, "back_office": 0.0, "advisors": 2.0}


def test_anonymous_contacts_go_where_routing_sends_them() -> None:
    """Half of the VIPs are identified at the front door; only those may join the VIP team (listed first)."""
    d = mmc_dict(60, 240, 4, patience_s=120)
    d["segments"] = {"vip": {"share": 0.2, "channel_preference": {"phone": 1.0}, "identified_share": 0.5,
                             "patience": {"phone": {"dist": "exponential", "mean": 120}}},
                     "mass": {"share": 0.8, "channel_preference": {"phone": 1.0},
                              "patience": {"phone": {"dist": "exponential", "mean": 120}}}}
    d["pools"] = {"vip_team": {"channels": ["phone"], "segments": ["vip"], "staffing": 2},
                  "general": {"channels": ["phone"], "staffing": 4, "takes_overflow_after_s": 30}}
    sc = build(d)
    contacts = _unanswered([("vip", "question", "phone"), ("vip", "question", "phone"),
                            ("mass", "question", "phone")])
    needs = pd.DataFrame({"replication": [0, 0, 0], "need_id": [0, 1, 2], "identified": [True, False, True],
                          "customer_value": 0.0, "tenure_years": 0.0, "products": 1})
    assert _offered(pool_demand(sc, contacts, 1, needs)) == {"vip_team": 1.0, "general": 2.0}
    with pytest.raises(ContactsimError, match="cannot tell which pool"):  # unknown identification: refused
        pool_demand(sc, contacts, 1)
    assert pool_demand(sc, contacts.iloc[2:], 1)["general"]["offered"].sum() == 1.0  # no doubt for 'mass'
    assert first_choice_segments(sc, "general") == ["vip", "mass"]  # anonymous VIPs start in general


@pytest.mark.parametrize("name", ["retail_bank", "insurer", "telecom_plus", "relationship_modes/account_manager"])
def test_routing_and_first_choice_agree(name: str) -> None:
    from contactsim.scenario.compiled import first_choice

    sc = load_scenario(SCENARIOS / f"{name}.yaml")
    c = compile_scenario(sc)
    for (i, j, k, p), route in c.routes.items():
        want = c.pools[route[0][0]] if route else None
        assert first_choice(sc, c.segments[i], c.reasons[j], c.channels[k], c.profiles, p) == want
