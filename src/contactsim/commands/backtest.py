"""``contactsim backtest DATA SCENARIO``: simulated KPIs against the observed ones, per interval and overall."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def backtest(
        data: Annotated[Path, typer.Argument(help="The log or interval history the scenario should reproduce")],
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML (e.g. from contactsim calibrate)")],
        replications: Annotated[int, typer.Option("--replications", "-n", min=2, max=1000)] = 8,
        weeks: Annotated[int, typer.Option(min=1, max=52, help="Weeks simulated per replication")] = 4,
        seed: Annotated[int | None, typer.Option(min=0)] = None,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = all cores)")] = 1,
        columns: Annotated[list[str] | None, typer.Option("--columns", help="OLD=NEW column renames")] = None,
        timezone: Annotated[str | None, typer.Option("--timezone")] = None,
        out: Annotated[Path | None, typer.Option("--out", help="Report HTML (default: SCENARIO.backtest.html)")] = None,
    ) -> None:
        """Does the scenario reproduce the centre? Observed vs simulated 95% band, in the console and a report."""
        from rich.table import Table

        from contactsim.calibration import parse_columns
        from contactsim.calibration.backtest import METRICS
        from contactsim.calibration.backtest import backtest as run_backtest
        from contactsim.calibration.report import write_backtest_report
        from contactsim.console import out as console
        from contactsim.scenario.load import load_scenario

        sc = load_scenario(scenario)
        bt = run_backtest(data, sc, replications=replications, weeks=weeks, seed=seed, workers=workers or None,
                          columns=parse_columns(columns), timezone=timezone)
        t = Table(title=f"{sc.name} vs {data.name}: {replications} replications x {weeks} weeks against "
                        f"{bt.weeks_observed:.1f} observed weeks (95% prediction band)")
        for c in ("channel", "metric", "observed", "simulated", "95% band", "inside", "intervals inside"):
            t.add_column(c, justify="left" if c in ("channel", "metric") else "right")
        for r in bt.overall.itertuples():
            t.add_row(r.channel, r.metric, f"{r.observed:,.4g}", f"{r.simulated:,.4g}",
                      f"{r.band_low:,.4g} - {r.band_high:,.4g}", "yes" if r.inside else "NO",
                      f"{bt.share_inside(r.metric):.0%}")
        console.print(t)
        target = out or scenario.with_suffix(".backtest.html")
        write_backtest_report(bt, target)
        console.print(f"report: {target} (metrics: {', '.join(METRICS)})")
