"""Customer needs in bulk: a non-homogeneous Poisson process per segment x reason, from the profiles.

Rates are piecewise constant per interval, so drawing a Poisson count per interval and placing the
arrivals uniformly inside it is exact. Each segment x reason group has its own named stream, which
also supplies the per-need uniforms every later decision uses (channel choice, patience, handle time,
funnel outcomes): a change to one group's volume leaves every other customer exactly as it was.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from contactsim.rng import stream
from contactsim.scenario.compiled import Compiled
from contactsim.scenario.timespec import DAY_S

PURPOSES = (
    "channel", "patience", "handle", "acw", "fcr", "prevent", "proactive_detect", "proactive_satisfied",
    "outreach", "ss_try", "ss_success", "ss_duration", "retrial", "premium", "steer", "defer", "ivr",
    "misroute", "complaint", "callback",
)
"""Columns of the per-need uniform matrix. Append only: reordering would change every customer."""
U = {name: i for i, name in enumerate(PURPOSES)}
EXTRA_PURPOSES = ("customer", "identified", "automated", "community", "community_wrong", "community_delay",
                  "question")
"""Columns of the second per-need uniform matrix, drawn from streams of their own ('needs-extra/...') only
when a scenario uses customers with identity, identification or relationship modes: the first matrix and
so every existing customer stays exactly as it was. Append only."""
X = {name: i for i, name in enumerate(EXTRA_PURPOSES)}


def uses_extra(c: Compiled) -> bool:
    """Whether the scenario needs the second uniform matrix."""
    return c.arrivals.uses_extra


@dataclass
class Needs:
    """Needs of one replication, sorted by arrival time."""

    arrival_at: np.ndarray
    segment: np.ndarray
    reason: np.ndarray
    incident: np.ndarray
    """True for needs caused by an incident (outage) rather than the baseline profile."""
    u: np.ndarray
    """Uniforms [n, len(PURPOSES)] (float64 from float32 draws)."""
    key: np.ndarray
    """A 64-bit key per need (uint64) from which its follow-up contacts draw their own uniforms
    (``rng.keyed_uniforms``); drawn after the need's other numbers, so it shifts none of them."""
    u2: np.ndarray | None = None
    """Uniforms [n, len(EXTRA_PURPOSES)], or None when the scenario needs none (see ``uses_extra``)."""

    def __len__(self) -> int:
        return len(self.arrival_at)


def daily_volume(c: Compiled) -> np.ndarray:
    """Needs per average day, [segment, reason] (computed at compilation)."""
    return c.arrivals.volume


BLOCK_S = DAY_S
"""Needs are generated, and the engine fed, one day at a time: memory follows a day, not the horizon."""


def n_blocks(c: Compiled) -> int:
    return max(1, int(np.ceil(c.horizon_s / BLOCK_S - 1e-9)))


def _day_factor(c: Compiled, seed: int, rep: int, block: int) -> float:
    """The day-level multiplier (mean 1): independent gamma days, or a persistent log-normal AR(1) level.

    The AR(1) chain is built from its own stream's first ``block + 1`` normals, so a day's level does
    not depend on how many days the run has, and the gamma stream of independent days never shifts.
    """
    a = c.arrivals
    cv = a.overdispersion_cv
    if cv <= 0:
        return 1.0
    if a.day_persistence > 0:
        return _ar1_levels(seed, rep, a.day_persistence, cv, max(n_blocks(c), block + 1))[block]
    k = 1.0 / cv**2
    return float(stream(seed, rep, f"arrivals/day-factor/{block}").gamma(k, 1.0 / k))


@functools.lru_cache(maxsize=4)
def _ar1_levels(seed: int, rep: int, phi: float, cv: float, days: int) -> tuple[float, ...]:
    """The AR(1) day levels of days 0..days-1 of a replication, drawn once (each block reads its own): the
    same normals and the same arithmetic, step by step, as building day ``b``'s chain from the first ``b + 1``
    normals, so every level is bit for bit what it was when each block re-built its chain."""
    z = stream(seed, rep, "arrivals/day-level-ar1").standard_normal(days)
    s2 = np.log1p(cv * cv)
    out = []
    x = z[0]
    for b in range(days):
        if b:
            x = phi * x + np.sqrt(1.0 - phi * phi) * z[b]
        out.append(float(np.exp(np.sqrt(s2) * x - s2 / 2.0)))
    return tuple(out)


def _interval_factors(c: Compiled, seed: int, rep: int, block: int) -> np.ndarray | None:
    """Gamma multipliers (mean 1) per interval of the day, shared by all groups: within-day overdispersion."""
    cv = c.arrivals.interval_overdispersion_cv
    if cv <= 0 or c.steady_state:
        return None
    k = 1.0 / cv**2
    return stream(seed, rep, f"arrivals/interval-noise/{block}").gamma(k, 1.0 / k, size=c.per_day)


