"""Service that is broader, not only faster (seed 003): skill depth per pool x reason, thoroughness per
segment, and escalation from a first line to a second line.

Pure tables and rules built once from the compiled scenario; the engine only looks them up, so each
rule is testable without a simulation. Issue 16.
"""

from __future__ import annotations

from dataclasses import dataclass

from contactsim.scenario.compiled import Compiled
from contactsim.scenario.tables import Escalation


@dataclass(frozen=True)
class Skills:
    """Per pool x reason: handle-time factor and first-contact resolution; per segment: resolution factor.

    A contact served by pool ``p`` resolves its need when its uniform ``u < fcr[p][r][ch] * factor[s]``
    (the probability is capped at 1 by ``u < 1``): the reason's FCR on the channel unless the pool's
    proficiency for the reason gives its own, times the segment's ``resolution_factor``.
    """

    handle_factor: list[list[float]]
    fcr: list[list[list[float]]]
    segment_factor: list[float]
    always_resolved: bool

    def resolves(self, pool: int, seg: int, rea: int, ch: int, u: float) -> bool:
        return u < self.fcr[pool][rea][ch] * self.segment_factor[seg]


def build_skills(c: Compiled) -> Skills:
    base = c.fcr.tolist()
    handle, fcr = [], []
    for pool in c.pool_defs:
        h_row, f_row = [], []
        for j in range(len(c.reasons)):
            h_row.append(pool.proficiency.handle_factor[j] if pool.proficiency else 1.0)
            own = pool.proficiency.fcr[j] if pool.proficiency else None
            f_row.append([own if own is not None else base[j][k] for k in range(len(c.channels))])
        handle.append(h_row)
        fcr.append(f_row)
    seg_f = list(c.rules.segment_resolution_factor)
    always = all(min(f * sf, 1.0) >= 1.0 for row in fcr for cell in row for f in cell for sf in seg_f)
    return Skills(handle, fcr, seg_f, always)


def build_escalations(c: Compiled) -> list[Escalation | None]:
    """Per pool: its escalation rule (compiled once: ``scenario.tables.Escalation``), or None."""
    return [pool.escalation for pool in c.pool_defs]
