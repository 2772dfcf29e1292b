"""Frozen samplers built from distribution specs.

Every sampler draws by inverse transform from uniforms (``ppf(u)``). Drawing the uniforms in bulk from a
named stream and transforming them keeps common random numbers across scenarios: the same customer gets
the same quantile of its handle-time or patience distribution even when a scenario changes the mean.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from scipy import special

_STD_NORMAL = NormalDist()


class Sampler:
    """A distribution of non-negative durations (seconds) with analytic moments."""

    mean: float
    variance: float

    def ppf(self, u: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.ppf(rng.random(n))

    def ppf_one(self, u: float) -> float:
        """``ppf`` for one uniform, without numpy's per-call overhead (the engine's follow-up draws)."""
        return float(self.ppf(np.array([u]))[0])



@dataclass(frozen=True)
class Exponential(Sampler):
    mean: float

    @property
    def variance(self) -> float:  # type: ignore[override]
        return self.mean**2

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean * np.log1p(-u)

    def ppf_one(self, u: float) -> float:
        return -self.mean * math.log1p(-u)


@dataclass(frozen=True)
class _MeanCV(Sampler):
    """Parameterised by mean and coefficient of variation (sd / mean), as planners quote handle times."""

    mean: float
    cv: float

    @property
    def variance(self) -> float:  # type: ignore[override]
        return (self.cv * self.mean) ** 2


@dataclass(frozen=True)
class LogNormal(_MeanCV):
    """Right-skewed: the usual fit for call-centre handle times (Brown et al. 2005)."""

    def ppf(self, u: np.ndarray) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        return np.exp(mu + math.sqrt(sigma2) * special.ndtri(u))

    def ppf_one(self, u: float) -> float:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        return math.exp(mu + math.sqrt(sigma2) * _STD_NORMAL.inv_cdf(min(max(u, 1e-300), 1 - 1e-16)))


@dataclass(frozen=True)
class Gamma(_MeanCV):

    def ppf(self, u: np.ndarray) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return special.gammaincinv(shape, u) * (self.mean / shape)


@dataclass(frozen=True)
class Deterministic(Sampler):
    value: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return self.value

    @property
    def variance(self) -> float:  # type: ignore[override]
        return 0.0

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)

    def ppf_one(self, u: float) -> float:
        return self.value


@dataclass(frozen=True)
class Uniform(Sampler):
    low: float
    high: float

    @property
    def mean(self) -> float:  # type: ignore[override]
        return (self.low + self.high) / 2

    @property
    def variance(self) -> float:  # type: ignore[override]
        return (self.high - self.low) ** 2 / 12

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * u

    def ppf_one(self, u: float) -> float:
        return self.low + (self.high - self.low) * u


@dataclass(frozen=True)
class Empirical(Sampler):
    """Resamples observed values with equal weight (e.g. handle times exported from the ACD)."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:  # type: ignore[override]
        return float(np.mean(self.values))

    @property
    def variance(self) -> float:  # type: ignore[override]
        return float(np.var(self.values))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        arr = np.sort(np.asarray(self.values, dtype=float))
        idx = np.minimum((u * len(arr)).astype(np.int64), len(arr) - 1)
        return arr[idx]

