"""What a run will cost before it starts: memory and CPU time estimated from the scenario, and a refusal
that states the estimate and the limit when a valid file asks for more than the machine should give.

A 60 kB file can ask for 10^8 agents or 5 million needs in one interval; validation cannot see that, since
every field is within its range. The estimate adds up what the model holds at once (agents, the needs of
the busiest day as contact objects, the KPI accumulator arrays, the per-replication KPI rows and the
records kept in the main process) and what it does (contacts, agent staffing changes), with per-item sizes
and speeds measured on the bundled scenarios and rounded up. It is an order of magnitude, not a promise:
its job is to refuse the absurd within a second, never to cut a realistic study short.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from contactsim.errors import ContactsimError, Issue
from contactsim.scenario.rules import expected_needs
from contactsim.scenario.schema import Scenario
from contactsim.scenario.shifts import weekly_staffing
from contactsim.scenario.tables import interval_kpis_mode

DEFAULT_MEMORY_GB = 8.0
"""Refuse runs estimated to need more memory than this (per process); --max-memory-gb overrides."""
DEFAULT_CPU_HOURS = 1.0
"""Refuse runs estimated to need more CPU time than this (all replications); --max-cpu-hours overrides."""

BYTES_PER_AGENT = 1_000
BYTES_PER_NEED_IN_FLIGHT = 1_200
"""A day's needs are generated together and live as contact objects (with their SimPy events) until served."""
BYTES_PER_RECORD = 400
"""One contact row plus one need row kept in memory (all replications, concatenated in the main process)."""
BYTES_PER_KPI_ROW = 250
N_FIELDS, N_FINE, N_COARSE, KPI_ROWS_PER_CELL = 17, 1591, 167, 20
CONTACTS_PER_SECOND = 15_000
"""Slow end of the measured engine speed on one core (the bundled scenarios run at 20,000-60,000)."""
AGENT_CHANGES_PER_SECOND = 300_000
DAY_S, WEEK_S = 86_400.0, 604_800.0


@dataclass(frozen=True)
class Estimate:
    """Memory per process (bytes) and CPU time (seconds, all replications), with the parts that make them."""

    memory_bytes: float
    cpu_seconds: float
    parts: dict[str, float]

    def describe(self) -> str:
        big = sorted(self.parts.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{k} {_gb(v)}" for k, v in big if v > 0)


def _gb(b: float) -> str:
    return f"{b / 1e9:,.1f} GB" if b >= 1e8 else f"{b / 1e6:,.0f} MB"


def _intervals(sc: Scenario) -> tuple[int, int]:
    """(intervals simulated, interval KPI columns) as the KPI accumulator will size them."""
    h = sc.horizon
    per_day = h.intervals_per_day
    if h.steady_state:
        measured_h = h.steady_state_hours or 0.0
        total_h = measured_h + h.warmup_hours + h.drain_hours
    else:
        measured_h = (h.days or 0) * 24.0
        total_h = measured_h + h.drain_hours
    n_total = math.ceil(total_h * per_day / 24.0)
    n_measured = math.ceil(measured_h * per_day / 24.0)
    mode = interval_kpis_mode(sc.run.interval_kpis, measured_h * 3600.0)
    return n_total, (n_measured if mode == "absolute" else 7 * per_day)


def estimate(sc: Scenario, replications: int | None = None, keep_records: bool | None = None) -> Estimate:
    """Memory per process and CPU time of running ``sc`` (see the module docstring for what is counted)."""
    reps = replications or sc.run.replications
    keep = sc.run.record_contacts if keep_records is None else keep_records
    h = sc.horizon
    interval_s = h.interval_minutes * 60.0
    days = max((h.days or 0.0) if h.days is not None else
               ((h.steady_state_hours or 0.0) + h.warmup_hours) / 24.0, 1e-9)
    n_total, n_cols = _intervals(sc)
    total_s = n_total * interval_s

    agents = 0
    agent_changes = 0.0
    for pool in sc.pools.values():
        _, levels = weekly_staffing(pool, interval_s)
        agents += int(levels.max(initial=0))
        moved = float(abs(levels[0] - levels[-1]) + abs(levels[1:] - levels[:-1]).sum())
        agent_changes += moved * total_s / WEEK_S

    needs = expected_needs(sc)
    incidents = sum(i.extra_needs for i in sc.incidents)
    per_day = (needs - incidents) / days
    weekly_peak = max(sc.arrivals.weekly, default=1 / 7) * 7 if len(sc.arrivals.weekly) == 7 else 1.0
    busiest_day = per_day * weekly_peak * (1 + 3 * sc.arrivals.overdispersion_cv) + incidents
    contacts = needs * 1.5  # repeats, retrials, transfers, outreach

    S, C, P, R = len(sc.segments), len(sc.channels), len(sc.pools), len(sc.reasons)
    cells = S * C * n_cols
    parts = {
        "agents": agents * BYTES_PER_AGENT,
        "needs of the busiest day": busiest_day * BYTES_PER_NEED_IN_FLIGHT,
        "KPI arrays": 8.0 * cells * (N_FIELDS + P) + 4.0 * cells * N_COARSE
        + 8.0 * S * R * C * (N_FIELDS + P + N_FINE) + 8.0 * P * n_total,
        "KPI rows": BYTES_PER_KPI_ROW * KPI_ROWS_PER_CELL * (cells + P * n_cols) * (1 + reps),
        "records": BYTES_PER_RECORD * contacts * reps if keep else 0.0,
    }
    cpu = reps * (contacts / CONTACTS_PER_SECOND + agent_changes / AGENT_CHANGES_PER_SECOND)
    return Estimate(memory_bytes=sum(parts.values()), cpu_seconds=cpu, parts=parts)


def check(sc: Scenario, *, replications: int | None = None, keep_records: bool | None = None,
          max_memory_gb: float | None = None, max_cpu_hours: float | None = None, source: str = "") -> Estimate:
    """Refuse, before anything runs, a scenario whose estimate exceeds the limits (exit code 2 in the CLI)."""
    est = estimate(sc, replications, keep_records)
    mem_limit = (DEFAULT_MEMORY_GB if max_memory_gb is None else max_memory_gb) * 1e9
    cpu_limit = (DEFAULT_CPU_HOURS if max_cpu_hours is None else max_cpu_hours) * 3600.0
    issues = []
    if est.memory_bytes > mem_limit:
        issues.append(Issue("<file>", f"estimated memory {_gb(est.memory_bytes)} is over the limit of "
                            f"{_gb(mem_limit)} ({est.describe()})", None,
                            "shorten the horizon, lower volumes or staffing, use fewer segments/channels/pools, "
                            "--no-records; or raise the limit with --max-memory-gb if the machine has it"))
    if est.cpu_seconds > cpu_limit:
        issues.append(Issue("<file>", f"estimated CPU time {est.cpu_seconds / 3600:,.1f} h is over the limit of "
                            f"{cpu_limit / 3600:,.1f} h", None,
                            "shorten the horizon, lower volumes, staffing changes or replications; or raise the "
                            "limit with --max-cpu-hours"))
    if issues:
        raise ContactsimError(source or sc.name, issues, kind="scenario for this machine")
    return est
