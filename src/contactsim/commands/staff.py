"""``contactsim staff SCENARIO.yaml``: a staffing plan per pool, weekday and interval that meets the targets."""

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
        replications: Annotated[int, typer.Option("--replications", "-n", min=2, max=1000)] = 8,
        seed: Annotated[int | None, typer.Option(
            "--seed", min=0, help="Pilot seed; verification uses seed + 1")] = None,
        max_asa: Annotated[float | None, typer.Option("--max-asa", min=0, help="ASA target, seconds")] = None,
        max_abandon: Annotated[float | None, typer.Option(
            "--max-abandon", min=0, max=1, help="Abandonment target, e.g. 0.05")] = None,
        max_occupancy: Annotated[float, typer.Option(
            "--max-occupancy", min=0.1, max=1, help="Occupancy cap (1 = none)")] = 0.85,
        min_agents: Annotated[int, typer.Option(
            "--min-agents", min=0, help="Agents whenever a pool's channel is open")] = 1,
        rounds: Annotated[int, typer.Option(min=1, max=50, help="Verification simulations at most")] = 6,
        min_offered: Annotated[float, typer.Option(
            min=0, help="Intervals with fewer contacts per replication are not checked")] = 5.0,
        pools: Annotated[list[str] | None, typer.Option("--pool", help="Plan only this pool (repeatable)")] = None,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Workers (0 = all cores)")] = 0,
    ) -> None:
        """Plan agents per pool, weekday and interval: Erlang A/C per interval, verified by simulation."""
        import yaml
        from rich.table import Table

        from contactsim import io, resources
        from contactsim.console import out, progress_bar
        from contactsim.scenario.load import load_scenario
        from contactsim.staffing import Targets, optimise_staffing, plan_wide

        sc = load_scenario(scenario)
        resources.check(sc, replications=replications, keep_records=False, source=str(scenario))
        folder = io.check_writable_dir(out_dir or Path("results") / io.safe_name(sc.name) / "staffing",
                                       "staffing folder")
        targets = Targets(max_asa_s=max_asa, max_abandon=max_abandon,
                          max_occupancy=None if max_occupancy >= 1 else max_occupancy, min_agents=min_agents)
        with progress_bar() as prog:
            task = prog.add_task(f"staffing {sc.name}", total=rounds + 2)

            def tick(stage: str, done: int, total: int) -> None:
                prog.update(task, description=f"staffing {sc.name}: {stage}", completed=done, total=total)

            res = optimise_staffing(sc, replications=replications, seed=seed, workers=workers or None,
                                    targets=targets, rounds=rounds, min_offered=min_offered, pools=pools,
                                    progress=tick)
        io.write_csv(folder / "staffing.csv", res.table)
        io.write_csv(folder / "plan.csv", plan_wide(sc, res.plan))
        io.write_text(folder / "scenario.staffed.yaml",
                      yaml.safe_dump(res.scenario.model_dump(mode="json"), sort_keys=False, allow_unicode=True))
        io.write_json(folder / "staffing.json", {
            "scenario": str(scenario), "replications": replications,
            "seed": sc.run.seed if seed is None else seed, "verification_rounds": res.rounds,
            "targets": {"service_level": "the scenario's channel and segment targets", "max_asa_s": max_asa,
                        "max_abandon": max_abandon, "max_occupancy": targets.max_occupancy,
                        "min_agents_while_open": min_agents},
            "criterion": "per pool, weekday and interval, KPIs pooled over replications of a fresh seed meet "
                         "every target (backlogs: per day)",
            "cost": res.cost, "currency": sc.currency, "notes": res.notes})
        t = Table(title=f"{sc.name}: staffing plan per pool and weekday ({res.rounds} verification run(s) of "
                        f"{replications} replications on a fresh seed)")
        for c in ("pool", "day", "staffed", "peak", "agent-hours", "intervals met", "lowest SL (target)",
                  "occupancy"):
            t.add_column(c, justify="left" if c in ("pool", "day", "staffed") else "right")
        tab = res.table
        for (p, _wd), g in tab.groupby(["pool", "wd"], sort=False):
            on = g[g["agents"] > 0]
            if on.empty:
                continue
            chk = g[g["checked"]]
            low = chk.loc[chk["service_level"].idxmin()] if chk["service_level"].notna().any() else None
            busy = on["occupancy"].dropna()
            t.add_row(p, str(g["weekday"].iloc[0]), f"{on['time'].iloc[0]}-{_end(on['slot'].iloc[-1], sc)}",
                      str(int(on["agents"].max())), f"{on['agents'].sum() * sc.horizon.interval_minutes / 60:,.1f}",
                      f"{int(chk['met'].sum())}/{len(chk)}",
                      "-" if low is None else f"{low['service_level']:.0%} ({low['target']:.0%}) {low['time']}",
                      "-" if busy.empty else f"{busy.mean():.0%}")
        out.print(t)
        out.print(f"paid staff cost over the horizon (agent-hours / (1 - shrinkage) x hourly cost): Erlang start "
                  f"{res.cost['erlang']:,.0f}, plan {res.cost['plan']:,.0f} {sc.currency}")
        for note in res.notes:
            out.print(f"note: {note}")
        out.print(f"results: {folder} (plan.csv, staffing.csv, staffing.json, scenario.staffed.yaml)")


def _end(slot: int, sc) -> str:
    """End clock time of interval ``slot`` of the day (the plan's numeric column: no clock text is parsed)."""
    t = (int(slot) + 1) * sc.horizon.interval_minutes
    return f"{t // 60:02d}:{t % 60:02d}"
