"""KPI definitions that reconcile with an ACD / WFM report, computed from per-contact records.

Each function is one definition, written the way planners read it in their ACD reports (docs/KPIS.md
gives every formula). They work on the tidy records (``contacts.parquet`` / ``RunResult.contacts``), so a
run can be checked line by line against an ACD export of the same calls:

* service level with a chosen treatment of abandons (counted against, excluded, or short abandons under
  N seconds excluded), by arrival interval or by answer interval;
* AHT with and without after-contact work;
* occupancy per interval of agents on duty only (intervals nobody is on duty have no occupancy);
* backlog SLAs on the calendar clock or a business-hours clock;
* time to resolution per need (first contact to the contact that resolved it, across repeats and
  channels) against a target per segment (and reason).

Independent of the engine and the metrics accumulator: numpy and pandas only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from contactsim.scenario.schema import Scenario
from contactsim.scenario.timespec import WEEKDAYS, opening_windows

AbandonRule = Literal["against", "excluded", "short_excluded"]
WEEK_S = 7 * 86400.0


def _interval(t: np.ndarray, interval_s: float) -> np.ndarray:
    return np.floor(np.asarray(t, dtype=float) / interval_s).astype(np.int64)


def sl_flags(c: pd.DataFrame, *, threshold_s: float | None = None, abandons: AbandonRule = "against",
             short_abandon_s: float = 5.0) -> dict[str, np.ndarray]:
    """Per contact: answered, answered within target (in_sl), abandoned, short abandon, in the denominator."""
    wait = np.nan_to_num(c["wait_s"].to_numpy(dtype=float))
    answered = c["outcome"].astype(str).to_numpy() == "handled"
    abandoned = ~answered
    t_s = np.full(len(c), float(threshold_s)) if threshold_s is not None else c["sl_threshold_s"].to_numpy(dtype=float)
    in_sl = answered & (wait <= t_s + 1e-9)
    short = abandoned & (wait <= short_abandon_s + 1e-9)
    if abandons == "against":
        denom = answered | abandoned
    elif abandons == "excluded":
        denom = answered
    elif abandons == "short_excluded":
        denom = answered | (abandoned & ~short)
    else:
        raise ValueError(f"abandons must be against, excluded or short_excluded, not {abandons!r}")
    return {"wait": wait, "answered": answered, "in_sl": in_sl, "abandoned": abandoned, "short": short,
            "denominator": denom}


def service_level(contacts: pd.DataFrame, *, threshold_s: float | None = None, abandons: AbandonRule = "against",
                  short_abandon_s: float = 5.0, by: Literal["arrival", "answer"] = "arrival",
                  interval_s: float | None = None) -> pd.DataFrame:
    """Service level per interval (or overall when ``interval_s`` is None).

    SL = answered within T / denominator, with the denominator by ``abandons``:
    ``against`` answered + abandoned (every offered contact); ``excluded`` answered only;
    ``short_excluded`` answered + abandoned after more than ``short_abandon_s`` (callers who hang up
    within N s never really waited). T is ``threshold_s`` or each contact's own target
    (``sl_threshold_s``). ``by="arrival"`` puts a contact in the interval it arrived in;
    ``by="answer"`` puts an answered contact in the interval it was answered and an abandoned one in the
    interval it abandoned (as ACD interval reports do). Contacts still unserved at the end count as
    abandoned at their last wait.
    """
    c = contacts
    f = sl_flags(c, threshold_s=threshold_s, abandons=abandons, short_abandon_s=short_abandon_s)
    answered, in_sl, abandoned, short, denom = (f[k] for k in ("answered", "in_sl", "abandoned", "short",
                                                                "denominator"))
    wait = f["wait"]
    arrival = c["arrival_at"].to_numpy(dtype=float)
    when = arrival if by == "arrival" else arrival + wait  # answer time, or the moment of abandoning
    if by not in ("arrival", "answer"):
        raise ValueError(f"by must be arrival or answer, not {by!r}")
    key = _interval(when, interval_s) if interval_s else np.zeros(len(c), dtype=np.int64)
    df = pd.DataFrame({"interval": key, "offered": 1, "answered": answered, "answered_in_target": in_sl,
                       "abandoned": abandoned, "short_abandoned": short, "denominator": denom})
    g = df.groupby("interval").sum()
    g["service_level"] = g["answered_in_target"] / g["denominator"].where(g["denominator"] > 0)
    return g.reset_index()


def aht(contacts: pd.DataFrame, *, with_acw: bool = True, interval_s: float | None = None) -> pd.DataFrame:
    """Average handle time of answered contacts: (talk [+ after-contact work]) / answered.

    Per interval of the answer (ACD convention) or overall. ``with_acw=False`` is talk time only.
    """
    c = contacts[contacts["outcome"].astype(str) == "handled"]
    work = np.nan_to_num(c["handle_s"].to_numpy(dtype=float))
    if with_acw:
        work = work + np.nan_to_num(c["acw_s"].to_numpy(dtype=float))
    answer = c["answered_at"].to_numpy(dtype=float)
    key = _interval(answer, interval_s) if interval_s else np.zeros(len(c), dtype=np.int64)
    g = pd.DataFrame({"interval": key, "answered": 1, "work_s": work}).groupby("interval").sum()
    g["aht_s"] = g["work_s"] / g["answered"]
    return g.reset_index()


def busy_seconds(start: np.ndarray, busy_s: np.ndarray, interval_s: float, n_intervals: int) -> np.ndarray:
    """Agent-seconds busy in each interval: the exact overlap of [start, start + busy) with the grid."""
    grid = np.arange(n_intervals + 1) * interval_s
    s = np.sort(np.asarray(start, dtype=float))
    e = np.sort(np.asarray(start, dtype=float) + np.asarray(busy_s, dtype=float))
    cs, ce = np.concatenate([[0.0], np.cumsum(s)]), np.concatenate([[0.0], np.cumsum(e)])
    ns, ne = np.searchsorted(s, grid), np.searchsorted(e, grid)
    return np.diff((grid * ns - cs[ns]) - (grid * ne - ce[ne]))


def duty_seconds(change_times: np.ndarray, change_agents: np.ndarray, interval_s: float,
                 n_intervals: int) -> np.ndarray:
    """Agent-seconds on duty in each interval from a staffing step function (change points, agents)."""
    grid = np.arange(n_intervals + 1) * interval_s
    pts = np.unique(np.concatenate([np.asarray(change_times, dtype=float), grid]))
    pts = pts[(pts >= 0) & (pts <= grid[-1])]
    lvl = np.asarray(change_agents)[np.searchsorted(change_times, pts[:-1], side="right") - 1]
    cum = np.concatenate([[0.0], np.cumsum(lvl * np.diff(pts))])
    return np.diff(np.interp(grid, pts, cum))


def occupancy(busy: np.ndarray, duty: np.ndarray, concurrency: int = 1) -> tuple[np.ndarray, float]:
    """Occupancy per interval of agents on duty only, and over the on-duty intervals together.

    occupancy_i = busy_i / (duty_i x concurrency) where duty_i > 0, undefined (NaN) where nobody is on
    duty -- an interval with no agents has no occupancy, it is not 0% -- and the overall figure is
    sum(busy) / sum(duty x concurrency) over the intervals with agents on duty.
    """
    busy, duty = np.asarray(busy, dtype=float), np.asarray(duty, dtype=float)
    on = duty > 0
    per = np.full(len(duty), np.nan)
    per[on] = busy[on] / (duty[on] * concurrency)
    total = float(busy[on].sum() / (duty[on].sum() * concurrency)) if on.any() else float("nan")
    return per, total


def mean_agents_on_duty(duty: np.ndarray, interval_s: float) -> float:
    """Mean agents on duty over the intervals where anyone is (not diluted by closed hours)."""
    duty = np.asarray(duty, dtype=float)
    on = duty > 0
    return float(duty[on].sum() / (on.sum() * interval_s)) if on.any() else 0.0


def open_seconds_until(t: np.ndarray, windows: list[tuple[float, float]], start_weekday: int = 0) -> np.ndarray:
    """Business seconds from the run's start to each instant ``t``.

    ``windows`` are weekly (start, end) seconds from Monday 00:00 (as ``timespec.opening_windows`` gives);
    the run starts on ``start_weekday`` (0 = Monday) at 00:00.
    """
    t = np.asarray(t, dtype=float) + start_weekday * 86400.0
    weeks, rem = np.divmod(t, WEEK_S)
    per_week = sum(e - s for s, e in windows)
    within = np.zeros_like(rem)
    for s, e in windows:
        within += np.clip(rem - s, 0.0, e - s)
    origin = start_weekday * 86400.0
    base = sum(min(max(origin - s, 0.0), e - s) for s, e in windows)
    return weeks * per_week + within - base


def business_seconds(start: np.ndarray, end: np.ndarray, windows: list[tuple[float, float]],
                     start_weekday: int = 0) -> np.ndarray:
    """Seconds between two instants that fall inside business hours (the business-hours clock)."""
    return open_seconds_until(end, windows, start_weekday) - open_seconds_until(start, windows, start_weekday)


def backlog_service_level(contacts: pd.DataFrame, sla_hours: float, *, clock: Literal["calendar", "business_hours"]
                          = "calendar", windows: list[tuple[float, float]] | None = None,
                          start_weekday: int = 0) -> float:
    """Share of backlog contacts (e-mail, webcare) answered within ``sla_hours``.

    On the ``calendar`` clock the wait is answered_at - arrival_at; on the ``business_hours`` clock only
    the seconds inside ``windows`` count (an e-mail sent on Friday evening and answered on Monday at
    09:00 has waited one business hour if the office opens at 08:00). Unanswered contacts miss.
    """
    arr = contacts["arrival_at"].to_numpy(dtype=float)
    ans = contacts["answered_at"].to_numpy(dtype=float)
    answered = np.isfinite(ans)
    if clock == "calendar":
        wait = ans - arr
    elif clock == "business_hours":
        if windows is None:
            raise ValueError("the business-hours clock needs the business-hours windows")
        wait = np.full(len(arr), np.inf)
        wait[answered] = business_seconds(arr[answered], ans[answered], windows, start_weekday)
    else:
        raise ValueError(f"clock must be calendar or business_hours, not {clock!r}")
    ok = answered & (np.nan_to_num(wait, nan=np.inf) <= sla_hours * 3600.0 + 1e-9)
    return float(ok.mean()) if len(ok) else float("nan")


def time_to_resolution(contacts: pd.DataFrame) -> pd.DataFrame:
    """Per need that reached an agent: time from its first contact to the end of the contact that resolved
    it, across retrials, repeats and channels (``resolved_s``; NaN while unresolved).

    Columns: replication (when present), need_id, segment, reason, first_contact_at, resolved_at,
    contacts, resolved, resolved_s.
    """
    c = contacts[contacts["kind"].astype(str) != "outreach"] if "kind" in contacts else contacts
    keys = ["replication", "need_id"] if "replication" in c else ["need_id"]
    resolved_end = np.where(c["resolved"].to_numpy(dtype=bool) & (c["outcome"].astype(str) == "handled"),
                            c["end_at"].to_numpy(dtype=float), np.nan)
    df = pd.DataFrame({**{k: c[k].to_numpy() for k in keys}, "segment": c["segment"].astype(str).to_numpy(),
                       "reason": c["reason"].astype(str).to_numpy(),
                       "arrival_at": c["arrival_at"].to_numpy(dtype=float), "resolved_end": resolved_end})
    g = df.groupby(keys, sort=True).agg(segment=("segment", "first"), reason=("reason", "first"),
                                        first_contact_at=("arrival_at", "min"), resolved_at=("resolved_end", "min"),
                                        contacts=("arrival_at", "size"))
    g["resolved"] = g["resolved_at"].notna()
    g["resolved_s"] = g["resolved_at"] - g["first_contact_at"]
    return g.reset_index()


def resolution_sla(ttr: pd.DataFrame, targets: Mapping[str, Mapping[str, float]],
                   reason_hours: Mapping[str, Mapping[str, float]] | None = None) -> pd.DataFrame:
    """Per segment with a target: share of needs resolved within the target time, and whether it is met.

    ``targets[segment] = {"hours": H, "share": S}``; ``reason_hours[segment][reason]`` overrides H for a
    reason ("a stolen card within 1 hour"). Needs never resolved count as missing the target. Columns:
    segment, needs, resolved_in_target, resolution_sla, target_share, met.
    """
    rows = []
    for seg, t in targets.items():
        d = ttr[ttr["segment"] == seg]
        hours = np.full(len(d), float(t["hours"]))
        for r, h in (reason_hours or {}).get(seg, {}).items():
            hours[(d["reason"] == r).to_numpy()] = float(h)
        ok = d["resolved"].to_numpy() & (d["resolved_s"].to_numpy(dtype=float) <= hours * 3600.0 + 1e-9)
        n = len(d)
        level = float(ok.mean()) if n else float("nan")
        rows.append({"segment": seg, "needs": n, "resolved_in_target": int(ok.sum()), "resolution_sla": level,
                     "target_share": float(t["share"]), "met": bool(n and level >= float(t["share"]) - 1e-12)})
    return pd.DataFrame(rows, columns=["segment", "needs", "resolved_in_target", "resolution_sla", "target_share",
                                       "met"])


def acd_kpis(contacts: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """The ACD-style KPIs of a run's records, as the scenario's ``kpis`` section defines them.

    Long rows per replication: replication, segment, channel, metric, value (``all`` = every segment).
    Live channels get ``sl_acd`` (service level with the chosen abandon rule), ``aht_s`` (with
    after-contact work) and ``talk_time_s`` (without); backlog channels (no abandonment) get
    ``backlog_sla`` on the chosen clock; segments with a resolution target get ``resolution_sla``,
    ``resolution_target_met``, ``time_to_resolution_h`` (mean over resolved needs) and
    ``unresolved_share``. The same definitions as the functions above, summed per group at once.
    """
    k = sc.kpis
    start_wd = WEEKDAYS.index(sc.horizon.start_weekday)
    horizon_s = (sc.horizon.warmup_hours + (sc.horizon.steady_state_hours or 0.0)) * 3600.0 \
        if sc.horizon.steady_state else (sc.horizon.days or 0) * 86400.0
    warm = sc.horizon.warmup_hours * 3600.0 if sc.horizon.steady_state else 0.0
    c = contacts[(contacts["arrival_at"] >= warm) & (contacts["arrival_at"] < horizon_s)]
    if "kind" in c:
        c = c[c["kind"].astype(str) != "outreach"]
    f = sl_flags(c, abandons=k.abandons, short_abandon_s=k.short_abandon_s)
    chan = c["channel"].astype(str).to_numpy()
    live = np.array([sc.channels[x].abandonment for x in chan], dtype=bool)
    talk = np.where(f["answered"], np.nan_to_num(c["handle_s"].to_numpy(dtype=float)), 0.0)
    work = talk + np.where(f["answered"], np.nan_to_num(c["acw_s"].to_numpy(dtype=float)), 0.0)
    backlog_ok = np.zeros(len(c), dtype=bool)
    if (~live).any():
        arr, ans = c["arrival_at"].to_numpy(dtype=float), c["answered_at"].to_numpy(dtype=float)
        answered = np.isfinite(ans) & ~live
        wait = np.full(len(c), np.inf)
        if k.backlog_clock == "business_hours":
            wait[answered] = business_seconds(arr[answered], ans[answered], opening_windows(k.business_hours),
                                              start_wd)
        else:
            wait[answered] = ans[answered] - arr[answered]
        target_s = {x: sc.service_level_target(x).seconds for x in set(chan)}  # once per channel, not per contact
        sla_s = np.array([target_s[x] for x in chan])
        backlog_ok = answered & (wait <= sla_s + 1e-9)
    frame = pd.DataFrame({"replication": c["replication"].to_numpy(), "segment": c["segment"].astype(str).to_numpy(),
                          "channel": chan, "live": live, "in_sl": f["in_sl"], "denominator": f["denominator"],
                          "answered": f["answered"], "talk": talk, "work": work, "backlog_ok": backlog_ok, "n": 1})
    sums = ["in_sl", "denominator", "answered", "talk", "work", "backlog_ok", "n", "live"]
    by_seg = frame.groupby(["replication", "segment", "channel"])[sums].sum().reset_index()
    by_all = frame.groupby(["replication", "channel"])[sums].sum().reset_index()
    by_all.insert(1, "segment", "all")
    g = pd.concat([by_all, by_seg], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        is_live = g["live"] > 0
        answered = g["answered"].where(g["answered"] > 0)
        parts = [g[is_live].assign(metric="sl_acd", value=g["in_sl"] / g["denominator"].where(g["denominator"] > 0)),
                 g[is_live].assign(metric="aht_s", value=g["work"] / answered),
                 g[is_live].assign(metric="talk_time_s", value=g["talk"] / answered),
                 g[~is_live].assign(metric="backlog_sla", value=g["backlog_ok"] / g["n"])]
    out = pd.concat(parts, ignore_index=True)[["replication", "segment", "channel", "metric", "value"]]
    rows: list[tuple] = []
    if k.resolution_targets:
        ttr = time_to_resolution(c)
        targets = {s: {"hours": t.hours, "share": t.share} for s, t in k.resolution_targets.items()}
        reasons = {s: dict(t.reasons) for s, t in k.resolution_targets.items()}
        for rep, d_rep in ttr.groupby("replication"):
            for r in resolution_sla(d_rep, targets, reasons).itertuples():
                d = d_rep[d_rep["segment"] == r.segment]
                resolved = d["resolved"].to_numpy(dtype=bool)
                rows += [(rep, r.segment, "all", "resolution_sla", r.resolution_sla),
                         (rep, r.segment, "all", "resolution_target_met", float(r.met)),
                         (rep, r.segment, "all", "time_to_resolution_h",
                          float(d["resolved_s"][resolved].mean() / 3600.0) if resolved.any() else np.nan),
                         (rep, r.segment, "all", "unresolved_share", float((~resolved).mean()) if len(d) else np.nan)]
    extra = pd.DataFrame(rows, columns=["replication", "segment", "channel", "metric", "value"])
    return pd.concat([out, extra], ignore_index=True).dropna(subset=["value"])


LIVE_KINDS = ("phone", "chat", "messaging", "store")
"""Channels customers wait on live; everything else (e-mail, webcare, callbacks) is deferred work."""


def channel_kinds(sc: Scenario) -> dict[str, str]:
    """channel -> 'live' or 'deferred' (a backlog: no abandonment, or a kind that is not live)."""
    return {name: "live" if ch.kind in LIVE_KINDS and ch.abandonment else "deferred"
            for name, ch in sc.channels.items()}


def kind_rollup(kpis: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """Honest aggregates: per replication and segment, the KPIs of all live channels together and of all
    deferred channels together (``channel`` = ``all live`` / ``all deferred``), never the two mixed.

    Exact roll-ups of the per-channel rows: rates are weighted by offered contacts (service level,
    abandonment, CSAT) or by handled contacts (ASA, AHT); percentiles cannot be combined and are left out.
    Rows: replication, segment, channel, metric, value (whole horizon, all pools).
    """
    k = kpis[(kpis["pool"] == "all") & (kpis["interval"] == "all") & (kpis["channel"] != "all")]
    want = ["offered", "handled", "abandoned", "service_level", "asa_s", "abandon_rate", "aht_s", "csat"]
    k = k[k["metric"].isin(want)]
    if k.empty:
        return pd.DataFrame(columns=["replication", "segment", "channel", "metric", "value"])
    w = k.pivot_table(index=["replication", "segment", "channel"], columns="metric", values="value",
                      observed=True).reset_index()
    for col in want:
        if col not in w:
            w[col] = np.nan
    w["kind"] = w["channel"].astype(str).map(channel_kinds(sc)).fillna("deferred")
    off, hd = w["offered"].fillna(0.0), w["handled"].fillna(0.0)
    w["x_sl"], w["x_ab"], w["x_csat"] = w["service_level"] * off, w["abandon_rate"] * off, w["csat"] * off
    w["x_asa"], w["x_aht"] = w["asa_s"] * hd, w["aht_s"] * hd
    w["off"], w["hd"] = off, hd
    g = w.groupby(["replication", "segment", "kind"])[["off", "hd", "x_sl", "x_ab", "x_csat", "x_asa", "x_aht"]].sum(
        min_count=1).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        of, h = g["off"].where(g["off"] > 0), g["hd"].where(g["hd"] > 0)
        vals = {"offered": g["off"], "handled": g["hd"], "service_level": g["x_sl"] / of,
                "abandon_rate": g["x_ab"] / of, "csat": g["x_csat"] / of, "asa_s": g["x_asa"] / h,
                "aht_s": g["x_aht"] / h}
    out = pd.concat([pd.DataFrame({"replication": g["replication"], "segment": g["segment"],
                                   "channel": "all " + g["kind"], "metric": m, "value": v})
                     for m, v in vals.items()], ignore_index=True)
    return out.dropna(subset=["value"])
