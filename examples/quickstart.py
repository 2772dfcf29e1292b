# %% [markdown]
# # contactsim from Python
# Load a bundled scenario, change it by dotted paths, simulate, compare two policies on the same customers.
# Runs in well under a minute: `python examples/quickstart.py`.

# %%
from pathlib import Path

import contactsim as cs

ROOT = Path(__file__).resolve().parents[1]
bank = cs.load_scenario(ROOT / "scenarios" / "retail_bank.yaml", {"horizon.days": 3, "run.replications": 6})

# %% one scenario: KPIs as a tidy DataFrame with 95% confidence intervals
res = cs.simulate(bank, workers=2)
phone = res.summary.query("channel == 'phone' and interval == 'all' and pool == 'all'")
print(phone[phone["metric"].isin(["service_level", "asa_s", "abandon_rate", "csat"])]
      .pivot(index="segment", columns="metric", values="mean").round(3).to_string())
print("cost per resolved need:", round(res.kpi("cost_per_resolved_need")["mean"], 2), bank.currency)

# %% the same customers without priority on the phone: paired differences per segment
fcfs = cs.load_scenario(ROOT / "scenarios" / "retail_bank.yaml",
                        {"name": "bank_fcfs", "horizon.days": 3, "run.replications": 6,
                         "pools.general_phone.discipline": {"type": "fcfs"}})
cmp = cs.compare([fcfs, bank], workers=2)
d = cmp.differences.query("channel == 'phone' and interval == 'all' and pool == 'all' and metric == 'asa_s'")
print(d[["segment", "baseline_mean", "scenario_mean", "diff_mean", "ci_low", "ci_high", "significant"]]
      .round(2).to_string(index=False))  # to_string: every column, never cut with "..."

# %% per-contact records are plain pandas too
waits = res.contacts.query("channel == 'phone' and outcome == 'handled'").groupby("segment", observed=True)["wait_s"]
print(waits.quantile(0.9).round(1))
