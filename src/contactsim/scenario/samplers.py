"""The one place a distribution spec of the schema becomes a frozen sampler (``distributions.py``).

Every sampler is built here, at compilation (``scenario/compiled.py``, ``scenario/tables.py``); the
simulation only calls ``ppf`` on them.
"""

from __future__ import annotations

from contactsim.distributions import (
    Deterministic,
    Empirical,
    Exponential,
    Gamma,
    LogNormal,
    Sampler,
    Uniform,
)


def sampler(spec) -> Sampler:
    """Build the frozen sampler for a distribution spec of the schema."""
    match spec.dist:
        case "exponential":
            return Exponential(spec.mean)
        case "lognormal":
            return LogNormal(spec.mean, spec.cv)
        case "gamma":
            return Gamma(spec.mean, spec.cv)
        case "deterministic":
            return Deterministic(spec.value)
        case "uniform":
            return Uniform(spec.low, spec.high)
        case "empirical":
            return Empirical(tuple(spec.values))
    raise ValueError(f"unknown distribution {spec.dist}")  # pragma: no cover - the schema forbids it
