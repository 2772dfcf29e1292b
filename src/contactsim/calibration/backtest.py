"""Backtest: does the scenario reproduce the centre? Simulated KPIs against the observed ones.

Both sides are scored by the same code (:func:`estimate.interval_observed` on contacts), per interval
of the week and overall. The band is a 95% prediction band for the observed value: a replication of
K simulated weeks has spread s, so the mean over the data's W weeks varies by s*sqrt(K/W), and the
simulated mean of R replications adds s*sqrt(1/R) (weeks taken as independent).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from contactsim.calibration import estimate as E
from contactsim.calibration.contract import Data, read_data
from contactsim.calibration.export import contacts_to_log
from contactsim.scenario.schema import Scenario

METRICS = ("offered_per_day", "service_level", "asa_s", "abandon_rate", "aht_s")
SUM_COLS = ["offered", "answered", "abandoned", "within", "wait_answered", "handle"]


@dataclass
class Backtest:
    overall: pd.DataFrame
    """channel, metric, observed, simulated, band_low, band_high, inside."""
    intervals: pd.DataFrame
    """channel, weekday, slot, label, metric, observed, simulated, band_low, band_high, inside."""
    replications: int
    weeks_simulated: int
    weeks_observed: float
    source: str
    scenario: str

    def share_inside(self, metric: str) -> float:
        d = self.intervals[(self.intervals["metric"] == metric) & self.intervals["observed"].notna()]
        return float(d["inside"].mean()) if len(d) else float("nan")


def _by_slot(obs: pd.DataFrame, minutes: int, n_days: dict[int, int]) -> pd.DataFrame:
    """Summed counts per channel x weekday x slot, and their rates; offered per day of that weekday."""
    t = pd.DatetimeIndex(obs["interval_start"])
    g = obs.assign(weekday=t.day_of_week, slot=((t - t.normalize()) // pd.Timedelta(minutes=minutes)))
    s = g.groupby(["channel", "weekday", "slot"], sort=True)[SUM_COLS].sum(min_count=1).reset_index()
    s = E.finish_kpis(s)
    s["offered_per_day"] = s["offered"] / s["weekday"].map(n_days).astype(float)
    return s


def _overall(obs: pd.DataFrame, days: int) -> pd.DataFrame:
    s = obs.groupby("channel", sort=True)[SUM_COLS].sum(min_count=1).reset_index()
    s = E.finish_kpis(s)
    s["offered_per_day"] = s["offered"] / days
    return s


def _dates(obs: pd.DataFrame) -> pd.DatetimeIndex:
    t = pd.DatetimeIndex(obs["interval_start"]).normalize()
    return pd.date_range(t.min(), t.max(), freq="D")


def backtest(data: str | Path | Data, scenario: Scenario, replications: int = 8, weeks: int = 4,
             seed: int | None = None, workers: int | None = 1, columns: dict[str, str] | None = None,
             timezone: str | None = None) -> Backtest:
    """Simulate ``weeks`` weeks x ``replications`` and compare with the data per interval of the week."""
    from contactsim.experiment import simulate

    d = data if isinstance(data, Data) else read_data(data, columns, timezone)
    m = d.interval_minutes
    thr = {c: scenario.service_level_target(c).seconds for c in scenario.channels}
    if d.kind == "log":
        grid = E.count_grid(d.frame["arrival_at"], m)
        obs = E.interval_observed(d.frame, m, {c: thr.get(c, 20.0) for c in d.frame["channel"].unique()})
    else:
        grid = E.count_grid(d.frame["interval_start"], m, d.frame["offered"].to_numpy(float))
        obs = E.history_counts(d.frame)
        obs["channel"] = obs["channel"].astype(str)
    vol = E.volume_and_profiles(grid, np.random.default_rng(0), n_boot=1)
    special = set(grid.dates[~vol.ordinary].date)
    obs = obs[~pd.DatetimeIndex(obs["interval_start"]).normalize().isin(pd.DatetimeIndex(list(special)))]
    dates = grid.dates[vol.ordinary]
    obs_days = {w: int((dates.day_of_week == w).sum()) for w in range(7)}
    weeks_obs = len(dates) / 7.0

    data_sc = scenario.model_dump(mode="json")
    data_sc["horizon"] = {**data_sc["horizon"], "days": 7 * weeks, "start_weekday": "mon",
                          "steady_state_hours": None}
    data_sc["run"] = {**data_sc["run"], "record_contacts": True}
    sim_sc = Scenario.model_validate(data_sc)
    res = simulate(sim_sc, replications=replications, seed=seed, workers=workers, backend="serial"
                   if workers == 1 else "process", keep_records=True)
    sim_days = {w: weeks for w in range(7)}
    slot_rows, overall_rows = [], []
    for rep in range(replications):
        log = contacts_to_log(res.contacts, replication=rep, with_agents=False, with_customers=False)
        log = log[log["arrival_at"] < pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * weeks)]
        so = E.interval_observed(log, m, {c: thr.get(c, 20.0) for c in log["channel"].unique()})
        slot_rows.append(_by_slot(so, m, sim_days).assign(replication=rep))
        overall_rows.append(_overall(so, 7 * weeks).assign(replication=rep))
    sim_slot = pd.concat(slot_rows, ignore_index=True)
    sim_all = pd.concat(overall_rows, ignore_index=True)
    obs_slot = _by_slot(obs, m, obs_days)
    obs_all = _overall(obs, len(dates))

    def compare(sim: pd.DataFrame, ob: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        out = []
        t = stats.t.ppf(0.975, max(replications - 1, 1))
        scale = np.sqrt(weeks / max(weeks_obs, 1e-9) + 1.0 / replications)
        for metric in METRICS:
            g = sim.groupby(keys)[metric]
            mean, sd = g.mean(), g.std(ddof=1).fillna(0.0)
            o = ob.set_index(keys)[metric].reindex(mean.index)
            low, high = mean - t * sd * scale, mean + t * sd * scale
            df = pd.DataFrame({"metric": metric, "observed": o, "simulated": mean, "band_low": low,
                               "band_high": high}).reset_index()
            df["inside"] = (df["observed"] >= df["band_low"] - 1e-12) & (df["observed"] <= df["band_high"] + 1e-12)
            out.append(df)
        return pd.concat(out, ignore_index=True)

    intervals = compare(sim_slot, obs_slot, ["channel", "weekday", "slot"])
    intervals = intervals[(intervals["simulated"].notna()) | (intervals["observed"].notna())]
    intervals = intervals[~((intervals["observed"].fillna(0) == 0) & (intervals["simulated"].fillna(0) == 0)
                            & (intervals["metric"] == "offered_per_day"))]
    wd = np.array(E.WEEKDAYS)
    intervals["label"] = [f"{wd[w].capitalize()} {s * m // 60:02d}:{s * m % 60:02d}"
                          for w, s in zip(intervals["weekday"], intervals["slot"], strict=True)]
    overall = compare(sim_all, obs_all, ["channel"])
    return Backtest(overall, intervals.reset_index(drop=True), replications, weeks, weeks_obs, d.source,
                    scenario.name)
