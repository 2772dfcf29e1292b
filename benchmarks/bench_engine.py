"""Engine speed, the issue-14 table in one command: contactsim vs idiomatic SimPy, Ciw and a lean SimPy engine.

    python benchmarks/bench_engine.py              # the table (median of interleaved repeats)
    python benchmarks/bench_engine.py --quick      # fewer contacts and repeats (a smoke run)
    python benchmarks/bench_engine.py --scaling    # runtime vs horizon and vs agents, records off

Rows (M/M/c+M phone queue, load 0.95, AHT 300 s, exponential patience mean 600 s, records off unless said):

* contactsim: one replication end to end (needs, funnel, engine, the full KPI set), ``run_replication``;
* idiomatic SimPy: a process per customer, ``yield req | env.timeout(patience)`` (benchmarks/peers.py);
* Ciw 3: the same system with reneging (benchmarks/peers.py);
* SimPy reference engine (below): the leanest engine we could write on SimPy's event queue — arrivals drawn
  in bulk, two callback events per customer (arrival, departure), lazy abandonment, no KPIs. It bounds
  what an event-per-step SimPy engine can do; contactsim's ratio to it is the price of its features.

Plus: records written to Parquet vs off; retail_bank (7 days x 10 replications, one worker) needs/s end to
end including the run folder, and the folder's size; 2,000 vs 50 agents. Ratios are measured in one run,
interleaved, median of ``--repeats``; numbers are CPU seconds of this process (time.process_time).
"""

from __future__ import annotations

import argparse
import heapq
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from helpers import build, mmc_dict
from peers import ciw_model, simpy_idiomatic

from contactsim import io
from contactsim.replication import run_replication
from contactsim.scenario.compiled import compile_scenario

AHT, PATIENCE, LOAD = 300.0, 600.0, 0.95
ROOT = Path(__file__).parents[1]


def simpy_reference(lam: float, aht_s: float, c: int, patience_s: float, hours: float, seed: int) -> dict:
    """A lean SimPy engine: bulk draws, two callback events per customer, lazy abandonment, public API only."""
    import simpy

    rng = np.random.default_rng(seed)
    horizon = hours * 3600.0
    n = rng.poisson(lam * horizon)
    arr = np.sort(rng.random(n) * horizon).tolist()
    pat = rng.exponential(patience_s, n).tolist()
    svc = rng.exponential(aht_s, n).tolist()
    env = simpy.Environment()
    queue: list[tuple[float, int]] = []
    state = {"free": c, "handled": 0, "abandoned": 0}

    def schedule(delay: float, fn, value) -> None:
        ev = simpy.Event(env)
        ev.callbacks.append(fn)
        ev._ok, ev._value = True, value  # a triggered event, as env.timeout builds it
        env.schedule(ev, delay=delay)

    def depart(ev) -> None:
        now = env.now
        while queue:
            t, i = heapq.heappop(queue)
            if t + pat[i] >= now:
                state["handled"] += 1
                schedule(svc[i], depart, i)
                return
            state["abandoned"] += 1
        state["free"] += 1

    def arrive(ev) -> None:
        i = ev._value
        if state["free"]:
            state["free"] -= 1
            state["handled"] += 1
            schedule(svc[i], depart, i)
        else:
            heapq.heappush(queue, (arr[i], i))

    for i, t in enumerate(arr):
        schedule(t, arrive, i)
    env.run(until=horizon)
    return {"contacts": n, **state}


def _mmc(agents: int, hours: float):
    lam = LOAD * agents / AHT
    return compile_scenario(build(mmc_dict(lam * 3600, AHT, agents, patience_s=PATIENCE, hours=hours,
                                           warmup_hours=0)))


def contactsim_run(c, records: bool = False) -> tuple[int, float]:
    t = time.process_time()
    r = run_replication(c, 1, 0, keep_records=records)
    if records:  # what a run folder holds: the records written to Parquet, as write_run writes them
        with tempfile.TemporaryDirectory() as d:
            io.write_parquet(Path(d) / "contacts.parquet", r.contacts)
            io.write_parquet(Path(d) / "needs.parquet", r.needs)
    return r.n_contacts, time.process_time() - t


def peer_run(fn, agents: int, hours: float) -> tuple[int, float]:
    lam = LOAD * agents / AHT
    t = time.process_time()
    out = fn(lam, AHT, agents, PATIENCE, hours, 1)
    return out["contacts"], time.process_time() - t


