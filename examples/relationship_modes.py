"""Compare the six relationship modes (seed 004) for one insurer and the same customers, print cost per
resolved need against need CSAT per mode, and draw docs/img/relationship_modes.png (the report's
cost-against-satisfaction figure). Run from the repository root: python examples/relationship_modes.py
(the image needs `pip install "contactsim[images]"` and Chromium; without them only the table is printed)."""

import sys
import tempfile
import time
from pathlib import Path

from contactsim.compare import compare, write_comparison
from contactsim.scenario.load import load_scenario

root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
folder = root / "scenarios" / "relationship_modes"
modes = ["personal_assistance", "account_manager", "co_creation", "community", "self_service", "automated"]
t0 = time.perf_counter()
cmp = compare([load_scenario(folder / f"{m}.yaml") for m in modes], replications=6, workers=2)
print(f"{'mode':<22} {'cost/resolved need':>20} {'need CSAT':>16} {'phone SL':>10} {'cost/week':>12}")
for mode, run in zip(modes, cmp.runs, strict=True):
    cost, csat = run.kpi("cost_per_resolved_need"), run.kpi("need_csat")
    sl, total = run.kpi("service_level", channel="phone"), run.kpi("cost")
    print(f"{mode:<22} {cost['mean']:>10.2f} ± {(cost['ci_high'] - cost['mean']):<7.2f}"
          f" {csat['mean']:>8.3f} ± {(csat['ci_high'] - csat['mean']):.3f} {sl['mean']:>10.1%} {total['mean']:>12,.0f}")
try:
    from contactsim.report.data import load_comparison
    from contactsim.report.html import build_figures
    from contactsim.report.images import write_images

    with tempfile.TemporaryDirectory() as tmp:
        c = load_comparison(write_comparison(cmp, Path(tmp) / "cmp"))
        fig = next(f.figure for f in build_figures(c.runs, c.differences) if f.name == "cost_vs_satisfaction")
        out = write_images({"relationship_modes": fig}, root / "docs" / "img", formats=("png",), width=1000,
                           scale=1.5)
    print(f"{out[0]} in {time.perf_counter() - t0:.1f} s")
except Exception as e:  # the table above is the result; the image is optional
    print(f"no image ({type(e).__name__}: {e})")
