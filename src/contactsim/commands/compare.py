"""``contactsim compare A.yaml B.yaml ...``: the same customers under several scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def compare(
        scenarios: Annotated[list[Path], typer.Argument(help="Scenario files; the first is the baseline")],
        out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder")] = None,
        replications: Annotated[int | None, typer.Option("--replications", "-n", min=2)] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0)] = None,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = all cores)")] = 0,
        records: Annotated[bool, typer.Option("--records/--no-records")] = True,
        report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html")] = True,
        images: Annotated[bool, typer.Option("--images", help="Also write PNG and SVG of every figure")] = False,
        results_root: Annotated[Path, typer.Option("--results")] = Path("results"),
        force: Annotated[bool, typer.Option(
            "--force", help="Replace an existing --out folder written by contactsim (refused otherwise)")] = False,
        max_memory_gb: Annotated[float | None, typer.Option(
            "--max-memory-gb", min=0.1, help="Raise the memory limit of the up-front estimate")] = None,
        max_cpu_hours: Annotated[float | None, typer.Option(
            "--max-cpu-hours", min=0.001, help="Raise the CPU-time limit of the up-front estimate")] = None,
    ) -> None:
        """Run scenarios on the same customers (common random numbers) and report paired differences."""
        from contactsim.compare import compare as run_compare
        from contactsim.compare import write_comparison
        from contactsim.console import err, out, print_differences, progress_bar
        from contactsim.scenario.load import load_scenario

        if len(scenarios) < 2:
            raise typer.BadParameter("give at least two scenario files")
        from contactsim import io, resources
        scs = [load_scenario(p) for p in scenarios]
        if out_dir is not None:
            out_dir = io.check_new_dir(out_dir, force)
        else:
            io.check_writable_dir(results_root, "results folder", "--results")
        for p, sc in zip(scenarios, scs, strict=True):
            resources.check(sc, replications=replications, keep_records=records, max_memory_gb=max_memory_gb,
                            max_cpu_hours=max_cpu_hours, source=str(p))
        with progress_bar() as prog:
            tasks: dict[str, int] = {}

            def tick(name: str, done: int, total: int) -> None:
                if name not in tasks:
                    tasks[name] = prog.add_task(f"simulating {name}", total=total)
                prog.update(tasks[name], completed=done)

            cmp = run_compare(scs, seed=seed, replications=replications, workers=workers or None, keep_records=records,
                              progress=tick)
        folder = write_comparison(cmp, out_dir, results_root, replace=force)
        if report:
            from contactsim.report.html import write_comparison_report

            write_comparison_report(folder, images=images)
        live = [n for n, ch in scs[0].channels.items() if ch.kind in ("phone", "chat") and ch.abandonment]
        print_differences(cmp.differences, live[0] if live else None, scs[0].currency)
        err.print(f"seed {cmp.runs[0].seed}, {cmp.runs[0].replications} replications per scenario")
        out.print(f"results: {folder}")
