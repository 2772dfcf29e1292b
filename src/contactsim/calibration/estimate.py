"""Estimators: every number of a calibrated scenario, with a 95% interval and the method that gave it.

Laws are fitted with scipy.stats (maximum likelihood, censored where customers were answered before their
patience ran out) and the Kaplan-Meier curve is ``scipy.stats.ecdf`` on censored data. Arrival
variability uses moment equations that remove the Poisson part of the variance, with a delete-one-week
jackknife for the intervals.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_FIT = 200_000
"""Durations fitted per law at most (a seeded subsample beyond): the fit is already exact to <0.5% there."""
MAX_CENSORED_FIT = 20_000
"""Waits used by the censored lognormal and gamma fits (numerical likelihood); the exponential fit and the
Kaplan-Meier curve use every wait."""


@dataclass
class Estimate:
    """One calibrated number: where it goes, its value and interval, and how it was obtained."""

    key: str
    value: float
    low: float = float("nan")
    high: float = float("nan")
    method: str = ""


@dataclass
class Grid:
    """Arrivals counted per date x interval of the day (dates with no contact at all included)."""

    dates: pd.DatetimeIndex
    counts: np.ndarray
    """[date, slot]"""
    minutes: int

    @property
    def weekday(self) -> np.ndarray:
        return self.dates.day_of_week.to_numpy()

    @property
    def totals(self) -> np.ndarray:
        return self.counts.sum(axis=1)


def count_grid(times: pd.Series, minutes: int, weights: np.ndarray | None = None) -> Grid:
    """Counts per calendar date and interval of the day, from arrival (or interval start) timestamps."""
    t = pd.DatetimeIndex(times)
    day = t.normalize()
    dates = pd.date_range(day.min(), day.max(), freq="D")
    di = ((day - dates[0]) // pd.Timedelta(days=1)).to_numpy()
    slot = ((t - day) // pd.Timedelta(minutes=minutes)).to_numpy()
    per_day = 1440 // minutes
    flat = np.bincount(di * per_day + slot, weights=weights, minlength=len(dates) * per_day)
    return Grid(dates, flat.reshape(len(dates), per_day).astype(float), minutes)


# --- volumes, profiles, special dates --------------------------------------------------------------------
@dataclass
class Volume:
    weekday_mean: np.ndarray
    """Mean contacts per weekday (Monday first), special dates left out."""
    weekday_ci: np.ndarray
    """[7, 2]"""
    profiles: np.ndarray
    """[weekday, slot] shares of the day."""
    profile_ci: np.ndarray
    """[weekday, slot, 2] (day bootstrap)."""
    special: pd.DataFrame
    """Dates whose volume is far from their weekday's: date, weekday, volume, expected, z."""
    ordinary: np.ndarray
    """Mask of the dates used for estimation."""


