"""Satisfaction proxies: CSAT (1-5), customer effort (1-7) and churn / value at risk.

The formulas (parameters in the scenario's ``satisfaction`` block; defaults reasoned in docs/MODEL.md):

* effort steps ``e`` = IVR used + transfers + failed self-service + earlier attempts (retrials, repeats)
  + channel switch (not the preferred channel) + the effort_penalty of ignored steering.
  **CES** = 1 + 6 (1 - exp(-e / 3)): 1 = effortless, towards 7 = very hard; never falls as ``e`` grows.
* speed ``s`` = 1 - exp(-w / E), ``w`` the wait, ``E`` the segment's expected wait on the channel:
  0 for no wait, towards 1 for waits far above the expectation.
* **CSAT** = clip(base - speed_weight s - resolution_weight (1 - resolved) - effort_weight e
  - channel_fit_weight (1 - fit), 1, 5); an abandoned contact scores ``abandoned_score``.
  Speed and resolution carry the largest weights: the source material names speed and accuracy as
  the largest drivers of satisfaction.
* **churn** p = baseline + max_extra / (1 + exp(steepness (CSAT - midpoint))): rises as CSAT falls.
  **value at risk** = (p - baseline) x the segment's value per year: the yearly value the
  experience puts at risk beyond normal churn.
"""

from __future__ import annotations

import numpy as np

from contactsim.scenario.schema import Churn, Csat


def effort_score(steps: np.ndarray | float) -> np.ndarray:
    """Customer-effort proxy on 1..7 from the number of effort steps (>= 0)."""
    e = np.maximum(np.asarray(steps, dtype=float), 0.0)
    return 1.0 + 6.0 * (1.0 - np.exp(-e / 3.0))


def speed_penalty(wait_s: np.ndarray | float, expected_s: np.ndarray | float) -> np.ndarray:
    w = np.maximum(np.asarray(wait_s, dtype=float), 0.0)
    return 1.0 - np.exp(-w / np.maximum(np.asarray(expected_s, dtype=float), 1.0))


def csat(p: Csat, wait_s, expected_s, resolved, effort_steps, channel_fit, abandoned) -> np.ndarray:
    """CSAT proxy (1..5) per contact; see the module docstring for the formula."""
    score = (
        p.base
        - p.speed_weight * speed_penalty(wait_s, expected_s)
        - p.resolution_weight * (1.0 - np.asarray(resolved, dtype=float))
        - p.effort_weight * np.maximum(np.asarray(effort_steps, dtype=float), 0.0)
        - p.channel_fit_weight * (1.0 - np.asarray(channel_fit, dtype=float))
    )
    score = np.where(np.asarray(abandoned, dtype=bool), p.abandoned_score, score)
    return np.clip(score, 1.0, 5.0)


def churn_probability(p: Churn, csat_score) -> np.ndarray:
    c = np.asarray(csat_score, dtype=float)
    return p.baseline + p.max_extra / (1.0 + np.exp(p.steepness * (c - p.midpoint_csat)))


def value_at_risk(p: Churn, csat_score, value_per_year) -> np.ndarray:
    return (churn_probability(p, csat_score) - p.baseline) * np.asarray(value_per_year, dtype=float)
