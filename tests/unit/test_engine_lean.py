"""The engine's lean paths (issue 14 speed): per-pool choices and the record batch read in passes."""

from __future__ import annotations

import math

from helpers import build, mmc_dict

from contactsim.contact import Contact
from contactsim.engine import Engine
from contactsim.scenario.compiled import compile_scenario


def _engine(**kw) -> Engine:
    return Engine(compile_scenario(build(mmc_dict(1, 50, 2, hours=1, warmup_hours=0, patience_s=100, **kw))), 1, 0)


def test_a_plain_pool_takes_the_lean_paths() -> None:
    eng = _engine()
    pool = eng.pools[0]
    assert pool.start == eng._start_lean and pool.heap is pool.queue.heap and eng._plain_arrive


def test_flush_reads_rarely_set_fields_only_where_set_and_defaults_elsewhere() -> None:
    """Contacts with an IVR time, a callback or a misroute talk (instance-dict fields) and plain ones in one
    batch: every column holds each contact's own value, and the misrouted one reports its first queueing."""
    eng = _engine()
    for k in range(4):
        eng.add_contact(k, 0, 0, 0, 10.0 * k, 100.0, 30.0, key=k + 1)
    cts: list[Contact] = sorted((x for x in eng.kernel.pending() if isinstance(x, Contact)), key=lambda x: x.id)
    cts[1].ivr = 12.5
    cts[2].callback = True
    cts[3].xfer_pool, cts[3].xfer_at, cts[3].xfer_s, cts[3].queued_at0 = 0, 25.0, 7.0, 5.0
    eng.run_until(3600.0)
    eng.finish()
    col = eng.flush().contacts
    order = col["contact_id"].argsort()
    assert col["ivr_s"][order].tolist() == [0.0, 12.5, 0.0, 0.0]
    assert col["callback"][order].tolist() == [False, False, True, False]
    assert col["misroute_pool"][order].tolist() == [-1, -1, -1, 0]
    assert col["misroute_s"][order].tolist() == [0.0, 0.0, 0.0, 7.0]
    assert [math.isnan(x) for x in col["misroute_at"][order]] == [True, True, True, False]
    assert col["arrival_at"][order].tolist() == [0.0, 10.0, 20.0, 5.0]
    assert col["advisor"].tolist() == [-1] * 4 and not col["balked"].any() and (col["transfers"] == 0).all()
    assert col["outcome"].tolist() == [0, 0, 0, 0] and col["handle_s"].tolist() == [30.0] * 4
