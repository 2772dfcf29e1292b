"""From centre data to a scenario: run the estimators and write the commented, runnable YAML.

The scenario keeps the data's own interval length, one intraday profile per weekday, the arrival
variability (day CV, its persistence, within-day CV), the fitted handle-time and patience laws, the
class shares and the staffing per interval of each weekday. Observed KPIs per interval go beside it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from contactsim.calibration import estimate as E
from contactsim.calibration.contract import Data, read_data
from contactsim.calibration.writer import Doc, ci_text
from contactsim.errors import ContactsimError
from contactsim.scenario.load import parse_scenario, parse_yaml_text
from contactsim.scenario.schema import Scenario

KINDS = ("phone", "chat", "messaging", "email", "store", "callback", "social")


@dataclass
class Calibration:
    """What calibration found, and the scenario it wrote."""

    data: Data
    scenario: Scenario
    text: str
    estimates: list[E.Estimate]
    grid: E.Grid
    volume: E.Volume
    variability: E.Variability
    handle: dict[str, E.LawFit | tuple[E.Estimate, E.Estimate]]
    acw: E.LawFit | None
    patience: dict[str, E.PatienceFit | E.Estimate]
    returns: E.Returns | None
    staffing: pd.DataFrame
    """pool, weekday, slot, agents, busy_agents, occupancy (mean over that weekday's dates)."""
    observed: pd.DataFrame
    """Observed KPIs per interval (interval_start, channel, offered, answered, ..., service_level, asa_s)."""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def estimate(self, key: str) -> E.Estimate:
        for e in self.estimates:
            if e.key == key:
                return e
        raise KeyError(key)


def _name(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "_", str(text)).strip("_.-") or "x"
    return s[:64] if s[0].isalnum() or s[0] == "_" else "x" + s[:63]


def _r(x: float, d: int = 4) -> float:
    return float(round(float(x), d))


def _profile_list(p: np.ndarray) -> list[float]:
    """Shares rounded to 6 decimals, fixed to sum to exactly 1 within the schema's tolerance."""
    q = np.round(p / p.sum(), 6)
    i = int(np.argmax(q))
    q[i] = round(q[i] + 1.0 - float(q.sum()), 6)
    return [float(v) for v in q]


def _overlap(first: np.ndarray, last: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Sum over spans of their overlap with each [edges[k], edges[k+1]) (seconds), without a loop.

    F(t) = sum of clip(t - first, 0, last - first) = sum over first < t of (t - first) minus the same
    for last; the overlap with a slot is F(end) - F(start)."""
    def integral(points: np.ndarray) -> np.ndarray:
        p = np.sort(points)
        c = np.concatenate([[0.0], np.cumsum(p)])
        k = np.searchsorted(p, edges, side="left")
        return k * edges - c[k]

    f = integral(first) - integral(last)
    return np.diff(f)


def _staffing_frame(rows: list[tuple]) -> pd.DataFrame:
    """(pool, weekday, slot, agents, busy_agents) rows with the occupancy they imply (NaN where nobody is on)."""
    df = pd.DataFrame(rows, columns=["pool", "weekday", "slot", "agents", "busy_agents"])
    with np.errstate(invalid="ignore", divide="ignore"):
        df["occupancy"] = df["busy_agents"] / df["agents"]
    return df


def _staffing_from_agents(log: pd.DataFrame, minutes: int, pools: dict[str, set[str]],
                          agent_pool: pd.Series, ordinary_dates: set) -> pd.DataFrame:
    """Mean agents on duty and busy per weekday x slot per pool, from the agent spans of the log."""
    answered, spans = E.agent_staffing(log, minutes)
    slot_s = minutes * 60.0
    per_day = 1440 // minutes
    spans["pool"] = spans["agent_id"].map(agent_pool)
    answered["pool"] = answered["agent_id"].map(agent_pool)
    t0 = spans["date"].min()
    n_dates = int((spans["date"].max() - t0) / pd.Timedelta(days=1)) + 2
    edges = np.arange(n_dates * per_day + 1) * slot_s
    dates = pd.date_range(t0, periods=n_dates, freq="D")
    use = np.array([d.date() in ordinary_dates for d in dates])
    wd = dates.day_of_week.to_numpy()
    rows = []
    for pool in pools:
        sp = spans[spans["pool"] == pool]
        an = answered[answered["pool"] == pool]
        sec = lambda x: (x - t0).dt.total_seconds().to_numpy()  # noqa: E731
        on = _overlap(sec(sp["first"]), sec(sp["last"]), edges).reshape(n_dates, per_day) / slot_s
        busy = _overlap(sec(an["start"]), sec(an["end"]), edges).reshape(n_dates, per_day) / slot_s
        seen = np.zeros(n_dates, bool)
        seen[((pd.DatetimeIndex(sp["date"]) - t0) // pd.Timedelta(days=1)).to_numpy()] = True
        for w in range(7):
            m = use & seen & (wd == w)
            o = on[m].mean(axis=0) if m.any() else np.zeros(per_day)
            b = busy[m].mean(axis=0) if m.any() else np.zeros(per_day)
            rows += [(pool, w, k, o[k], b[k]) for k in range(per_day)]
    return _staffing_frame(rows)


def _staffing_erlang(offered: np.ndarray, wait_all: np.ndarray, minutes: int, aht: float, patience: float,
                     pool: str) -> pd.DataFrame:
    """Agents per weekday x slot whose Erlang-A mean wait (of all callers) is closest to the observed one."""
    from contactsim.erlang import erlang_a_metrics

    rows = []
    slot_s = minutes * 60.0
    for wd in range(7):
        for k in range(offered.shape[1]):
            lam = offered[wd, k] / slot_s
            if lam <= 0:
                rows.append((pool, wd, k, 0.0, 0.0))
                continue
            load = lam * aht
            best, gap = max(1, int(np.ceil(load))), np.inf
            for c in range(max(1, int(load * 0.5)), int(load * 2 + 10)):
                w = erlang_a_metrics(lam, 1 / aht, c, 1 / patience, 0.0).asa_s
                if abs(w - wait_all[wd, k]) < gap:
                    best, gap = c, abs(w - wait_all[wd, k])
                if w < wait_all[wd, k] * 0.5:
                    break
            rows.append((pool, wd, k, float(best), float(load)))
    return _staffing_frame(rows)


def _weekday_slot_means(grid: E.Grid, ordinary: np.ndarray, values: np.ndarray) -> np.ndarray:
    """[7, slot] mean over ordinary dates of each weekday."""
    out = np.zeros((7, values.shape[1]))
    for wd in range(7):
        m = ordinary & (grid.weekday == wd)
        if m.any():
            out[wd] = values[m].mean(axis=0)
    return out


def build(data: str | Path | Data, columns: Mapping[str, str] | None = None, timezone: str | None = None,
          interval_minutes: int | None = None, name: str | None = None, sl_threshold_s: float = 20.0,
          seed: int = 1) -> Calibration:
    """Run every estimator on a per-contact log or an interval history and assemble the scenario."""
    t_start = time.perf_counter()
    d = data if isinstance(data, Data) else read_data(data, columns, timezone, interval_minutes)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xCA1,)))
    m = d.interval_minutes
    f = d.frame
    notes: list[str] = []
    ests: list[E.Estimate] = []
    is_log = d.kind == "log"

    ret = None
    if is_log and "customer_id" in f.columns and f["customer_id"].notna().any():
        ret = E.returns(f)
        ests += [ret.retrial_probability, ret.retrial_delay_mean, ret.repeat_probability, ret.repeat_delay_mean]
        first = ret.first_contact
    else:
        first = np.ones(len(f), bool)

    if is_log:
        grid = E.count_grid(f.loc[first, "arrival_at"], m)
    else:
        grid = E.count_grid(f["interval_start"], m, f["offered"].to_numpy(float))
    vol = E.volume_and_profiles(grid, rng)
    var = E.variability(grid, vol.ordinary)
    ests += [var.interval_cv, var.day_cv, var.persistence]
    ordinary_dates = set(grid.dates[vol.ordinary].date)
    weekly_total = vol.weekday_mean.sum()
    if weekly_total <= 0:
        raise ContactsimError(d.source, [], kind="data")  # pragma: no cover - read_data rejects empty data
    weekly_total / 7
    for w in range(7):
        ests.append(E.Estimate(f"volume.{E.WEEKDAYS[w]}", vol.weekday_mean[w], *vol.weekday_ci[w],
                               "mean contacts on that weekday (special dates left out), Student-t 95% CI"))

    channels = sorted(f["channel"].dropna().astype(str).unique())
    reasons = sorted(f["reason"].dropna().astype(str).unique())
    ff = f[first]

    # segments and priorities
    priority_order: list[str] = []
    if is_log and "segment" in f.columns and f["segment"].notna().any():
        seg_col = ff["segment"].fillna("other").astype(str)
    elif is_log and "priority" in f.columns and f["priority"].notna().any():
        seg_col = "priority_" + ff["priority"].fillna("none").astype(str)
    else:
        seg_col = pd.Series("customers", index=ff.index)
    segments = sorted(seg_col.unique())
    seg_share = seg_col.value_counts(normalize=True).reindex(segments).fillna(0.0)
    if is_log and "priority" in f.columns and f["priority"].notna().any():
        pr = pd.DataFrame({"s": seg_col, "p": ff["priority"].astype(str)}).groupby("s")["p"].agg(
            lambda x: x.value_counts().index[0])
        key = lambda s: (float(pr[s]) if re.fullmatch(r"-?\d+(\.\d+)?", pr[s]) else np.inf, pr[s])  # noqa: E731
        priority_order = sorted(segments, key=key)
        notes.append("priority classes: lower priority value = served first (" + " > ".join(priority_order) + ")")

    # handle times, ACW and patience
    handle: dict[str, E.LawFit | tuple[E.Estimate, E.Estimate]] = {}
    patience: dict[str, E.PatienceFit | E.Estimate] = {}
    acw = None
    sl_thr = {c: sl_threshold_s for c in channels}
    if is_log:
        ans = f[f["outcome"] == "answered"]
        for ch in channels:
            pooled = None
            for r in reasons:
                x = ans.loc[(ans["channel"] == ch) & (ans["reason"] == r), "handle_s"].to_numpy(float)
                if x.size >= 50:
                    handle[f"{r}|{ch}"] = E.fit_law(f"reasons.{_name(r)}.handle_time.{_name(ch)}", x, rng)
                elif (ans["channel"] == ch).any():
                    if pooled is None:
                        pooled = E.fit_law(f"handle_time.{_name(ch)}",
                                           ans.loc[ans["channel"] == ch, "handle_s"].to_numpy(float), rng)
                    handle[f"{r}|{ch}"] = pooled
        for fit in {id(v): v for v in handle.values()}.values():
            ests += [fit.mean, fit.cv]
        if "acw_s" in f.columns and (ans["acw_s"].fillna(0) > 0).sum() >= 50:
            acw = E.fit_law("after_contact_work", ans["acw_s"].to_numpy(float), rng)
            ests += [acw.mean, acw.cv]
        no_segment = "segment" not in f.columns
        segf = ("priority_" + f["priority"].fillna("none").astype(str)) if priority_order and no_segment \
            else (f["segment"].fillna("other").astype(str) if "segment" in f.columns and f["segment"].notna().any()
                  else pd.Series("customers", index=f.index))
        for ch in channels:
            sel = f["channel"] == ch
            pooled_fit = E.fit_patience(f"patience.{_name(ch)}", f.loc[sel, "wait_s"].to_numpy(float),
                                        (f.loc[sel, "outcome"] == "abandoned").to_numpy(), rng)
            for s in segments:
                ss = sel & (segf == s)
                n_ab = int((f.loc[ss, "outcome"] == "abandoned").sum())
                patience[f"{s}|{ch}"] = (E.fit_patience(f"segments.{_name(s)}.patience.{_name(ch)}",
                                                        f.loc[ss, "wait_s"].to_numpy(float),
                                                        (f.loc[ss, "outcome"] == "abandoned").to_numpy(), rng)
                                         if n_ab >= 100 and len(segments) > 1 else pooled_fit)
        for fit in {id(v): v for v in patience.values()}.values():
            ests.append(fit.mean)
        observed = E.interval_observed(f, m, sl_thr)
    else:
        for ch in channels:
            for r in reasons:
                sel = (f["channel"] == ch) & (f["reason"] == r)
                if "aht_s" in f.columns and "answered" in f.columns and sel.any():
                    mean, cv = E.handle_from_intervals(f.loc[sel, "answered"].to_numpy(float),
                                                       f.loc[sel, "aht_s"].to_numpy(float))
                    mean.key, cv.key = (f"reasons.{_name(r)}.handle_time.{_name(ch)}.mean",
                                        f"reasons.{_name(r)}.handle_time.{_name(ch)}.cv")
                    handle[f"{r}|{ch}"] = (mean, cv)
                    ests += [mean, cv]
            sel = f["channel"] == ch
            if {"abandoned", "asa_s"} <= set(f.columns):
                est = E.patience_from_intervals(f.loc[sel, "offered"].to_numpy(float),
                                                f.loc[sel, "abandoned"].to_numpy(float),
                                                f.loc[sel, "asa_s"].to_numpy(float), rng)
                est.key = f"segments.customers.patience.{_name(ch)}.mean"
                patience[f"customers|{ch}"] = est
                ests.append(est)
            if "sl_threshold_s" in f.columns and f.loc[sel, "sl_threshold_s"].notna().any():
                sl_thr[ch] = float(f.loc[sel, "sl_threshold_s"].dropna().iloc[0])
        if not handle:
            raise ContactsimError(d.source, [E_issue("aht_s and answered", "needed to estimate handle times")],
                                  kind="data")
        if not patience:
            raise ContactsimError(d.source, [E_issue("abandoned and asa_s", "needed to estimate patience")],
                                  kind="data")
        observed = E.finish_kpis(E.history_counts(f).groupby(["interval_start", "channel"], sort=True)
                                 .sum(min_count=1).reset_index())
        if "agents" in f.columns:
            observed = observed.merge(f.groupby(["interval_start", "channel"])["agents"].sum().reset_index(),
                                      on=["interval_start", "channel"], how="left")

    # pools and staffing
    per_day = 1440 // m
    pools: dict[str, dict] = {}
    if is_log and "agent_id" in f.columns and f["agent_id"].notna().any():
        ans = f[(f["outcome"] == "answered") & f["agent_id"].notna()]
        q = ans["reason"].astype(str) + "|" + ans["channel"].astype(str)
        share = pd.crosstab(ans["agent_id"], q, normalize="index")
        skills = share.apply(lambda row: frozenset(row.index[row >= 0.05]), axis=1)
        sets = skills.value_counts()
        names = {}
        for i, s in enumerate(sets.index):
            rs = sorted({x.split("|")[0] for x in s})
            cs = sorted({x.split("|")[1] for x in s})
            names[s] = _name("+".join(rs) if len(sets) > 1 else "agents") if len(sets) <= 8 else f"pool_{i + 1}"
            if names[s] in [v["name"] for v in pools.values()]:
                names[s] = f"pool_{i + 1}"
            pools[names[s]] = {"name": names[s], "reasons": rs, "channels": cs, "agents_seen": int(sets[s])}
        agent_pool = skills.map(names)
        staffing = _staffing_from_agents(f, m, {p: set() for p in pools}, agent_pool, ordinary_dates)
        source = ("agents on duty per interval, reconstructed from agent_id: an agent is on duty from a contact's "
                  "start to the end of the last contact before an idle gap of over 30 minutes; mean over the "
                  "weekday's dates")
        if len(pools) > 1:
            notes.append(f"{len(pools)} pools from the agents' skill sets (queues making up >= 5% of an agent's "
                         "contacts); shared agents serve every queue of their set")
    else:
        staffing_parts = []
        for ch in channels:
            pools[_name(ch)] = {"name": _name(ch), "reasons": reasons, "channels": [ch], "agents_seen": 0}
            if not is_log and "agents" in f.columns:
                a = f[f["channel"] == ch].groupby("interval_start")["agents"].agg(
                    lambda x: x.max() if x.nunique() == 1 else x.sum())
                g2 = E.count_grid(pd.Series(a.index), m, a.to_numpy(float))
                on = _weekday_slot_means(grid, vol.ordinary, _align(g2, grid))
                sub = f[f["channel"] == ch]
                work = (sub["answered"] * sub["aht_s"]).fillna(0.0) if {"answered", "aht_s"} <= set(sub.columns) \
                    else pd.Series(0.0, index=sub.index)
                busy_g = E.count_grid(sub["interval_start"], m, work.to_numpy(float) / (m * 60.0))
                busy = _weekday_slot_means(grid, vol.ordinary, _align(busy_g, grid))
                rows = [(_name(ch), wd, k, on[wd, k], busy[wd, k]) for wd in range(7) for k in range(per_day)]
                staffing_parts.append(_staffing_frame(rows))
                source = "mean of the history's agents column per interval of each weekday"
            else:
                sel = f["channel"] == ch
                if is_log:
                    g_off = E.count_grid(f.loc[sel, "arrival_at"], m)
                    g_wait = E.count_grid(f.loc[sel, "arrival_at"], m, f.loc[sel, "wait_s"].to_numpy(float))
                    off = _weekday_slot_means(grid, vol.ordinary, _align(g_off, grid))
                    wsum = _weekday_slot_means(grid, vol.ordinary, _align(g_wait, grid))
                    wait_all = np.divide(wsum, off, out=np.zeros_like(off), where=off > 0)
                    aht = float(f.loc[sel & (f["outcome"] == "answered"), "handle_s"].mean())
                    pat = next(v for k, v in patience.items() if k.endswith(f"|{ch}"))
                    pmean = pat.mean.value if isinstance(pat, E.PatienceFit) else pat.value
                    staffing_parts.append(_staffing_erlang(off, wait_all, m, aht, max(pmean, 1.0), _name(ch)))
                    source = ("no agent_id: agents per interval whose Erlang-A mean wait of all callers (M/M/c+M with "
                              "the fitted AHT and exponential patience) is closest to the observed mean wait")
                else:
                    raise ContactsimError(d.source, [E_issue("agents", "an interval history needs an agents column "
                                                             "for staffing")], kind="data")
        staffing = pd.concat(staffing_parts, ignore_index=True)

    text, sc = _write(d, name, grid, vol, var, channels, reasons, segments, seg_share, seg_col, ff, handle, acw,
                      patience, ret, pools, staffing, priority_order, sl_thr, per_day, source, notes)
    cal = Calibration(d, sc, text, ests, grid, vol, var, handle, acw, patience, ret, staffing, observed, notes)
    cal.seconds = time.perf_counter() - t_start
    return cal


def E_issue(path: str, message: str):
    from contactsim.errors import Issue

    return Issue(f"column {path}", message, None, "add the column, or map yours with --columns YOURS=NAME")


def _align(g: E.Grid, ref: E.Grid) -> np.ndarray:
    """Counts of ``g`` on the dates of ``ref`` (zero where ``g`` has none)."""
    out = np.zeros_like(ref.counts)
    idx = ((g.dates - ref.dates[0]) // pd.Timedelta(days=1)).to_numpy()
    ok = (idx >= 0) & (idx < len(ref.dates))
    out[idx[ok]] = g.counts[ok]
    return out


def _write(d: Data, name, grid, vol, var, channels, reasons, segments, seg_share, seg_col, ff, handle, acw, patience,
           ret, pools, staffing, priority_order, sl_thr, per_day, staffing_source, notes) -> tuple[str, Scenario]:
    m = d.interval_minutes
    doc = Doc()
    n_days = len(grid.dates)
    dropped = "; ".join(f"{v:,} {k}" for k, v in d.dropped.items()) or "none"
    doc.comment("yaml-language-server: $schema=../scenario.schema.json")
    doc.comment(f"Calibrated by `contactsim calibrate` from {Path(d.source).name} "
                f"({'per-contact log' if d.kind == 'log' else 'interval history'}; {d.rows_read:,} rows read; "
                f"rows dropped: {dropped}).")
    doc.comment(f"Data: {grid.dates[0].date()} to {grid.dates[-1].date()} ({n_days} dates), {m}-minute intervals. "
                "Every number below says where it came from; 95% CIs are the estimate's uncertainty.")
    if len(vol.special):
        doc.comment("Special dates (volume > 4 robust SDs from their weekday; left out of every estimate): "
                    + ", ".join(f"{r.date} {r.weekday} {r.volume:,.0f} vs {r.expected:,.0f}"
                                for r in vol.special.itertuples()))
    for n in notes:
        doc.comment(n)
    doc.item("name", _name(name or Path(d.source).stem))
    doc.item("description", f"Calibrated from {Path(d.source).name} ({grid.dates[0].date()} to "
                            f"{grid.dates[-1].date()}).")
    doc.item("run", {"seed": 1, "replications": 10})
    doc.item("horizon", {"days": 7, "start_weekday": "mon", "interval_minutes": m, "drain_hours": 2},
             comment="one week at the data's interval length")
    doc.key("arrivals")
    wk = vol.weekday_mean / vol.weekday_mean.sum()
    doc.comment("share of the week's contacts per weekday, Monday first: mean contacts per weekday "
                + ", ".join(f"{E.WEEKDAYS[w]} {vol.weekday_mean[w]:,.0f} ({vol.weekday_ci[w][0]:,.0f}-"
                            f"{vol.weekday_ci[w][1]:,.0f})" for w in range(7)), 2)
    doc.item("weekly", [_r(x, 6) for x in _fix_sum(wk)], 2)
    open_days = [w for w in range(7) if vol.weekday_mean[w] > 0]
    avg = (vol.profiles[open_days] * vol.weekday_mean[open_days, None]).sum(axis=0)
    doc.comment(f"intraday shares per {m}-minute interval from 00:00, pooled over the week (volume-weighted)", 2)
    doc.item("intraday", _profile_list(avg), 2)
    doc.comment("intraday shares per weekday (observed share of that weekday's contacts per interval; "
                "the report shows day-bootstrap 95% bands)", 2)
    doc.key("intraday_by_weekday", 2)
    for w in open_days:
        doc.item(E.WEEKDAYS[w], _profile_list(vol.profiles[w]), 4)
    v = var
    doc.item("overdispersion_cv", _r(v.day_cv.value), 2,
             f"day-level CV, {ci_text(v.day_cv.low, v.day_cv.high)}: {v.day_cv.method}")
    doc.item("day_persistence", _r(min(v.persistence.value, 0.99)), 2,
             f"{ci_text(v.persistence.low, v.persistence.high)}: {v.persistence.method} (observed lag-1 acf "
             f"{v.acf1:.2f})")
    doc.item("interval_overdispersion_cv", _r(v.interval_cv.value), 2,
             f"within-day CV per interval, {ci_text(v.interval_cv.low, v.interval_cv.high)}: "
             f"{v.interval_cv.method}; observed variance/mean {v.interval_dispersion:.2f}")

    doc.key("channels")
    for ch in channels:
        kind = ch.lower() if ch.lower() in KINDS else "phone"
        doc.item(_name(ch), {"kind": kind, "service_level": {"seconds": sl_thr[ch], "share": 0.8}}, 2,
                 comment="opening hours follow the profile (no arrivals, no staff outside it); target "
                         f"{sl_thr[ch]:g} s is the one KPIs were measured with, share 0.8 a placeholder")
    doc.key("segments")
    chan_pref = pd.crosstab(seg_col, ff["channel"].astype(str), normalize="index")
    for s in segments:
        doc.key(_name(s), 2)
        doc.item("share", _r(seg_share[s], 6), 4, f"share of {'first ' if ret else ''}contacts")
        pref = {_name(c): _r(chan_pref.loc[s, c], 6) for c in channels if chan_pref.loc[s, c] > 0}
        tot = sum(pref.values())
        k0 = next(iter(pref))
        pref[k0] = _r(pref[k0] + 1 - tot, 6)
        doc.item("channel_preference", pref, 4, "observed channel mix of the segment")
        doc.key("patience", 4)
        for ch in channels:
            if pref.get(_name(ch), 0) <= 0:
                continue
            pf = patience.get(f"{s}|{ch}")
            if pf is None:
                continue
            if isinstance(pf, E.PatienceFit):
                doc.item(_name(ch), pf.spec(), 6, f"mean {ci_text(pf.mean.low, pf.mean.high)}; {pf.mean.method}")
            else:
                doc.item(_name(ch), {"dist": "exponential", "mean": _r(max(pf.value, 1.0), 2)}, 6,
                         f"{ci_text(pf.low, pf.high)}; {pf.method}")
        if ret is not None and ret.retrial_probability.value > 0.005:
            rp = ret.retrial_probability
            doc.item("retrial", {"probability": _r(rp.value), "delay": {"dist": "exponential", "mean": _r(
                max(ret.retrial_delay_mean.value, 1.0), 1)}}, 4,
                f"{ci_text(rp.low, rp.high)}: {rp.method}; delay: mean gap")

    doc.key("reasons")
    r_share = ff["reason"].astype(str).value_counts(normalize=True)
    for r in reasons:
        doc.key(_name(r), 2)
        vol_r = vol.weekday_mean.sum() / 7 * float(r_share.get(r, 0.0))
        doc.item("volume_per_day", _r(vol_r, 2), 4,
                 f"{r_share.get(r, 0.0):.1%} of {'first ' if ret else ''}contacts x {vol.weekday_mean.sum() / 7:,.1f} "
                 "per average day")
        if len(segments) > 1:
            ct = pd.crosstab(ff["reason"].astype(str), seg_col, normalize="index")
            mix = {_name(s): _r(ct.loc[r, s] / max(seg_share[s], 1e-12), 4) for s in segments if s in ct.columns}
            doc.item("segment_mix", mix, 4, "relative propensity: share of the reason's contacts / segment share")
        doc.key("handle_time", 4)
        for ch in channels:
            h = handle.get(f"{r}|{ch}") or next((v for k, v in handle.items() if k.endswith(f"|{ch}")), None)
            if h is None:
                continue
            if isinstance(h, E.LawFit):
                aic = ", ".join(f"{k} {h.aic[k] - min(h.aic.values()):+.0f}" for k in E.LAWS)
                doc.item(_name(ch), h.spec(), 6, f"{h.chosen} chosen on {h.n:,} handle times (AIC vs best: {aic}; "
                         f"KS {h.ks[min(h.aic, key=h.aic.get)]:.3f}); mean {ci_text(h.mean.low, h.mean.high)}, "
                         f"CV {ci_text(h.cv.low, h.cv.high)}")
            else:
                mean, cv = h
                doc.item(_name(ch), {"dist": "lognormal", "mean": _r(mean.value, 2),
                                     "cv": _r(min(max(cv.value, 0.05), 10.0))}, 6,
                         f"mean {ci_text(mean.low, mean.high)} ({mean.method}); {cv.method}")
        if ret is not None:
            rp = ret.repeat_probability
            doc.item("fcr", {_name(c): _r(1 - rp.value) for c in channels}, 4,
                     f"1 - repeat rate, {ci_text(1 - rp.high, 1 - rp.low)}: {rp.method}")
            doc.item("repeat", {"probability": 1.0, "delay": {"dist": "exponential", "mean": _r(
                max(ret.repeat_delay_mean.value, 60.0), 1)}}, 4, "delay: mean gap to the repeat contact")

    doc.key("pools")
    doc.comment(f"staffing: {staffing_source}; one list per weekday", 2)
    for p, info in pools.items():
        st = staffing[staffing["pool"] == p]
        by_wd = {}
        for w in range(7):
            a = st[st["weekday"] == w].sort_values("slot")["agents"].to_numpy()
            by_wd[E.WEEKDAYS[w]] = [int(x) for x in np.round(a)] if a.size else [0] * per_day
        occ = st["busy_agents"].sum() / max(st["agents"].sum(), 1e-9)
        doc.key(p, 2, f"implied occupancy {occ:.1%} (busy / on duty)"
                + (f"; {info['agents_seen']} agents seen" if info["agents_seen"] else ""))
        doc.item("channels", [_name(c) for c in info["channels"]], 4)
        doc.item("reasons", [_name(r) for r in info["reasons"]], 4)
        doc.key("staffing", 4)
        for w in E.WEEKDAYS:
            doc.item(w, by_wd[w], 6)
        if acw is not None:
            doc.item("after_contact_work", acw.spec(), 4, f"{acw.chosen} by AIC on {acw.n:,} ACW times; mean "
                     f"{ci_text(acw.mean.low, acw.mean.high)}")
        if priority_order:
            doc.item("discipline", {"type": "priority", "classes": [{"segments": [_name(s)]}
                                                                    for s in priority_order[:-1]]}, 4,
                     "strict priority by the log's priority column")
    text = doc.text()
    sc = parse_scenario(parse_yaml_text(text, "<calibrated scenario>"), "<calibrated scenario>")
    return text, sc


def _fix_sum(x: np.ndarray) -> np.ndarray:
    q = np.round(x, 6)
    i = int(np.argmax(q))
    q[i] = round(q[i] + 1.0 - float(q.sum()), 6)
    return q
