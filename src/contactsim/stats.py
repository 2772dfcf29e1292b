"""Statistics over independent replications: Student-t confidence intervals, paired (common random number)
comparisons and an online accumulator for sequential replication control.

Each replication yields one number per metric (e.g. its service level); replications are i.i.d., so the
replication mean is asymptotically normal and, with the sample variance estimated, the interval
mean ± t_{n-1, (1+confidence)/2} · s / sqrt(n) is the standard choice (Law, Simulation Modeling and Analysis,
§9.4). Non-finite values (NaN from a metric undefined in a replication, e.g. an empty segment) are dropped
and ``n`` counts only the finite ones. Pure numpy/scipy; no pandas.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as _sps

__all__ = ["CI", "Welford", "half_width_below", "mean_ci", "mean_ci_rows", "paired_difference_ci", "t_quantile"]


class CI(NamedTuple):
    """A two-sided confidence interval for a mean; nan fields when it cannot be formed (n < 2)."""

    mean: float
    low: float
    high: float
    half_width: float
    n: int


def _check_confidence(confidence: float) -> float:
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return confidence


def t_quantile(confidence: float, n: int) -> float:
    """Two-sided Student-t critical value t_{n-1, (1+confidence)/2} for ``n`` observations (nan if n < 2)."""
    confidence = _check_confidence(confidence)
    if n < 2:
        return math.nan
    return float(_sps.t.ppf(0.5 + confidence / 2.0, n - 1))


def _t_half_width(sd: ArrayLike, n: ArrayLike, confidence: float) -> np.ndarray:
    """t_{n-1, (1+confidence)/2}·sd/sqrt(n), NaN where n < 2: the one t-interval formula here (``mean_ci_rows``
    and ``Welford.ci``)."""
    n = np.asarray(n)
    tq = _sps.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1))
    return np.where(n > 1, tq * np.asarray(sd, dtype=float) / np.sqrt(np.maximum(n, 1)), np.nan)


def _ci_from_moments(mean: float, variance: float, n: int, confidence: float) -> CI:
    if n < 2:
        return CI(mean, math.nan, math.nan, math.nan, n)
    half = float(_t_half_width(math.sqrt(max(variance, 0.0)), n, confidence))
    return CI(mean, mean - half, mean + half, half, n)


def mean_ci_rows(values: ArrayLike, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Student-t intervals for many means at once: ``values`` is [rows, replications] (NaN: no value).

    Per row (mean, half-width, n) with mean ± t_{n-1, (1+confidence)/2}·s/sqrt(n) over its finite values; the
    half-width is NaN for n < 2 and the mean NaN for n = 0. The one implementation behind ``mean_ci``,
    ``paired_difference_ci``, the run summaries (``metrics.summarise``) and the paired differences of
    ``compare``.
    """
    confidence = _check_confidence(confidence)
    vals = np.asarray(values, dtype=float)
    vals = np.where(np.isfinite(vals), vals, np.nan)
    n = np.isfinite(vals).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows with no (or one) value: mean or sd is NaN
        mean = np.nanmean(np.where(n[:, None] > 0, vals, 0.0), axis=1)
        mean = np.where(n > 0, mean, np.nan)
        sd = np.nanstd(vals, axis=1, ddof=1) if vals.shape[1] > 1 else np.full(len(n), np.nan)
        sd = np.where(n > 1, sd, np.nan)
        half = _t_half_width(sd, n, confidence)
    return mean, half, n


def _finite(values: ArrayLike) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[np.isfinite(x)]


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> CI:
    """Student-t interval for the mean of i.i.d. replication values, ignoring non-finite entries.

    mean ± t_{n-1, (1+confidence)/2}·s/sqrt(n), s the sample standard deviation (ddof = 1). With n = 1 the
    mean is reported and low/high/half_width are nan; with n = 0 everything is nan. Constant values give a
    zero-width interval.
    """
    x = np.asarray(values, dtype=float).ravel()
    mean, half, n = (float(v[0]) for v in mean_ci_rows(x[None, :], confidence))
    return CI(mean, mean - half, mean + half, half, int(n))


