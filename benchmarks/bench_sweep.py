"""Sweep throughput: points per minute with 1 and 2 local worker processes and a 2-worker Dask LocalCluster.

    python benchmarks/bench_sweep.py [HOURS]   # 40 points x 2 replications of the bundled M/M/c+M centre
                                               # (HOURS of steady state per replication, default 800)

All three produce identical results (asserted); the speed-up is wall-clock time of 1 worker over N.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from contactsim.sweep import read_points, run_sweep

ROOT = Path(__file__).parents[1]


def main(hours: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        base = yaml.safe_load((ROOT / "scenarios" / "call_centre_mmc.yaml").read_text())
        base["horizon"]["steady_state_hours"] = hours
        (t / "base.yaml").write_text(yaml.safe_dump(base))
        spec = {"name": "bench", "base": "base.yaml", "replications": 2,
                "factors": {"pools.agents.staffing": list(range(14, 24)),
                            "segments.callers.patience.phone.mean": [120, 180, 240, 300]}}
        (t / "sweep.yaml").write_text(yaml.safe_dump(spec))
        results, times = {}, {}
        for label, backend, workers in (("1 process", "serial", 1), ("2 processes", "process", 2),
                                        ("Dask LocalCluster(2)", "dask", 2)):
            start = time.perf_counter()
            out = run_sweep(t / "sweep.yaml", t / label.replace(" ", "_"), backend=backend, workers=workers)
            times[label] = time.perf_counter() - start
            results[label] = read_points(out).sort_values(["point", "replication", "segment", "channel", "pool",
                                                           "metric"]).reset_index(drop=True)
        first = next(iter(results.values()))
        assert all(r.equals(first) for r in results.values()), "backends disagree"
        n = first["point"].nunique()
        print(f"{n} points x 2 replications = {2 * n} runs, ~{180 * (hours + 2):,.0f} contacts per replication "
              f"(180 calls/h, {hours:g} h + warm-up)")
        for label, s in times.items():
            print(f"{label:>22}: {s:6.2f} s  {n / s * 60:7.0f} points/min  speed-up {times['1 process'] / s:4.2f}x")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 800.0)
