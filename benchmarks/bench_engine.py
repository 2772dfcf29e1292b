"""Contacts per second: contactsim vs an idiomatic SimPy model vs Ciw, on the same M/M/c+M system.

    python benchmarks/bench_engine.py            # 50 and 500 agents, load 0.95, exponential patience
    python benchmarks/bench_engine.py --scaling  # runtime vs horizon (1 day, 1 week, 1 month) and vs agents
    python benchmarks/bench_engine.py --funnel   # the richest bundled scenario, per need entering the funnel

contactsim is timed end to end for one replication: needs, funnel, engine, the full KPI set and the
per-contact records. Peers are timed for model build + run + tally (see benchmarks/peers.py).
Numbers are CPU seconds of this process (time.process_time), which shared machines disturb less.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers import build, mmc_dict
from peers import ciw_model, simpy_idiomatic

from contactsim.replication import run_replication
from contactsim.scenario.compiled import compile_scenario

AHT, PATIENCE, LOAD = 300.0, 600.0, 0.95


def contactsim_rate(agents: int, hours: float, records: bool = True, seed: int = 1) -> tuple[int, float]:
    lam = LOAD * agents / AHT
    c = compile_scenario(build(mmc_dict(lam * 3600, AHT, agents, patience_s=PATIENCE, hours=hours,
                                        warmup_hours=0)))
    t = time.process_time()
    r = run_replication(c, seed, 0, keep_records=records)
    return r.n_contacts, time.process_time() - t


def peer_rate(fn, agents: int, hours: float, seed: int = 1) -> tuple[int, float]:
    lam = LOAD * agents / AHT
    t = time.process_time()
    out = fn(lam, AHT, agents, PATIENCE, hours, seed)
    return out["contacts"], time.process_time() - t


def engine_table(target: int) -> None:
    print(f"M/M/c+M, load {LOAD}, AHT {AHT:.0f} s, patience mean {PATIENCE:.0f} s; ~{target:,} contacts per run")
    print(f"{'agents':>6} {'model':<28} {'contacts':>9} {'cpu s':>7} {'contacts/s':>11} {'contactsim x':>12}")
    for agents in (50, 500):
        hours = target / (LOAD * agents / AHT * 3600)
        n, s = contactsim_rate(agents, hours)
        ours = n / s
        print(f"{agents:>6} {'contactsim (KPIs + records)':<28} {n:>9,} {s:>7.2f} {ours:>11,.0f} {'':>12}")
        for name, fn in (("SimPy idiomatic", simpy_idiomatic), ("Ciw 3", ciw_model)):
            pn, ps = peer_rate(fn, agents, hours)
            print(f"{agents:>6} {name:<28} {pn:>9,} {ps:>7.2f} {pn / ps:>11,.0f} {ours / (pn / ps):>11.1f}x")


def scaling_table() -> None:
    print("runtime vs horizon (100 agents) and vs agents (200,000 contacts each), records off")
    print(f"{'agents':>6} {'horizon':>8} {'contacts':>10} {'cpu s':>7} {'contacts/s':>11}")
    for hours, label in ((24, "1 day"), (168, "1 week"), (720, "1 month")):
        n, s = contactsim_rate(100, hours, records=False)
        print(f"{100:>6} {label:>8} {n:>10,} {s:>7.2f} {n / s:>11,.0f}")
    for agents in (10, 50, 200, 500, 1000):
        hours = 200_000 / (LOAD * agents / AHT * 3600)
        n, s = contactsim_rate(agents, hours, records=False)
        print(f"{agents:>6} {hours:>7.0f}h {n:>10,} {s:>7.2f} {n / s:>11,.0f}")


def funnel_table() -> None:
    from contactsim.scenario.load import load_scenario

    sc = load_scenario(Path(__file__).parents[1] / "scenarios" / "retail_bank.yaml", {"horizon.days": 28})
    c = compile_scenario(sc)
    t = time.process_time()
    r = run_replication(c, 1, 0, keep_records=True)
    s = time.process_time() - t
    print(f"retail_bank, 28 days, every funnel level and policy on: {r.n_needs:,} needs, {r.n_contacts:,} contacts "
          f"in {s:.2f} cpu s -> {r.n_needs / s:,.0f} needs/s entering the funnel")
    n, s2 = contactsim_rate(50, r.n_contacts / (LOAD * 50 / AHT * 3600))
    print(f"plain M/M/c+M phone scenario (50 agents): {n / s2:,.0f} contacts/s; ratio {n / s2 / (r.n_needs / s):.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=100_000)
    ap.add_argument("--scaling", action="store_true")
    ap.add_argument("--funnel", action="store_true")
    a = ap.parse_args()
    if a.scaling:
        scaling_table()
    elif a.funnel:
        funnel_table()
    else:
        engine_table(a.contacts)
