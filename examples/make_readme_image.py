"""Regenerate docs/img/compare_kpis.png: the bundled pair retail_bank_equal (no differentiation, baseline)
and retail_bank (tiered priority, dedicated bankers, steering), 6 replications on the same customers,
drawn by contactsim's own report code. Run from the repository root: python examples/make_readme_image.py"""

import sys
import tempfile
import time
from pathlib import Path

from contactsim.compare import compare, write_comparison
from contactsim.report.data import load_comparison
from contactsim.report.html import build_figures
from contactsim.report.images import write_images
from contactsim.scenario.load import load_scenario

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
equal = load_scenario(root / "scenarios" / "retail_bank_equal.yaml")
bank = load_scenario(root / "scenarios" / "retail_bank.yaml")
t0 = time.perf_counter()
cmp = compare([equal, bank], replications=6, workers=2)
with tempfile.TemporaryDirectory() as tmp:
    c = load_comparison(write_comparison(cmp, Path(tmp) / "cmp"))
    kpis = next(f.figure for f in build_figures(c.runs, c.differences) if f.name == "kpis")
    out = write_images({"compare_kpis": kpis}, root / "docs" / "img", formats=("png",), width=1100, scale=1.5)
print(f"{out[0]} in {time.perf_counter() - t0:.1f} s")
