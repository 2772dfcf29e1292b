"""Peak memory vs simulated horizon: records off, memory must not grow with the number of contacts.

    python benchmarks/bench_memory.py            # 1 day, 1 week, 1 month of a 500-agent centre
    python benchmarks/bench_memory.py --year     # ... and a year (about 50 million contacts; minutes)

Each horizon runs in a fresh process (one replication, per-contact records off) and reports its peak
resident set size (ru_maxrss), so earlier runs cannot hide a leak.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {tests!r})
from helpers import build, mmc_dict
from contactsim.replication import run_replication
from contactsim.scenario.compiled import compile_scenario
hours, agents, records = float(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "1"
lam = 0.95 * agents / 300.0
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
c = compile_scenario(build(mmc_dict(lam * 3600, 300.0, agents, patience_s=600, hours=hours, warmup_hours=0)))
t = time.process_time()
r = run_replication(c, 1, 0, keep_records=records)
print(json.dumps({{"contacts": r.n_contacts, "cpu_s": time.process_time() - t, "kpi_rows": len(r.kpis),
                  "rss_after_imports_mb": base / 1024,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(hours: float, agents: int, records: bool) -> dict:
    code = CHILD.format(tests=str(Path(__file__).parents[1] / "tests"))
    out = subprocess.run([sys.executable, "-c", code, str(hours), str(agents), "1" if records else "0"],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--agents", type=int, default=500)
    ap.add_argument("--year", action="store_true")
    a = ap.parse_args()
    horizons = [(24, "1 day"), (168, "1 week"), (720, "1 month")] + ([(8760, "1 year")] if a.year else [])
    print(f"{a.agents} agents, load 0.95, one replication, per-contact records off")
    print(f"{'horizon':>8} {'contacts':>11} {'cpu s':>8} {'contacts/s':>11} {'imports MB':>10} {'peak RSS MB':>11}")
    for hours, label in horizons:
        t = time.perf_counter()
        r = run(hours, a.agents, records=False)
        print(f"{label:>8} {r['contacts']:>11,} {r['cpu_s']:>8.1f} {r['contacts'] / r['cpu_s']:>11,.0f} "
              f"{r['rss_after_imports_mb']:>10.0f} {r['peak_rss_mb']:>11.0f}")
