"""``contactsim staff SCENARIO.yaml``: the fewest agents per interval that meet the service-level targets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def staff(
        scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
        out_dir: Annotated[Path | None, typer.Option(
            "--out", help="Output folder (default results/NAME/staffing)")] = None,
        confidence: Annotated[float, typer.Option(
            min=0.5, max=0.999, help="A target is met when the lower bound of this two-sided CI reaches it")] = 0.95,
        replications: Annotated[int, typer.Option("--replications", "-n", min=2, max=1000)] = 8,
        seed: Annotated[int | None, typer.Option("--seed", min=0, help="Seed of every candidate (CRN)")] = None,
        verify: Annotated[bool, typer.Option(
            "--verify/--no-verify", help="Check every interval with one agent fewer (one run each)")] = True,
        min_offered: Annotated[float, typer.Option(
            min=0, help="Intervals with fewer contacts per replication keep the Erlang staffing")] = 10.0,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Workers (0 = all cores)")] = 0,
    ) -> None:
        """Erlang C/A staffing per interval of the day, refined by simulation on the same customers."""
        import yaml
        from rich.table import Table

        from contactsim import io
        from contactsim.cli import out
        from contactsim.scenario.load import load_scenario
        from contactsim.staffing import optimise_staffing

        sc = load_scenario(scenario)
        res = optimise_staffing(sc, replications=replications, confidence=confidence, seed=seed,
                                workers=workers or None, verify=verify, min_offered=min_offered)
        folder = out_dir or Path("results") / io.safe_name(sc.name) / "staffing"
        io.write_csv(folder / "staffing.csv", res.table)
        io.write_text(folder / "scenario.staffed.yaml",
                      yaml.safe_dump(res.scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
        io.write_json(folder / "staffing.json", {
            "scenario": str(scenario), "confidence": confidence, "replications": replications,
            "seed": sc.run.seed if seed is None else seed, "simulation_rounds": res.iterations,
            "min_offered": min_offered,
            "criterion": f"lower bound of the two-sided {confidence:.0%} t-interval of the service level over "
                         "replications >= target, per interval of the day and target (channel, segment)",
            "cost": res.cost, "currency": sc.currency, "notes": res.notes})
        t = Table(title=f"{sc.name}: fewest agents meeting the targets (lower bound of the {confidence:.0%} CI >= "
                        f"target; {res.iterations} rounds of {replications} replications on the same customers)")
        for c in ("pool", "time", "offered/h", "Erlang", "simulated", "SL", f"{confidence:.0%} CI", "target",
                  "binding", "one fewer: CI low - target"):
            t.add_column(c, justify="left" if c in ("pool", "time", "binding") else "right")
        for r in res.table.itertuples():
            if r.offered_per_hour <= 0 and r.simulated_agents == 0:
                continue
            seen = r.service_level == r.service_level
            fewer = "-"
            if r.fewer_gap == r.fewer_gap:
                fewer = f"{r.fewer_gap:+.1%}" + ("" if r.fewer_misses_at == f"{r.pool} {r.time}"
                                                 else f" at {r.fewer_misses_at}")
            t.add_row(r.pool, r.time, f"{r.offered_per_hour:.1f}", str(r.erlang_agents), str(r.simulated_agents),
                      f"{r.service_level:.1%}" if seen else "-",
                      f"{r.sl_ci_low:.1%} - {r.sl_ci_high:.1%}" if seen else "-",
                      f"{r.target:.0%}" if seen else "-", str(r.binding) if seen else "-",
                      fewer if r.checked else "thin: not checked")
        out.print(t)
        out.print(f"staff cost over the horizon (paid hours x hourly cost / (1 - shrinkage)): Erlang "
                  f"{res.cost['erlang']:,.0f}, simulation {res.cost['simulation']:,.0f} {sc.currency} "
                  f"(difference {res.cost['difference']:+,.0f})")
        for note in res.notes:
            out.print(f"note: {note}")
        out.print(f"results: {folder} (staffing.csv, staffing.json, scenario.staffed.yaml)")