def _on_grid(profile: np.ndarray, noise: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A profile and the interval noise at the finer of their two lengths (one divides the other)."""
    n, g = len(profile), len(noise)
    if n < g and g % n == 0:
        return np.repeat(profile / (g // n), g // n), noise
    if n > g and n % g == 0:
        return profile, np.repeat(noise, n // g)
    if n == g:
        return profile, noise
    fine = np.interp((np.arange(g) + 0.5) / g, (np.arange(n) + 0.5) / n, profile)  # pragma: no cover
    return fine / max(fine.sum(), 1e-300) * profile.sum(), noise  # pragma: no cover - rules forbid it


def _group(c: Compiled, rng: np.random.Generator, mean_per_day: float, profile: np.ndarray, block: int,
           day_mult: float, noise: np.ndarray | None = None, forecast: np.ndarray | None = None) -> np.ndarray:
    """Arrival times of one segment x reason group within one block (day).

    A ``forecast`` (expected needs per interval of this day) replaces volume x weekly x profile."""
    t0 = block * BLOCK_S
    if c.steady_state:
        length = min(BLOCK_S, c.horizon_s - t0)
        n = rng.poisson(mean_per_day / DAY_S * length)
        return t0 + np.sort(rng.random(n) * length)
    weekday = (c.start_weekday + block) % 7
    if forecast is not None:
        profile, mean_per_day, weekly = forecast, 1.0 / 7.0, 1.0
    else:
        weekly = c.arrivals.weekly[weekday]
    if noise is not None:
        profile, noise = _on_grid(profile, noise)
        profile = profile * noise
    lam = mean_per_day * 7 * weekly * day_mult * profile
    counts = rng.poisson(lam)
    width = DAY_S / len(profile)
    starts = np.repeat(t0 + np.arange(counts.size) * width, counts)
    return starts + rng.random(starts.size) * width


def generate(c: Compiled, seed: int, rep: int, block: int = 0) -> Needs:
    """The needs of one block (day) of one replication, sorted by arrival time.

    Every segment x reason x day has its own stream, so a day's customers do not depend on the days
    before it, nor on how the horizon is split.
    """
    vol = daily_volume(c)
    day_mult = _day_factor(c, seed, rep, block) if not c.steady_state else 1.0
    noise = _interval_factors(c, seed, rep, block)
    base = c.arrivals.intraday[(c.start_weekday + block) % 7]
    parts_t, parts_s, parts_r, parts_u, parts_i, parts_k, parts_x = [], [], [], [], [], [], []
    extra = uses_extra(c)
    for i, sname in enumerate(c.segments):
        for j, rname in enumerate(c.reasons):
            fc = c.forecast.get((block, i, j)) if c.forecast else None
            if vol[i, j] <= 0 and fc is None:
                continue
            rng = stream(seed, rep, f"needs/{sname}/{rname}/{block}")
            prof = c.arrivals.reason_intraday[j]
            profile = prof if prof is not None else base
            t = _group(c, rng, vol[i, j], profile if profile is not None else np.ones(1), block, day_mult, noise, fc)
            parts_t.append(t)
            parts_s.append(np.full(t.size, i, dtype=np.int16))
            parts_r.append(np.full(t.size, j, dtype=np.int16))
            parts_u.append(rng.random((t.size, len(PURPOSES)), dtype=np.float32))
            parts_i.append(np.zeros(t.size, dtype=bool))
            parts_k.append(rng.integers(0, 2**63, t.size, dtype=np.uint64))
            if extra:
                parts_x.append(stream(seed, rep, f"needs-extra/{sname}/{rname}/{block}").random(
                    (t.size, len(EXTRA_PURPOSES))))
    shares = vol.sum(axis=1) / max(vol.sum(), 1e-300)
    for k, inc in enumerate(c.arrivals.incidents):
        start = inc.start_s
        if int(start // BLOCK_S) != block:
            continue
        rng = stream(seed, rep, f"incident/{k}")
        n = rng.poisson(inc.extra_needs)
        t = start + rng.random(n) * inc.duration_minutes * 60.0
        w = np.where(inc.segments, shares, 0.0)
        w = w / w.sum() if w.sum() > 0 else np.full(len(w), 1 / len(w))
        seg = np.minimum(np.searchsorted(np.cumsum(w), rng.random(n), side="right"), len(w) - 1)
        keep = t < c.horizon_s
        parts_t.append(t[keep])
        parts_s.append(seg[keep].astype(np.int16))
        parts_r.append(np.full(int(keep.sum()), inc.reason, dtype=np.int16))
        parts_u.append(rng.random((n, len(PURPOSES)), dtype=np.float32)[keep])
        parts_i.append(np.ones(int(keep.sum()), dtype=bool))
        parts_k.append(rng.integers(0, 2**63, n, dtype=np.uint64)[keep])
        if extra:
            parts_x.append(stream(seed, rep, f"incident-extra/{k}").random((n, len(EXTRA_PURPOSES)))[keep])
    if not parts_t:
        return Needs(np.zeros(0), np.zeros(0, np.int16), np.zeros(0, np.int16), np.zeros(0, bool),
                     np.zeros((0, len(PURPOSES))), np.zeros(0, np.uint64),
                     np.zeros((0, len(EXTRA_PURPOSES))) if extra else None)
    t = np.concatenate(parts_t)
    order = np.argsort(t, kind="stable")
    u = np.concatenate(parts_u)[order].astype(np.float64)
    # float32 uniforms can round to exactly 1.0; keep them inside [0, 1) for inverse transforms
    np.minimum(u, np.nextafter(1.0, 0.0), out=u)
    u2 = np.concatenate(parts_x)[order] if extra else None
    return Needs(t[order], np.concatenate(parts_s)[order], np.concatenate(parts_r)[order],
                 np.concatenate(parts_i)[order], u, np.concatenate(parts_k)[order], u2)
