"""Console helpers shared by the command line and its sub-commands: the two consoles, number formats, the
progress bar and the paired-difference table.

Kept apart from ``cli.py`` (which registers the sub-commands) so that ``commands/`` imports them without an
import cycle; nothing here computes anything.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

err = Console(stderr=True, soft_wrap=True)
out = Console() if sys.stdout.isatty() else Console(width=160)


def fmt_number(fmt: str, v: float) -> str:
    return "-" if v != v else fmt.format(v)  # NaN check without numpy


def fmt_wait(seconds: float, deferred: bool) -> str:
    """A wait in seconds for a live channel, in hours for a deferred one (an e-mail backlog)."""
    if seconds != seconds:
        return "-"
    return f"{seconds / 3600:.1f} h" if deferred else f"{seconds:.1f} s"


def fmt_pp(diff: float, signed: bool = True) -> str:
    """A difference of two shares in percentage points: 0.021 -> '+2.1 pp'."""
    if diff != diff:
        return "-"
    return f"{diff * 100:+.1f} pp" if signed else f"{diff * 100:.1f} pp"


DIFF_METRICS = [("service_level", "SL", "pp"), ("asa_s", "ASA s", "{:+.1f}"),
                ("abandon_rate", "aband.", "pp"), ("csat", "CSAT", "{:+.2f}"),
                ("cost_per_resolved_need", "cost/resolved", "{:+.2f}")]
"""Columns of the comparison table; "pp": a difference of shares, in percentage points."""


def print_differences(diffs, wait_channel: str | None = None, currency: str = "") -> None:
    """Paired differences per segment (scenario - baseline), * where the 95% CI excludes zero.

    ASA is shown for ``wait_channel`` (a channel where customers wait on the line): over all channels it
    would be dominated by e-mail backlogs. Differences of shares are in percentage points (pp). Below each
    table the cost change, and the net cost change (cost minus revenue) when revenue changes too.
    """
    d = diffs[(diffs["pool"] == "all") & (diffs["interval"] == "all")]
    for name, g in d.groupby("scenario", sort=False):
        base = g["baseline"].iloc[0]
        table = Table(title=f"{name} minus {base} (paired, 95% CI; * = significant; pp = percentage points)")
        table.add_column("segment")
        for metric, label, _ in DIFF_METRICS:
            wide = metric == "asa_s" and wait_channel
            table.add_column(f"ASA {wait_channel} s" if wide else label, justify="right")
        for seg in sorted(g["segment"].unique(), key=lambda x: (x == "all", x)):
            cells = []
            for metric, _, fmt in DIFF_METRICS:
                ch = wait_channel if metric == "asa_s" and wait_channel else "all"
                row = g[(g["segment"] == seg) & (g["channel"] == ch)].set_index("metric")
                if metric not in row.index:
                    cells.append("-")
                    continue
                r = row.loc[metric]
                half = (r["ci_high"] - r["ci_low"]) / 2
                if fmt == "pp":
                    text = fmt_pp(r["diff_mean"]) + " ±" + fmt_pp(half, signed=False)
                else:
                    text = fmt_number(fmt, r["diff_mean"]) + " ±" + fmt_number(fmt, half).lstrip("+")
                cells.append(text + (" *" if r["significant"] else ""))
            table.add_row(seg, *cells)
        out.print(table)
        top = g[(g["segment"] == "all") & (g["channel"] == "all")].set_index("metric")

        def line(metric: str, label: str, top=top) -> str | None:
            if metric not in top.index:
                return None
            r = top.loc[metric]
            sig = " (significant)" if r["significant"] else " (not significant)"
            return (f"{label} {r['diff_mean']:+,.0f} {currency} (95% CI {r['ci_low']:+,.0f} to "
                    f"{r['ci_high']:+,.0f}){sig}")

        parts = [line("cost", "cost")]
        revenue_moves = "revenue" in top.index and (abs(top.loc["revenue", "diff_mean"]) > 1e-9
                                                    or abs(top.loc["revenue", "baseline_mean"]) > 1e-9)
        if revenue_moves:
            parts += [line("revenue", "revenue"), line("net_cost", "net cost (cost - revenue)")]
        parts = [p for p in parts if p]
        if parts:
            out.print(f"{name} minus {base}: " + "; ".join(parts))


def progress_bar() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), console=err, transient=True)