def volume_and_profiles(g: Grid, rng: np.random.Generator, n_boot: int = 200) -> Volume:
    """Mean volume per weekday with t-intervals and intraday profile per weekday with day-bootstrap intervals.

    A date is special (a holiday, an outage) when its volume ratio to its weekday's median lies more than
    5 robust standard deviations (median absolute deviation of all ratios) from 1; such dates are listed
    and left out. Pooling the ratios over weekdays keeps the scale stable with few weeks of data.
    """
    tot, wd = g.totals, g.weekday
    ratio = np.full(len(tot), np.nan)
    for w in range(7):
        m = wd == w
        med = np.median(tot[m]) if m.any() else 0.0
        if med > 0:
            ratio[m] = tot[m] / med
    ok = np.isfinite(ratio)
    scale = 1.4826 * np.median(np.abs(ratio[ok] - 1.0)) if ok.any() else 0.0
    scale = max(scale, 0.02)
    z_all = np.where(ok, (np.nan_to_num(ratio, nan=1.0) - 1.0) / scale, 0.0)
    ordinary = np.abs(z_all) <= 5.0
    mean, ci = np.zeros(7), np.zeros((7, 2))
    per_day = g.counts.shape[1]
    prof, pci = np.zeros((7, per_day)), np.zeros((7, per_day, 2))
    for w in range(7):
        m = (wd == w) & ordinary
        x = tot[m]
        if x.size == 0:
            continue
        mean[w] = x.mean()
        h = stats.t.ppf(0.975, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else 0.0
        ci[w] = (mean[w] - h, mean[w] + h)
        c = g.counts[m]
        if c.sum() <= 0:
            continue
        prof[w] = c.sum(axis=0) / c.sum()
        idx = rng.integers(0, len(c), size=(n_boot, len(c)))
        boot = c[idx].sum(axis=1)
        boot = boot / np.maximum(boot.sum(axis=1, keepdims=True), 1e-300)
        pci[w] = np.stack([np.quantile(boot, 0.025, axis=0), np.quantile(boot, 0.975, axis=0)], axis=-1)
    special = pd.DataFrame({"date": g.dates[~ordinary].date, "weekday": [WEEKDAYS[i] for i in wd[~ordinary]],
                            "volume": tot[~ordinary], "expected": mean[wd[~ordinary]], "z": z_all[~ordinary]})
    return Volume(mean, ci, prof, pci, special, ordinary)


# --- arrival variability ---------------------------------------------------------------------------------
def _variability(counts: np.ndarray, wd: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """(interval cv^2, day cv^2, lag-1 autocovariance share, day ratios) by the moment equations.

    Given the day level L (mean 1, CV cv) and a gamma interval factor (CV c), a count N_i of an interval
    with share p_i on a day with expected volume mu is Poisson(mu L g_i p_i). Conditioning on the day total
    D removes L: E[(N_i - D p_i)^2] = D p_i (1 - p_i) + c^2 (D p_i)^2 (1 - 2 p_i + sum p^2). The day ratios
    r = D / mu then have Var(r) = E[1/mu] + cv^2 + c^2 S2 (1 + cv^2), and Cov(r_d, r_d+1) = Cov(L_d, L_d+1).
    """
    tot = counts.sum(axis=1)
    num = den = 0.0
    mu = np.zeros(len(tot))
    s2 = np.zeros(len(tot))
    for w in range(7):
        m = wd == w
        n_w = int(m.sum())
        if n_w < 2 or tot[m].sum() <= 0:
            continue
        c = counts[m]
        p = c.sum(axis=0) / c.sum()
        mu[m] = tot[m].mean()
        s2[m] = (p**2).sum()
        dp = tot[m][:, None] * p[None, :]
        open_ = p > 0
        corr = n_w / (n_w - 1)  # p and mu come from the same days
        num += (corr * (c - dp) ** 2 - dp * (1 - p))[:, open_].sum()
        den += (dp**2 * (1 - 2 * p + s2[m][0]))[:, open_].sum()
    c2 = max(num / den, 0.0) if den > 0 else 0.0
    ok = mu > 0
    r = np.where(ok, tot / np.where(ok, mu, 1.0), np.nan)
    n_ok = int(ok.sum())
    n_groups = len({int(w) for w in wd[ok]})
    var_r = np.nansum((r - 1.0) ** 2) / max(n_ok - n_groups, 1)
    poisson = float(np.mean(1.0 / mu[ok])) if n_ok else 0.0
    s2_mean = float(np.mean(s2[ok])) if n_ok else 0.0
    cv2 = max((var_r - poisson - c2 * s2_mean) / (1 + c2 * s2_mean), 0.0)
    return c2, cv2, var_r, r


def _persistence(r: np.ndarray, var_r: float, cv2: float) -> tuple[float, float]:
    """AR(1) coefficient of the log day level (exact for a log-normal level) and the lag-1 acf of r.

    The autocorrelation uses every pair of consecutive calendar dates that both have volume (a closed
    Sunday or a special date breaks a pair instead of shortening the lag), so gaps do not attenuate it.
    """
    x = r - 1.0
    pair = np.isfinite(x[1:]) & np.isfinite(x[:-1])
    if pair.sum() < 8 or cv2 <= 0:
        return 0.0, 0.0
    valid = x[np.isfinite(x)]
    a1 = float(np.mean(x[1:][pair] * x[:-1][pair]) / np.mean(valid**2))
    rho_l = float(np.clip(a1 * var_r / cv2, -0.99, 0.99))
    s2 = np.log1p(cv2)
    phi = np.log1p(max(rho_l, 0.0) * np.expm1(s2)) / s2
    return float(np.clip(phi, 0.0, 0.99)), a1


@dataclass
class Variability:
    interval_cv: Estimate
    day_cv: Estimate
    persistence: Estimate
    acf1: float
    """Observed lag-1 autocorrelation of the day ratios (before removing Poisson noise)."""
    ratios: np.ndarray
    """Observed day volume / expected day volume, per date (NaN for special dates)."""
    interval_dispersion: float
    """Observed variance-to-mean of interval counts given the day total (1 = Poisson)."""


def variability(g: Grid, ordinary: np.ndarray) -> Variability:
    """Day-level CV, its persistence and within-day CV, with delete-one-week jackknife intervals (weeks
    keep the dependence between neighbouring days inside the resampled unit)."""
    counts = g.counts
    wd = g.weekday

    def fit(idx: np.ndarray) -> tuple[float, float, float, float, np.ndarray]:
        keep = ordinary[idx]
        sel = idx[keep]
        c2, cv2, var_r, r_sel = _variability(g.counts[sel], wd[sel])
        r_full = np.full(len(idx), np.nan)
        r_full[keep] = r_sel
        phi, a1 = _persistence(r_full, var_r, cv2)
        return np.sqrt(c2), np.sqrt(cv2), phi, a1, r_full

    all_idx = np.arange(len(counts))
    ci_, cv_, phi, a1, r = fit(all_idx)
    est = np.array([ci_, cv_, phi])
    week = all_idx // 7
    n_weeks = int(week.max()) + 1
    if n_weeks >= 3:
        jack = np.array([fit(all_idx[week != k])[:3] for k in range(n_weeks)])
        se = np.sqrt((n_weeks - 1) / n_weeks * ((jack - jack.mean(axis=0)) ** 2).sum(axis=0))
        h = stats.t.ppf(0.975, n_weeks - 1) * se
    else:
        h = np.full(3, np.nan)
    low, high = np.maximum(est - h, 0.0), est + h
    m = ordinary
    tot = g.totals
    disp = []
    for w in range(7):
        mm = m & (wd == w)
        if mm.sum() < 2 or tot[mm].sum() <= 0:
            continue
        p = g.counts[mm].sum(axis=0) / g.counts[mm].sum()
        dp = tot[mm][:, None] * p[None, :]
        o = p > 0
        corr = mm.sum() / (mm.sum() - 1)  # the share p comes from the same dates
        disp.append(((corr * (g.counts[mm] - dp) ** 2)[:, o].sum(), (dp * (1 - p))[:, o].sum()))
    d = np.array(disp) if disp else np.ones((1, 2))
    return Variability(
        Estimate("arrivals.interval_overdispersion_cv", float(ci_), float(low[0]), float(high[0]),
                 "moments of interval counts given the day total (Poisson part removed), week jackknife"),
        Estimate("arrivals.overdispersion_cv", float(cv_), float(low[1]), float(high[1]),
                 "variance of day volume / weekday mean, minus the Poisson and interval parts; week jackknife"),
        Estimate("arrivals.day_persistence", float(phi), float(low[2]), float(min(high[2], 0.99)),
                 "lag-1 autocorrelation of day ratios over consecutive open dates, freed of Poisson noise, as the "
                 "AR(1) "
                 "coefficient of a log-normal day level; week jackknife"),
        a1, r, float(d[:, 0].sum() / d[:, 1].sum()))


# --- durations: handle time, ACW, patience ---------------------------------------------------------------
LAWS = ("exponential", "lognormal", "gamma")


@dataclass
class LawFit:
    """The law chosen by AIC among exponential, lognormal and gamma (empirical when none fits)."""

    key: str
    chosen: str
    mean: Estimate
    cv: Estimate
    aic: dict[str, float]
    ks: dict[str, float]
    params: dict[str, tuple]
    n: int
    quantiles: pd.DataFrame
    """Empirical against fitted quantiles of every law, for the goodness-of-fit figure."""
    empirical_values: list[float] = field(default_factory=list)

    def spec(self) -> dict:
        if self.chosen == "empirical":
            return {"dist": "empirical", "values": self.empirical_values}
        if self.chosen == "exponential":
            return {"dist": "exponential", "mean": round(float(self.mean.value), 2)}
        return {"dist": self.chosen, "mean": round(float(self.mean.value), 2),
                "cv": round(float(np.clip(self.cv.value, 0.01, 10.0)), 4)}


def _frozen(law: str, params: tuple):
    return {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}[law](*params)


def _moments(law: str, params: tuple) -> tuple[float, float]:
    d = _frozen(law, params)
    m, v = float(d.mean()), float(d.var())
    return m, np.sqrt(v) / m


def fit_law(key: str, x: np.ndarray, rng: np.random.Generator, ks_empirical: float = 0.04) -> LawFit:
    """Maximum-likelihood fits (scipy.stats, location fixed at 0); the smallest AIC wins, and the empirical
    law replaces it when even the best one is further than ``ks_empirical`` from the data (KS distance)."""
    x = np.asarray(x, float)
    x = x[np.isfinite(x) & (x > 0)]
    n = x.size
    if n > MAX_FIT:
        x = rng.choice(x, MAX_FIT, replace=False)
    params = {"exponential": stats.expon.fit(x, floc=0), "lognormal": stats.lognorm.fit(x, floc=0),
              "gamma": stats.gamma.fit(x, floc=0)}
    k = {"exponential": 1, "lognormal": 2, "gamma": 2}
    aic = {law: 2 * k[law] - 2 * float(np.sum(_frozen(law, p).logpdf(x))) for law, p in params.items()}
    ks = {law: float(stats.kstest(x, _frozen(law, p).cdf).statistic) for law, p in params.items()}
    best = min(aic, key=aic.get)
    chosen = best if ks[best] <= ks_empirical or n < 200 else "empirical"
    mean = float(x.mean())
    h = 1.96 * x.std(ddof=1) / np.sqrt(x.size)
    idx = rng.integers(0, x.size, size=(100, min(x.size, 20_000)))
    cvs = np.array([x[i].std(ddof=1) / x[i].mean() for i in idx])
    cv = float(x.std(ddof=1) / mean)
    cv_h = 1.96 * cvs.std(ddof=1) * np.sqrt(min(x.size, 20_000) / x.size)
    if chosen != "empirical":
        mean_fit, cv_fit = _moments(chosen, params[chosen])
    else:
        mean_fit, cv_fit = mean, cv
    qs = np.linspace(0.01, 0.99, 99)
    qdf = pd.DataFrame({"p": qs, "observed": np.quantile(x, qs),
                        **{law: _frozen(law, p).ppf(qs) for law, p in params.items()}})
    emp = [round(float(v), 1) for v in np.quantile(x, (np.arange(1000) + 0.5) / 1000)] if chosen == "empirical" else []
    return LawFit(key, chosen,
                  Estimate(f"{key}.mean", mean_fit, mean - h, mean + h, f"{chosen} by AIC; mean with a normal 95% CI"),
                  Estimate(f"{key}.cv", cv_fit, cv - cv_h, cv + cv_h, "sample CV, bootstrap 95% CI"),
                  aic, ks, params, n, qdf, emp)


@dataclass
class PatienceFit:
    key: str
    chosen: str
    mean: Estimate
    km: pd.DataFrame
    """Kaplan-Meier survival of patience with its 95% band (time_s, survival, low, high)."""
    fitted: pd.DataFrame
    """Parametric survival of each law on the same times."""
    abandoned: int
    censored: int
    aic: dict[str, float]
    params: dict[str, tuple]

    def spec(self) -> dict:
        m = round(float(max(self.mean.value, 1.0)), 2)
        if self.chosen == "exponential":
            return {"dist": "exponential", "mean": m}
        cv = _moments(self.chosen, self.params[self.chosen])[1]
        return {"dist": self.chosen, "mean": m, "cv": round(float(np.clip(cv, 0.05, 10.0)), 4)}


def fit_patience(key: str, wait_s: np.ndarray, abandoned: np.ndarray, rng: np.random.Generator) -> PatienceFit:
    """Patience from censored data: an abandoned contact shows its patience; an answered one only that
    patience exceeded its wait (right-censored). Kaplan-Meier (scipy.stats.ecdf) and censored maximum
    likelihood for exponential, lognormal and gamma; the smallest AIC is written."""
    w = np.asarray(wait_s, float)
    a = np.asarray(abandoned, bool)
    keep = np.isfinite(w) & (w > 0)
    w, a = w[keep], a[keep]
    if w.size > MAX_FIT:
        i = rng.choice(w.size, MAX_FIT, replace=False)
        w, a = w[i], a[i]
    n_ab, n_c = int(a.sum()), int((~a).sum())
    total = float(w.sum())
    mean_exp = total / max(n_ab, 1)
    lo = 2 * total / stats.chi2.ppf(0.975, 2 * max(n_ab, 1))
    hi = 2 * total / stats.chi2.ppf(0.025, 2 * max(n_ab, 1))
    params: dict[str, tuple] = {"exponential": (0.0, mean_exp)}
    aic = {"exponential": 2 - 2 * (n_ab * np.log(1 / mean_exp) - total / mean_exp)}
    data = stats.CensoredData(uncensored=w[a], right=w[~a])
    if w.size > MAX_CENSORED_FIT:
        i = rng.choice(w.size, MAX_CENSORED_FIT, replace=False)
        ws, as_ = w[i], a[i]
    else:
        ws, as_ = w, a
    if n_ab >= 30:
        # AIC on the subsample for every law, the exponential included, so they compare like with like
        m_s = ws.sum() / max(as_.sum(), 1)
        aic = {"exponential": 2 - 2 * (as_.sum() * np.log(1 / m_s) - ws.sum() / m_s)}
        sub = stats.CensoredData(uncensored=ws[as_], right=ws[~as_])
        for law, dist in (("lognormal", stats.lognorm), ("gamma", stats.gamma)):
            try:
                p = dist.fit(sub, floc=0)
            except Exception:  # a censored fit that does not converge is left out, not fatal
                continue
            d = dist(*p)
            ll = float(np.sum(d.logpdf(ws[as_])) + np.sum(d.logsf(ws[~as_])))
            if np.isfinite(ll):
                params[law], aic[law] = p, 4 - 2 * ll
    chosen = min(aic, key=aic.get)
    m = mean_exp if chosen == "exponential" else float(_frozen(chosen, params[chosen]).mean())
    if not np.isfinite(m) or m > 1e6:
        chosen, m = "exponential", mean_exp
    scale = m / mean_exp
    res = stats.ecdf(data)
    grid = np.quantile(w, np.linspace(0, 0.99, 60))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ci = res.sf.confidence_interval(0.95)
    km = pd.DataFrame({"time_s": grid, "survival": res.sf.evaluate(grid), "low": ci.low.evaluate(grid),
                       "high": ci.high.evaluate(grid)})
    fitted = pd.DataFrame({"time_s": grid, **{law: _frozen(law, p).sf(grid) for law, p in params.items()}})
    method = (f"{chosen} by AIC among censored maximum-likelihood fits ({n_ab:,} abandoned, {n_c:,} answered = "
              "right-censored); CI: exact chi-square interval of the exponential mean")
    return PatienceFit(key, chosen, Estimate(f"{key}.mean", m, lo * scale, hi * scale, method), km, fitted,
                       n_ab, n_c, aic, params)


def patience_from_intervals(offered: np.ndarray, abandoned: np.ndarray, asa_s: np.ndarray,
                            rng: np.random.Generator) -> Estimate:
    """Exponential patience from an interval history: abandonments per second of waiting.

    For exponential patience the abandonment rate theta equals P(abandon) / E[wait of all callers]
    (Mandelbaum & Zeltyn). An interval report gives ASA (answered callers only), so E[wait] is
    approximated by ASA: patience mean = sum(ASA x offered) / sum(abandoned). Interval bootstrap CI.
    """
    ok = np.isfinite(offered) & np.isfinite(abandoned) & np.isfinite(asa_s)
    o, ab, asa = offered[ok], abandoned[ok], asa_s[ok]
    est = float((asa * o).sum() / max(ab.sum(), 1e-9))
    idx = rng.integers(0, o.size, size=(300, o.size)) if o.size else np.zeros((0, 0), int)
    b = np.array([(asa[i] * o[i]).sum() / max(ab[i].sum(), 1e-9) for i in idx]) if o.size else np.array([est])
    return Estimate("patience.mean", est, float(np.quantile(b, 0.025)), float(np.quantile(b, 0.975)),
                    "exponential patience assumed: mean = sum(ASA x offered) / sum(abandoned) (ASA stands in for "
                    "the mean wait of all callers, which an interval report does not give); interval bootstrap")


def handle_from_intervals(answered: np.ndarray, aht_s: np.ndarray) -> tuple[Estimate, Estimate]:
    """Mean handle time (answered-weighted) and its CV from how much interval AHTs scatter.

    An interval's AHT averages n handle times, so n (AHT_i - AHT)^2 estimates the handle-time variance."""
    ok = np.isfinite(answered) & np.isfinite(aht_s) & (answered > 0)
    n, a = answered[ok], aht_s[ok]
    mean = float((n * a).sum() / n.sum())
    var = float((n * (a - mean) ** 2).sum() / max(ok.sum() - 1, 1))
    cv = float(np.sqrt(max(var, 0.0)) / mean)
    se = np.sqrt(var / n.sum())
    k = max(ok.sum() - 1, 1)
    return (Estimate("handle_time.mean", mean, mean - 1.96 * se, mean + 1.96 * se, "answered-weighted AHT"),
            Estimate("handle_time.cv", cv, cv * np.sqrt(k / stats.chi2.ppf(0.975, k)),
                     cv * np.sqrt(k / stats.chi2.ppf(0.025, k)),
                     "lognormal assumed; CV from the scatter of interval AHTs (n x (AHT_i - AHT)^2)"))


# --- customers: retrials and repeats ---------------------------------------------------------------------
@dataclass
class Returns:
    retrial_probability: Estimate
    retrial_delay_mean: Estimate
    repeat_probability: Estimate
    repeat_delay_mean: Estimate
    first_contact: np.ndarray
    """True for contacts that are not a retrial or repeat of the same customer's earlier contact."""


def returns(log: pd.DataFrame, retrial_window_s: float = 3 * 3600.0, repeat_window_s: float = 7 * 86400.0) -> Returns:
    """Retrial (after an abandoned contact, within ``retrial_window_s``) and repeat (after an answered one,
    within ``repeat_window_s``) rates per customer, with Wilson intervals."""
    d = log[["customer_id", "arrival_at", "outcome"]].copy()
    d["_i"] = np.arange(len(d))
    d = d[d["customer_id"].notna()].sort_values(["customer_id", "arrival_at"], kind="stable")
    t = d["arrival_at"].to_numpy().astype("datetime64[ns]").astype(np.int64) / 1e9
    same = (d["customer_id"].to_numpy()[1:] == d["customer_id"].to_numpy()[:-1])
    gap = np.diff(t)
    prev_ab = (d["outcome"].to_numpy()[:-1] == "abandoned")
    retrial = same & prev_ab & (gap <= retrial_window_s)
    repeat = same & ~prev_ab & (gap <= repeat_window_s)
    first = np.ones(len(log), bool)
    first[d["_i"].to_numpy()[1:][retrial | repeat]] = False
    n_ab, n_an = int(prev_ab.sum() + (d["outcome"].to_numpy()[-1:] == "abandoned").sum()), 0
    n_an = int((d["outcome"] == "answered").sum())

    def wilson(k: int, n: int, key: str, method: str) -> Estimate:
        if n == 0:
            return Estimate(key, 0.0, 0.0, 0.0, method)
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        return Estimate(key, k / n, ci.low, ci.high, method)

    def mean_gap(mask: np.ndarray, key: str, default: float) -> Estimate:
        g = gap[mask]
        if g.size < 2:
            return Estimate(key, default, float("nan"), float("nan"), "too few returns: default")
        h = 1.96 * g.std(ddof=1) / np.sqrt(g.size)
        return Estimate(key, float(g.mean()), float(g.mean() - h), float(g.mean() + h), "mean gap, exponential delay")

    return Returns(
        wilson(int(retrial.sum()), n_ab, "retrial.probability",
               f"share of abandoned contacts whose customer called again within {retrial_window_s / 3600:g} h"),
        mean_gap(retrial, "retrial.delay.mean", 600.0),
        wilson(int(repeat.sum()), n_an, "repeat rate (1 - fcr)",
               f"share of answered contacts followed by the same customer within {repeat_window_s / 86400:g} days"),
        mean_gap(repeat, "repeat.delay.mean", 86400.0),
        first)


# --- staffing and observed KPIs --------------------------------------------------------------------------
SESSION_GAP_S = 1800.0
"""An agent idle longer than this between two contacts is taken to have been off duty (a break, a shift end)."""


def agent_staffing(log: pd.DataFrame, minutes: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Agents on duty, reconstructed from ``agent_id``: (answered contacts with start/end, duty sessions).

    The log shows work, not log-in times. An agent counts as on duty from the start of a contact to the
    end of the last contact (answer + handle + after-contact work) before an idle gap longer than
    ``SESSION_GAP_S``; so a helper who takes a few contacts is counted for those minutes only, and idle
    time before the first and after the last contact of a session is not seen.
    """
    a = log[(log["outcome"] == "answered") & log["agent_id"].notna()].copy()
    acw = a["acw_s"].fillna(0.0) if "acw_s" in a.columns else 0.0
    a["start"] = a["arrival_at"] + pd.to_timedelta(a["wait_s"], unit="s")
    a["end"] = a["start"] + pd.to_timedelta(a["handle_s"] + acw, unit="s")
    a["date"] = a["start"].dt.normalize()
    a = a.sort_values(["agent_id", "start"], kind="stable")
    reach = a.groupby("agent_id", sort=False)["end"].cummax()
    prev = reach.groupby(a["agent_id"], sort=False).shift(1)
    new = prev.isna() | ((a["start"] - prev).dt.total_seconds() > SESSION_GAP_S)
    a["session"] = new.cumsum()
    spans = a.groupby("session", sort=False).agg(agent_id=("agent_id", "first"), first=("start", "min"),
                                                 last=("end", "max"), date=("date", "first")).reset_index(drop=True)
    return a, spans


def interval_observed(log: pd.DataFrame, minutes: int, sl_threshold_s: float | dict[str, float]) -> pd.DataFrame:
    """Observed KPIs per date x interval x channel from a log (the same code scores simulated contacts)."""
    d = log
    start = d["arrival_at"].dt.floor(f"{minutes}min")
    thr = d["channel"].map(sl_threshold_s).astype(float) if isinstance(sl_threshold_s, dict) else sl_threshold_s
    ans = (d["outcome"] == "answered").to_numpy()
    w = d["wait_s"].to_numpy(float)
    g = pd.DataFrame({"interval_start": start, "channel": d["channel"].astype(str),
                      "offered": 1.0, "answered": ans.astype(float), "abandoned": (~ans).astype(float),
                      "within": (ans & (w <= np.asarray(thr))).astype(float), "wait_answered": np.where(ans, w, 0.0),
                      "handle": np.where(ans, d["handle_s"].to_numpy(float), 0.0)})
    out = g.groupby(["interval_start", "channel"], observed=True, sort=True).sum().reset_index()
    return finish_kpis(out)


def history_counts(f: pd.DataFrame) -> pd.DataFrame:
    """The counts behind the observed KPIs, per row of an interval history: offered, answered, abandoned,
    answered within the threshold, wait and handle seconds (rates times their base; NaN where not given)."""
    nan = pd.Series(np.nan, index=f.index)
    answered = f.get("answered", nan)
    return pd.DataFrame({"interval_start": f["interval_start"], "channel": f["channel"], "offered": f["offered"],
                         "answered": answered, "abandoned": f.get("abandoned", nan),
                         "within": f.get("service_level", nan) * f["offered"],
                         "wait_answered": f.get("asa_s", nan) * answered, "handle": f.get("aht_s", nan) * answered})


def finish_kpis(out: pd.DataFrame) -> pd.DataFrame:
    """Rates from summed counts: service level (answered within the threshold / offered), ASA, abandonment."""
    out = out.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["service_level"] = out["within"] / out["offered"]
        out["asa_s"] = out["wait_answered"] / out["answered"]
        out["abandon_rate"] = out["abandoned"] / out["offered"]
        out["aht_s"] = out["handle"] / out["answered"]
    return out