def paired_difference_ci(a: ArrayLike, b: ArrayLike, confidence: float = 0.95) -> CI:
    """Interval for E[b - a] from paired replications (replication i of both runs shares random numbers).

    With common random numbers the per-replication differences d_i = b_i - a_i are i.i.d. and usually far
    less variable than either run, so the t-interval on d is much tighter than comparing two independent
    intervals. Pairs where either value is non-finite are dropped. Identical inputs give mean 0 and
    half-width exactly 0.
    """
    xa = np.asarray(a, dtype=float).ravel()
    xb = np.asarray(b, dtype=float).ravel()
    if xa.shape != xb.shape:
        raise ValueError(f"paired samples need equal lengths, got {xa.size} and {xb.size}")
    keep = np.isfinite(xa) & np.isfinite(xb)
    return mean_ci(np.where(keep, xb - xa, np.nan), confidence)


def half_width_below(values: ArrayLike, target: float, confidence: float = 0.95, *, relative: bool = False) -> bool:
    """Sequential stopping rule: is the CI half-width <= ``target`` yet?

    With ``relative=True`` the test is half_width <= target·|mean| (a relative precision goal). False while
    fewer than two finite values exist (no interval yet).
    """
    ci = mean_ci(values, confidence)
    if not math.isfinite(ci.half_width):
        return False
    bound = float(target) * abs(ci.mean) if relative else float(target)
    return ci.half_width <= bound


class Welford:
    """Online mean and variance (Welford 1962), for adding replications one at a time.

    Per value: n += 1; δ = x - mean; mean += δ/n; M2 += δ·(x - mean); variance = M2/(n - 1). This avoids
    the catastrophic cancellation of sum(x²) - n·mean². ``add_many`` merges a whole batch with Chan et al.'s
    pairwise update (M2 = M2_a + M2_b + δ²·n_a·n_b/n). Non-finite values are skipped, as in ``mean_ci``.
    """

    __slots__ = ("_m2", "_mean", "_n")

    def __init__(self) -> None:
        self._n = 0
        self._mean = 0.0
        self._m2 = 0.0

    @property
    def n(self) -> int:
        """Number of finite values added."""
        return self._n

    @property
    def mean(self) -> float:
        """Sample mean (nan before any value)."""
        return self._mean if self._n > 0 else math.nan

    @property
    def variance(self) -> float:
        """Sample variance with ddof = 1 (nan for n < 2)."""
        return self._m2 / (self._n - 1) if self._n >= 2 else math.nan

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof = 1)."""
        return math.sqrt(self.variance) if self._n >= 2 else math.nan

    def add(self, x: float) -> None:
        """Add one value (ignored if not finite)."""
        x = float(x)
        if not math.isfinite(x):
            return
        self._n += 1
        delta = x - self._mean
        self._mean += delta / self._n
        self._m2 += delta * (x - self._mean)

    def add_many(self, values: ArrayLike) -> None:
        """Add a batch of values (non-finite ones ignored) by merging its moments."""
        x = _finite(values)
        n_b = int(x.size)
        if n_b == 0:
            return
        mean_b = float(x.mean())
        m2_b = float(np.sum((x - mean_b) ** 2))
        self._merge(n_b, mean_b, m2_b)

    def merge(self, other: Welford) -> None:
        """Fold another accumulator's values into this one."""
        if other._n:
            self._merge(other._n, other._mean, other._m2)

    def _merge(self, n_b: int, mean_b: float, m2_b: float) -> None:
        n_a = self._n
        n = n_a + n_b
        delta = mean_b - self._mean
        self._mean += delta * n_b / n
        self._m2 += m2_b + delta * delta * n_a * n_b / n
        self._n = n

    def ci(self, confidence: float = 0.95) -> CI:
        """Student-t interval for the mean of the values added so far (see ``mean_ci``)."""
        confidence = _check_confidence(confidence)
        if self._n == 0:
            return CI(math.nan, math.nan, math.nan, math.nan, 0)
        return _ci_from_moments(self._mean, self.variance, self._n, confidence)

    def __repr__(self) -> str:
        return f"Welford(n={self._n}, mean={self.mean!r}, variance={self.variance!r})"
