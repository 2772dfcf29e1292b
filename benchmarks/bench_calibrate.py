"""Calibration time against log size, for CSV and Parquet input.

    python benchmarks/bench_calibrate.py [SIZES...]   # default 100000 300000 1000000 contacts

Logs come from ``calibration.export.synthetic_log`` (numpy only: three queues, 60 agents, customer ids).
Each time is the whole of ``contactsim.calibrate(..., out=...)``: reading and checking the file, every
estimator, the scenario, the observed KPIs and the HTML report. Read and estimate times are shown apart.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "src"))

from contactsim.calibration import calibrate, read_data
from contactsim.calibration.export import synthetic_log


def main(sizes: list[int]) -> None:
    print(f"{'contacts':>10} {'format':>8} {'read s':>8} {'total s':>8} {'contacts/s':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            log = synthetic_log(n, seed=1)
            for fmt in ("parquet", "csv"):
                path = Path(tmp) / f"log_{n}.{fmt}"
                if fmt == "csv":
                    log.to_csv(path, index=False)
                else:
                    log.to_parquet(path)
                t = time.perf_counter()
                read_data(path)
                read_s = time.perf_counter() - t
                t = time.perf_counter()
                calibrate(path, out=Path(tmp) / f"s_{n}_{fmt}.yaml")
                total = time.perf_counter() - t
                print(f"{n:>10,} {fmt:>8} {read_s:>8.1f} {total:>8.1f} {n / total:>12,.0f}", flush=True)


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [100_000, 300_000, 1_000_000])
