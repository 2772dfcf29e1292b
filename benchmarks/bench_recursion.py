"""The FCFS recursion (fcfs_recursion.py) against the event engine: contacts/s and agreement on the same draws.

    python benchmarks/bench_recursion.py            # M/M/50+M and M/M/500+M, 100 replications
    python benchmarks/bench_recursion.py --quick    # a smoke run

Rows (M/M/c+M phone queue, load 0.95, AHT 300 s, exponential patience mean 600 s, as bench_engine.py):

* event engine: ``run_replication`` per replication (needs, funnel, engine, the full KPI set; records off);
  its rate per contact does not depend on the number of replications, so it runs ``--engine-reps`` of them;
* recursion end to end: the same contacts drawn by the engine's own draws (``fcfs_scenario.draw_contacts``),
  the recursion for all replications at once, and the KPIs (``fcfs_scenario.kpis``: the contacts handed to
  replication.py's bookkeeping as the engine's record batch, so metrics.py computes them);
* recursion alone: ``simulate_fcfs`` on those draws (the loop over contacts, vectorised over replications).

Agreement: for ``--check-reps`` replications the engine's per-contact records are compared with the
recursion's (outcome and wait, exact equality). Rates are CPU seconds of this process (time.process_time),
median of ``--repeats`` interleaved repeats. The engine benchmark (bench_engine.py) measures the engine alone;
nothing here replaces it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers import build, mmc_dict

from contactsim import fcfs_scenario as fs
from contactsim.fcfs_recursion import HANDLED, simulate_fcfs
from contactsim.replication import run_replication
from contactsim.scenario.compiled import compile_scenario

AHT, PATIENCE, LOAD, SEED = 300.0, 600.0, 0.95, 1
CODES = {"handled": 0, "abandoned": 1, "unserved": 2}


def _scenario(agents: int, contacts_per_rep: int):
    lam_h = LOAD * agents / AHT * 3600
    hours = max(0.5, np.ceil(contacts_per_rep / lam_h * 2) / 2)
    return compile_scenario(build(mmc_dict(lam_h, AHT, agents, patience_s=PATIENCE, hours=hours,
                                           warmup_hours=0, seed=SEED)))


def engine_rate(c, reps: int) -> tuple[int, float]:
    t = time.process_time()
    n = sum(run_replication(c, SEED, r, keep_records=False).n_contacts for r in range(reps))
    return n, time.process_time() - t


def recursion_rate(c, reps: int) -> tuple[tuple[int, float], tuple[int, float]]:
    t = time.process_time()
    d = fs.draw_contacts(c, SEED, range(reps))
    t1 = time.process_time()
    res = simulate_fcfs(d.arrival_at, d.patience_s, d.handle_s, d.agents, acw_s=d.acw_s, end_at=d.end_at)
    t2 = time.process_time()
    fs.kpis(c, d, res)
    t3 = time.process_time()
    n = int(res.valid.sum())
    return (n, t3 - t), (n, t2 - t1)


def agreement(c, reps: int) -> tuple[int, int]:
    """(contacts compared, contacts that differ in outcome or wait) over ``reps`` replications."""
    d = fs.draw_contacts(c, SEED, range(reps))
    res = fs.simulate_draws(d)
    n = bad = 0
    for r in range(reps):
        e = run_replication(c, SEED, r, keep_records=True).contacts.sort_values(["arrival_at", "contact_id"])
        v = res.valid[r]
        out = e["outcome"].astype(str).map(CODES).to_numpy()
        w_e, w_r = e["wait_s"].to_numpy(), res.wait_s[r][v]
        same = (out == res.outcome[r][v]) & ((w_e == w_r) | (np.isnan(w_e) & np.isnan(w_r)))
        same &= e["arrival_at"].to_numpy() == d.arrival_at[r][v]
        n += len(e)
        bad += int((~same).sum())
    assert (res.outcome[: reps][res.valid[: reps]] == HANDLED).any()
    return n, bad


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=100)
    ap.add_argument("--contacts", type=int, default=20_000, help="contacts per replication (about)")
    ap.add_argument("--engine-reps", type=int, default=5)
    ap.add_argument("--check-reps", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.replications, a.contacts, a.engine_reps, a.check_reps, a.repeats = 20, 3_000, 2, 1, 1
    print(f"M/M/c+M, load {LOAD}, AHT {AHT:.0f} s, patience mean {PATIENCE:.0f} s; ~{a.contacts:,} contacts per "
          f"replication; recursion over {a.replications} replications at once, engine {a.engine_reps} "
          f"replications; CPU s, median of {a.repeats} interleaved repeats\n")
    print("| agents | event engine (run_replication) | recursion end to end (draws + recursion + KPIs) "
          "| recursion alone | agreement with the engine on the same draws |")
    print("|---:|---:|---:|---:|---:|")
    for agents in (500, 50):
        c = _scenario(agents, a.contacts)
        eng, e2e, alone = [], [], []
        for _ in range(a.repeats):
            eng.append(engine_rate(c, a.engine_reps))
            x, y = recursion_rate(c, a.replications)
            e2e.append(x)
            alone.append(y)
        rate = [statistics.median(n / s for n, s in xs) for xs in (eng, e2e, alone)]
        n, bad = agreement(c, a.check_reps)
        print(f"| {agents} | {rate[0]:,.0f}/s | {rate[1]:,.0f}/s ({rate[1] / rate[0]:.1f}x) "
              f"| {rate[2]:,.0f}/s ({rate[2] / rate[0]:.1f}x) "
              f"| {n - bad:,} of {n:,} contacts identical (outcome, wait) |", flush=True)


if __name__ == "__main__":
    main()
