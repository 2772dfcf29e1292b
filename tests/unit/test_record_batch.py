"""The contact records agree with their needs: the fields fixed at a contact's birth (gathered by contact id from
the feed's arrays for contacts fed in bulk, read off the object for follow-ups, outreach and webcare cases made
one at a time, ``engine._fixed_columns``) are the need's own, whichever way they were made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from contactsim.replication import run_replication
from contactsim.scenario.compiled import compile_scenario
from contactsim.scenario.load import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def records():
    c = compile_scenario(load_scenario(SCENARIOS / "telecom_plus.yaml", {"horizon.days": 3}))
    r = run_replication(c, 3, 0, keep_records=True)
    return r.contacts, r.needs


def test_every_kind_of_contact_is_there(records) -> None:
    contacts, _ = records
    kinds = contacts["kind"].value_counts()
    assert all(kinds.get(k, 0) > 10 for k in ("first", "repeat", "retrial", "outreach", "webcare"))


def test_contacts_carry_their_needs_fields(records) -> None:
    contacts, needs = records
    m = contacts.merge(needs, on="need_id", suffixes=("", "_need"), validate="many_to_one")
    assert len(m) == len(contacts)
    np.testing.assert_array_equal(m["need_at"].to_numpy(), m["arrival_at_need"].to_numpy())
    assert (m["segment"].astype(str) == m["segment_need"].astype(str)).all()
    assert (m["reason"].astype(str) == m["reason_need"].astype(str)).all()
    customer = m["kind"] != "outreach"  # proactive outreach calls before the customer would have asked
    assert (m.loc[customer, "arrival_at"] >= m.loc[customer, "need_at"]).all()
    assert (m.loc[~customer, "arrival_at"] < m.loc[~customer, "need_at"]).all()
    ids = contacts["contact_id"].to_numpy()
    assert np.unique(ids).size == ids.size


def test_birth_fields_and_outcome_fields_are_the_same_contacts(records) -> None:
    """Outcome fields are read off the objects, birth fields gathered by id: a wait is its own answer (or
    abandonment) time minus its own arrival, to the bit, for every contact that queued once."""
    contacts, _ = records
    once = contacts[(contacts["transfers"] == 0) & (contacts["outcome"] != "unserved")]
    left = np.where(once["outcome"] == "handled", once["answered_at"], once["end_at"])
    np.testing.assert_array_equal(once["wait_s"].to_numpy(), left - once["arrival_at"].to_numpy())
    assert len(once) > 0.9 * len(contacts)


def test_follow_ups_count_and_number_themselves(records) -> None:
    contacts, needs = records
    first = contacts[contacts["kind"] == "first"]
    assert (first["attempt"] == 1).all() and (first["retrial"] == 0).all() and (first["repeat"] == 0).all()
    follow = contacts[contacts["kind"].isin(["repeat", "retrial"])]
    assert (follow["attempt"] >= 2).all()
    # the engine's need bookkeeping (repeats made) agrees with the repeat contacts in the records
    made = contacts[contacts["kind"] == "repeat"].groupby("need_id").size()
    per_need = needs.set_index("need_id")["repeats"]
    np.testing.assert_array_equal(made.reindex(per_need.index, fill_value=0).to_numpy(), per_need.to_numpy())
    assert made.sum() > 100
