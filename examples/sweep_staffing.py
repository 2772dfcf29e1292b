# %% [markdown]
# # Sweeps and staffing from Python
# How many agents does the bundled call centre need, and how sensitive is that to customer patience?
# `python examples/sweep_staffing.py` (about half a minute on two cores).

# %%
from pathlib import Path

import contactsim as cs
from contactsim.staffing import optimise_staffing
from contactsim.sweep import simulate_grid

ROOT = Path(__file__).resolve().parents[1]
base = cs.load_scenario(ROOT / "scenarios" / "call_centre_mmc.yaml")

# %% a grid on the same customers: service level by staffing and patience, with 95% CIs
grid = simulate_grid(base, {"pools.agents.staffing": [15, 16, 17, 18],
                            "segments.callers.patience.phone.mean": [120, 300]}, replications=5, workers=2)
sl = grid.query("metric == 'service_level' and segment == 'all' and channel == 'all' and interval == 'all' "
                "and pool == 'all'")
print(sl.pivot(index="pools.agents.staffing", columns="segments.callers.patience.phone.mean",
               values="mean").round(3))

# %% the fewest agents meeting 80/20 at 95% confidence, against the pure Erlang answer
staffed = optimise_staffing(base, replications=6, workers=2)
print(staffed.table[["pool", "offered_per_hour", "erlang_agents", "agents", "service_level", "sl_low"]])
print({k: round(v) for k, v in staffed.cost.items()}, base.currency)
