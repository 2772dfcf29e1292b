"""``contactsim calibrate DATA --out scenario.yaml``: a runnable scenario from a contact log or interval history."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def calibrate(
        data: Annotated[Path, typer.Argument(help="Per-contact log or interval history (CSV or Parquet)")],
        out: Annotated[Path, typer.Option("--out", help="Scenario YAML to write (report and observed KPIs beside it)")],
        columns: Annotated[list[str] | None, typer.Option(
            "--columns", help="Rename columns to the contract: OLD=NEW[,OLD=NEW...] (repeatable)")] = None,
        interval: Annotated[int | None, typer.Option(
            "--interval", help="Interval minutes of a log: 5, 15, 30 or 60 (default 30); a history keeps its own",
        )] = None,
        timezone: Annotated[str | None, typer.Option(
            "--timezone", help="Convert timestamps with mixed UTC offsets to this zone, e.g. Europe/Amsterdam")] = None,
        name: Annotated[str | None, typer.Option(help="Scenario name (default: the data file's name)")] = None,
        sl_seconds: Annotated[float, typer.Option(help="Service-level threshold of the observed KPIs, s")] = 20.0,
        report: Annotated[bool, typer.Option("--report/--no-report", help="Write the calibration report")] = True,
    ) -> None:
        """Estimate volumes, profiles, variability, handle times, patience and staffing from centre data."""
        from rich.table import Table

        from contactsim.calibration import calibrate as run_calibration
        from contactsim.calibration import parse_columns
        from contactsim.console import err
        from contactsim.console import out as console

        cal = run_calibration(data, out=out, columns=parse_columns(columns), timezone=timezone,
                              interval_minutes=interval, name=name, sl_threshold_s=sl_seconds, report=report)
        d = cal.data
        for why, n in d.dropped.items():
            err.print(f"dropped {n:,} of {d.rows_read:,} rows: {why}")
        t = Table(title=f"{cal.scenario.name}: calibrated from {data.name} ({d.rows_read:,} rows, "
                        f"{len(cal.grid.dates)} dates, {d.interval_minutes}-min intervals) in {cal.seconds:.1f} s")
        for c in ("parameter", "estimate", "95% CI"):
            t.add_column(c, justify="left" if c == "parameter" else "right")
        for e in cal.estimates:
            if e.key.startswith("volume.") and e.value == 0:
                continue
            t.add_row(e.key, f"{e.value:,.4g}", "-" if e.low != e.low else f"{e.low:,.4g} - {e.high:,.4g}")
        console.print(t)
        if len(cal.volume.special):
            console.print("special dates left out: " + ", ".join(str(x) for x in cal.volume.special["date"]))
        stem = out.with_suffix("")
        console.print(f"scenario: {out}; observed KPIs: {stem}.observed.csv"
                      + (f"; report: {stem}.calibration.html" if report else ""))
        console.print(f"next: contactsim run {out}   |   contactsim backtest {data} {out}")
