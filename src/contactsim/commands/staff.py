"""``contactsim staff SCENARIO.yaml``: the fewest agents per interval that meet the service-level targets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def staff(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
        out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder")] = None,
        confidence: Annotated[float, typer.Option(min=0.5, max=0.999, help="Confidence the target is met")] = 0.95,
        replications: Annotated[int, typer.Option("--replications", "-n", min=2)] = 8,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Workers (0 = all cores)")] = 0,
    ) -> None:
        """Erlang C/A square-root staffing per interval, refined by simulation on the same customers."""
        import yaml
        from rich.table import Table

        from contactsim import io
        from contactsim.cli import out
        from contactsim.scenario.load import load_scenario
        from contactsim.staffing import optimise_staffing

        sc = load_scenario(scenario)
        res = optimise_staffing(sc, replications=replications, confidence=confidence, workers=workers or None)
        folder = out_dir or Path("results") / io.safe_name(sc.name) / "staffing"
        io.write_csv(folder / "staffing.csv", res.table)
        io.write_text(folder / "scenario.staffed.yaml",
                      yaml.safe_dump(res.scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
        t = Table(title=f"{sc.name}: staffing meeting the targets at {confidence:.0%} confidence "
                        f"({res.iterations} simulation rounds, {replications} replications each)")
        for c in ("pool", "time", "offered/h", "Erlang", "simulated", "SL", "SL lower bound", "target"):
            t.add_column(c, justify="left" if c in ("pool", "time") else "right")
        for r in res.table.itertuples():
            if r.offered_per_hour <= 0 and r.agents == 0:
                continue
            t.add_row(r.pool, r.time, f"{r.offered_per_hour:.0f}", str(r.erlang_agents), str(r.agents),
                      f"{r.service_level:.1%}", f"{r.sl_low:.1%}", f"{r.target:.0%}")
        out.print(t)
        out.print(f"staff cost over the horizon: Erlang {res.cost['erlang']:,.0f}, simulation "
                  f"{res.cost['simulation']:,.0f} {sc.currency} (difference {res.cost['difference']:+,.0f})")
        for note in res.notes:
            out.print(f"note: {note}")
        out.print(f"results: {folder}")
