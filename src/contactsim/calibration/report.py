"""The calibration report and the backtest report: frames from the estimates, drawn by report.calibration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from contactsim import io
from contactsim.calibration import estimate as E
from contactsim.calibration.backtest import METRICS, Backtest
from contactsim.calibration.core import Calibration
from contactsim.report import calibration as R
from contactsim.report.html import ReportFigure


def _fmt(x: float) -> str:
    if x != x:
        return "-"
    return f"{x:,.4g}" if abs(x) < 1e4 else f"{x:,.0f}"


def _hhmm(slot: int, minutes: int) -> str:
    return f"{slot * minutes // 60:02d}:{slot * minutes % 60:02d}"


def calibration_figures(cal: Calibration) -> list[ReportFigure]:
    g, vol, var, m = cal.grid, cal.volume, cal.variability, cal.data.interval_minutes
    exp = vol.weekday_mean[g.weekday]
    days = pd.DataFrame({"date": g.dates, "volume": g.totals, "expected": exp, "special": ~vol.ordinary})
    figs = [ReportFigure("volume", "Volume per date", "Contacts per date against the mean of its weekday. Special "
                         "dates (crosses) are listed in the summary and left out of every estimate.",
                         R.day_volumes(days))]
    ratios = pd.DataFrame({"date": g.dates, "ratio": var.ratios})
    figs.append(ReportFigure(
        "day_level", "Day-level variability and persistence",
        f"Left: each date's volume over its weekday mean. Right: against the previous date; a cloud along the "
        f"diagonal means busy days follow busy days. Day CV {var.day_cv.value:.3f} "
        f"({var.day_cv.low:.3f}-{var.day_cv.high:.3f}), persistence (AR(1) of the log level) "
        f"{var.persistence.value:.2f} ({var.persistence.low:.2f}-{var.persistence.high:.2f}); observed lag-1 "
        f"autocorrelation {var.acf1:.2f}.", R.day_persistence(ratios)))
    per_day = g.counts.shape[1]
    obs_disp, model_disp, times = [], [], []
    ci2 = var.interval_cv.value ** 2
    for k in range(per_day):
        num = den = mod = 0.0
        for w in range(7):
            mm = vol.ordinary & (g.weekday == w)
            p = vol.profiles[w, k]
            if mm.sum() < 2 or p <= 0:
                continue
            tot = g.totals[mm]
            dp = tot * p
            num += ((g.counts[mm, k] - dp) ** 2).sum() * mm.sum() / (mm.sum() - 1)
            den += (dp * (1 - p)).sum()
            mod += (dp * (1 - p) + ci2 * dp**2 * (1 - 2 * p + (vol.profiles[w] ** 2).sum())).sum()
        if den > 0:
            times.append(_hhmm(k, m))
            obs_disp.append(num / den)
            model_disp.append(mod / den)
    disp = pd.DataFrame({"time": times, "observed": obs_disp, "model": model_disp})
    figs.append(ReportFigure(
        "within_day", "Within-day overdispersion",
        f"Variance-to-mean of each interval's count around its share of the day's total (1 = Poisson). A flat "
        f"1 would mean no within-day overdispersion; the calibrated interval CV {var.interval_cv.value:.3f} "
        f"({var.interval_cv.low:.3f}-{var.interval_cv.high:.3f}) gives the dashed line.",
        R.interval_dispersion(disp)))
    rows = []
    for w in range(7):
        if vol.weekday_mean[w] <= 0:
            continue
        open_ = np.flatnonzero(vol.profiles.sum(axis=0) > 0)
        for k in range(open_.min(), open_.max() + 1):
            rows.append((E.WEEKDAYS[w], _hhmm(k, m), vol.profiles[w, k], *vol.profile_ci[w, k]))
    prof = pd.DataFrame(rows, columns=["weekday", "time", "share", "low", "high"])
    figs.append(ReportFigure("profiles", "Intraday profile per weekday",
                             f"Share of each weekday's contacts per {m}-minute interval, with a 95% band from "
                             "resampling that weekday's dates.", R.profiles(prof)))
    seen = set()
    for key, fit in cal.handle.items():
        if isinstance(fit, E.LawFit) and id(fit) not in seen:
            seen.add(id(fit))
            aic = ", ".join(f"{k} {fit.aic[k] - min(fit.aic.values()):+,.0f}" for k in E.LAWS)
            figs.append(ReportFigure(
                f"handle_{len(seen)}", f"Handle time: {key.replace('|', ' on ')}",
                f"Quantile-quantile plot of the fitted laws (maximum likelihood) against {fit.n:,} observed handle "
                f"times; AIC relative to the best: {aic}. Chosen: {fit.chosen}, mean {fit.mean.value:,.1f} s, CV "
                f"{fit.cv.value:.3f}.", R.law_qq(fit.quantiles, f"Handle time {key.replace('|', ' on ')}", fit.chosen)))
    if cal.acw is not None:
        a = cal.acw
        figs.append(ReportFigure("acw", "After-contact work", f"{a.n:,} ACW times; chosen {a.chosen}, mean "
                                 f"{a.mean.value:,.1f} s.", R.law_qq(a.quantiles, "After-contact work", a.chosen)))
    seen = set()
    for key, fit in cal.patience.items():
        if isinstance(fit, E.PatienceFit) and id(fit) not in seen:
            seen.add(id(fit))
            figs.append(ReportFigure(
                f"patience_{len(seen)}", f"Patience: {key.replace('|', ' on ')}",
                f"Kaplan-Meier estimate of patience (scipy.stats.ecdf on censored data: {fit.abandoned:,} abandoned "
                f"contacts show their patience, {fit.censored:,} answered ones only that it exceeded their wait) "
                f"with its 95% band, and the censored maximum-likelihood fits. Chosen: {fit.chosen}, mean "
                f"{fit.mean.value:,.1f} s ({fit.mean.low:,.1f}-{fit.mean.high:,.1f}).",
                R.patience_survival(fit.km, fit.fitted, f"Patience {key.replace('|', ' on ')}", fit.chosen)))
    st = cal.staffing.copy()
    st["label"] = [f"{E.WEEKDAYS[w].capitalize()} {_hhmm(k, m)}" for w, k in zip(st["weekday"], st["slot"],
                                                                                 strict=True)]
    figs.append(ReportFigure("staffing", "Staffing and occupancy",
                             "Agents on duty and busy per interval of the week (mean over the dates of that "
                             "weekday), and the occupancy they imply. How staffing was obtained is written above "
                             "the pools in the scenario.", R.staffing(st)))
    figs.append(ReportFigure("observed", "Observed KPIs", "The KPIs the data shows, kept beside the scenario as "
                             "<scenario>.observed.csv per interval (offered, answered, abandoned, service level, "
                             "ASA, AHT).", R.observed_kpis(cal.observed)))
    return figs


def calibration_page(cal: Calibration) -> str:
    d = cal.data
    header = [("data", Path(d.source).name), ("kind", "per-contact log" if d.kind == "log" else "interval history"),
              ("rows read", f"{d.rows_read:,}"), ("dates", f"{cal.grid.dates[0].date()} to "
                                                          f"{cal.grid.dates[-1].date()}"),
              ("interval", f"{d.interval_minutes} minutes"), ("scenario", cal.scenario.name),
              ("calibration time", f"{cal.seconds:.1f} s")]
    drops = R.table(["rows dropped", "why"], [(f"{v:,}", k) for k, v in d.dropped.items()]) if d.dropped else \
        "<p>No rows were dropped.</p>"
    est = R.table(["parameter", "estimate", "95% CI", "method"],
                  [(e.key, _fmt(e.value), f"{_fmt(e.low)} – {_fmt(e.high)}", e.method) for e in cal.estimates])
    sp = cal.volume.special
    special = R.table(["special date", "weekday", "volume", "weekday mean"],
                      [(str(r.date), r.weekday, f"{r.volume:,.0f}", f"{r.expected:,.0f}") for r in sp.itertuples()]) \
        if len(sp) else "<p>No special dates (holidays, outages) were found.</p>"
    notes = "".join(f"<li>{R.esc(n)}</li>" for n in cal.notes)
    summary = (f"<p>Calibrated scenario <b>{R.esc(cal.scenario.name)}</b>: every number in it, its 95% interval "
               "and how it was estimated.</p>" + (f"<ul>{notes}</ul>" if notes else "") + est + drops + special)
    return R.page(f"contactsim calibration: {cal.scenario.name}", header, summary, calibration_figures(cal),
                  "Written by contactsim calibrate. Estimates: scipy.stats (maximum likelihood, censored fits, "
                  "Kaplan-Meier), moment equations with week-jackknife intervals for arrival variability.")


def write_calibration_report(cal: Calibration, path: Path) -> Path:
    io.write_text(path, calibration_page(cal))
    return path


def backtest_page(bt: Backtest) -> str:
    header = [("data", Path(bt.source).name), ("scenario", bt.scenario),
              ("simulated", f"{bt.replications} replications x {bt.weeks_simulated} weeks"),
              ("observed", f"{bt.weeks_observed:.1f} weeks (special dates left out)")]
    ov = bt.overall
    rows = [(r.channel, r.metric, _fmt(r.observed), _fmt(r.simulated), f"{_fmt(r.band_low)} – {_fmt(r.band_high)}",
             "yes" if r.inside else "NO") for r in ov.itertuples()]
    inside = R.table(["metric", "intervals inside the band"],
                     [(m, f"{bt.share_inside(m):.0%}") for m in METRICS])
    summary = ("<p>Observed KPIs against the scenario's simulation, scored by the same code. The band is a 95% "
               "prediction band for the observed value (simulation spread scaled to the data's number of weeks, "
               "plus the uncertainty of the simulated mean); about 95% of intervals should fall inside it.</p>"
               + R.table(["channel", "metric", "observed", "simulated", "95% band", "inside"], rows) + inside)
    fig = ReportFigure("bands", "Observed vs simulated per interval", "Per interval of the week: the simulated "
                       "mean and 95% band, the observed value (black) and observations outside the band (red "
                       "crosses).", R.backtest_bands(bt.intervals, METRICS[:4]))
    return R.page(f"contactsim backtest: {bt.scenario}", header, summary, [fig],
                  "Written by contactsim backtest.")


def write_backtest_report(bt: Backtest, path: Path) -> Path:
    io.write_text(path, backtest_page(bt))
    return path
