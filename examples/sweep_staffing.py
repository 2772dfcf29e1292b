# %% [markdown]
# # Sweeps and staffing from Python
# How many agents does the bundled call centre need, and how sensitive is that to customer patience?
# `python examples/sweep_staffing.py` (a few seconds on two cores). Writes one figure,
# results/examples/sweep_staffing.html.

# %%
from pathlib import Path

import plotly.express as px

import contactsim as cs
from contactsim.sequential import simulate_until
from contactsim.staffing import optimise_staffing
from contactsim.sweep import simulate_grid

ROOT = Path(__file__).resolve().parents[1]
base = cs.load_scenario(ROOT / "scenarios" / "call_centre_mmc.yaml")

# %% one scenario, one field overridden by its dotted path; KPIs come back as tidy DataFrames
patient = cs.load_scenario(ROOT / "scenarios" / "call_centre_mmc.yaml",
                           {"segments.callers.patience.phone.mean": 300, "pools.agents.staffing": 16})
res = cs.simulate(patient, replications=5, workers=2)
print(res.kpi("service_level")[["mean", "ci_low", "ci_high", "n"]])

# %% replications until the service level is known to +-1.5 percentage points
seq = simulate_until(base, {"service_level": 0.015}, min_replications=4, batch=4, workers=2)
print(f"{seq.replications} replications, half-width {seq.timings['half_width_service_level']:.4f}")

# %% a grid on the same customers (common random numbers): service level by staffing and patience
grid = simulate_grid(base, {"pools.agents.staffing": [15, 16, 17, 18],
                            "segments.callers.patience.phone.mean": [120, 300]}, replications=5, workers=2)
sl = grid.query("metric == 'service_level' and segment == 'all' and channel == 'all' and pool == 'all'")
print(sl.pivot(index="pools.agents.staffing", columns="segments.callers.patience.phone.mean",
               values="mean").round(3))

# %% the figure: service level with 95% CIs
sl = sl.assign(patience_s=sl["segments.callers.patience.phone.mean"].astype(str),
               error=sl["ci_high"] - sl["mean"])
fig = px.line(sl, x="pools.agents.staffing", y="mean", color="patience_s", error_y="error", markers=True,
              labels={"pools.agents.staffing": "agents", "mean": "service level (80/20)",
                      "patience_s": "mean patience s"})
out = ROOT / "results" / "examples" / "sweep_staffing.html"
out.parent.mkdir(parents=True, exist_ok=True)
fig.write_html(out, include_plotlyjs=True)
print(f"figure: {out}")

# %% a staffing plan meeting 80/20 (Erlang A per interval, verified by simulation on a fresh seed)
staffed = optimise_staffing(base, replications=6, workers=2)
print(staffed.table[["pool", "time", "offered_per_hour", "erlang_agents", "agents", "service_level", "target",
                     "occupancy", "met"]].to_string(index=False))
print({k: round(v) for k, v in staffed.cost.items()}, base.currency)