def _hours(agents: int, contacts: int) -> float:
    """Horizon giving about ``contacts`` arrivals, rounded up to whole KPI intervals (30 min)."""
    return max(0.5, np.ceil(contacts / (LOAD * agents / AHT * 3600) * 2) / 2)


def median_rate(samples: list[tuple[int, float]]) -> float:
    return statistics.median(n / s for n, s in samples)


def engine_rows(contacts: int, repeats: int, peer_contacts: int) -> list[str]:
    lines = [f"M/M/c+M, load {LOAD}, AHT {AHT:.0f} s, patience mean {PATIENCE:.0f} s; contactsim ~{contacts:,} "
             f"contacts per run, peers ~{peer_contacts:,}; median of {repeats} interleaved repeats, CPU s", "",
             "| agents | contactsim (KPIs, records off) | idiomatic SimPy | Ciw 3 "
             "| SimPy reference (2 events/customer) | records to Parquet / off |", "|---:|---:|---:|---:|---:|---:|"]
    for agents in (500, 50):
        h, hp = _hours(agents, contacts), _hours(agents, peer_contacts)
        c = _mmc(agents, h)
        ours, rec, simp, ciw, ref = [], [], [], [], []
        for _ in range(repeats):
            ours.append(contactsim_run(c))
            rec.append(contactsim_run(c, records=True))
            simp.append(peer_run(simpy_idiomatic, agents, hp))
            ciw.append(peer_run(ciw_model, agents, hp))
            ref.append(peer_run(simpy_reference, agents, h))
        o = median_rate(ours)
        cells = [f"{o:,.0f}/s"]
        for s in (simp, ciw, ref):
            r = median_rate(s)
            cells.append(f"{r:,.0f}/s (contactsim {o / r:.2f}x)")
        cells.append(f"{median_rate(rec) / o:.0%}")
        lines.append(f"| {agents} | " + " | ".join(cells) + " |")
    return lines


def flat_rows(contacts: int, repeats: int) -> list[str]:
    small, big = _mmc(50, _hours(50, contacts)), _mmc(2000, _hours(2000, contacts))
    a, b = [], []
    for _ in range(repeats):
        a.append(contactsim_run(small))
        b.append(contactsim_run(big))
    ra, rb = median_rate(a), median_rate(b)
    return [f"Flat in agents: 2,000 agents {rb:,.0f}/s vs 50 agents {ra:,.0f}/s ({rb / ra:.0%})"]


def bank_rows(replications: int, days: int) -> list[str]:
    from contactsim.experiment import simulate
    from contactsim.results import write_run
    from contactsim.scenario.load import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "retail_bank.yaml", {"horizon.days": days})
    with tempfile.TemporaryDirectory() as d:
        t = time.process_time()
        res = simulate(sc, replications=replications, workers=1)
        folder = write_run(res, out=Path(d) / "run")
        s = time.process_time() - t
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        files = ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(folder.iterdir())
                          if p.stat().st_size > 1e6)
    return [f"retail_bank, {days} days x {replications} replications, one worker, end to end with the run folder: "
            f"{res.n_needs:,} needs in {s:.1f} CPU s = {res.n_needs / s:,.0f} needs/s; folder {size / 1e6:.1f} MB "
            f"({files})"]


def scaling_rows() -> list[str]:
    lines = ["runtime vs horizon (100 agents) and vs agents (200,000 contacts each), records off"]
    for hours, label in ((24, "1 day"), (168, "1 week"), (720, "1 month")):
        n, s = contactsim_run(_mmc(100, hours))
        lines.append(f"100 agents, {label}: {n:,} contacts, {n / s:,.0f}/s")
    for agents in (10, 50, 200, 500, 2000):
        n, s = contactsim_run(_mmc(agents, _hours(agents, 200_000)))
        lines.append(f"{agents} agents: {n:,} contacts, {n / s:,.0f}/s")
    return lines


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=200_000)
    ap.add_argument("--peer-contacts", type=int, default=50_000, help="Ciw is slow: its runs are shorter")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--scaling", action="store_true")
    a = ap.parse_args()
    if a.scaling:
        print("\n".join(scaling_rows()))
        sys.exit(0)
    if a.quick:
        a.contacts, a.peer_contacts, a.repeats = 30_000, 10_000, 1
    out = engine_rows(a.contacts, a.repeats, a.peer_contacts)
    out += ["", *flat_rows(a.contacts, a.repeats)]
    out += bank_rows(2 if a.quick else 10, 7)
    print("\n".join(out))
