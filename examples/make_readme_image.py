"""Regenerate docs/img/compare_kpis.png: the bundled retail bank against the same bank with FCFS on the
general phone pool, 4 replications on the same customers, drawn by contactsim's own report code."""

import sys
import tempfile
import time
from pathlib import Path

from contactsim.compare import compare, write_comparison
from contactsim.report.data import load_comparison
from contactsim.report.html import build_figures
from contactsim.report.images import write_images
from contactsim.scenario.load import apply_overrides, parse_scenario, read_yaml

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
data = read_yaml(root / "scenarios" / "retail_bank.yaml")
base = parse_scenario(data, "scenarios/retail_bank.yaml")
fcfs = parse_scenario(apply_overrides(data, {"name": "retail_bank_fcfs",
                                             "pools.general_phone.discipline": {"type": "fcfs"}}), "fcfs")
t0 = time.perf_counter()
cmp = compare([base, fcfs], replications=4, workers=2)
with tempfile.TemporaryDirectory() as tmp:
    c = load_comparison(write_comparison(cmp, Path(tmp) / "cmp"))
    kpis = next(f.figure for f in build_figures(c.runs, c.differences) if f.name == "kpis")
    out = write_images({"compare_kpis": kpis}, root / "docs" / "img", formats=("png",), width=1100, scale=1.5)
print(f"{out[0]} in {time.perf_counter() - t0:.1f} s")
