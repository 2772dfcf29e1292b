"""``contactsim sweep SWEEP.yaml``: a parameter study, resumable, on processes or a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def sweep(
        sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file")],
        out_dir: Annotated[Path | None, typer.Option(
            "--out", help="Output folder (default: the file's 'out', else results/sweeps/NAME)")] = None,
        backend: Annotated[Literal["process", "serial", "dask"], typer.Option(
            help="process (local, all cores) | serial | dask")] = "process",
        scheduler: Annotated[str | None, typer.Option(
            help="Dask scheduler address, e.g. tcp://host:8786 (default: a LocalCluster)")] = None,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Workers (0 = all cores)")] = 0,
        max_memory_gb: Annotated[float | None, typer.Option(
            "--max-memory-gb", min=0.1, help="Raise the per-process memory limit of the up-front estimate")] = None,
        max_cpu_hours: Annotated[float | None, typer.Option(
            "--max-cpu-hours", min=0.001, help="Raise the CPU-time limit of the up-front estimate")] = None,
    ) -> None:
        """Run a sweep; run the same command again to resume: finished points are kept, only missing ones run."""
        from contactsim.console import err, out, progress_bar
        from contactsim.sweep import run_sweep

        start: list[int] = []
        with progress_bar() as prog:
            task = prog.add_task(f"sweep {sweep_file.name} (runs)", total=None)

            def tick(done: int, total: int) -> None:
                if not start:  # runs finished before this invocation must not count towards the ETA's speed
                    start.append(done)
                    prog.reset(task, total=total, completed=done)
                else:
                    prog.update(task, completed=done, total=total)

            notes: list[str] = []
            try:
                folder = run_sweep(sweep_file, out_dir, backend=backend, workers=workers or None,
                                   scheduler=scheduler, progress=tick, notes=notes, max_memory_gb=max_memory_gb,
                                   max_cpu_hours=max_cpu_hours)
            except KeyboardInterrupt:
                done = prog.tasks[0].completed if prog.tasks else 0
                err.print(f"interrupted after {done:.0f} runs: every finished point is kept; run the same command "
                          "again to compute only the missing ones")
                raise
        for note in notes:
            err.print(f"note: {note}", markup=False, highlight=False)
        if start and start[0]:
            out.print(f"resumed: {start[0]} runs were already done and kept")
        print_sweep_table(folder)
        out.print(f"results: {folder} (points/point=*/part.parquet, sweep_summary.csv, manifest.json)")


def print_sweep_table(folder) -> None:
    """The sweep's headline KPIs per point (all segments and channels): mean ± 95% CI half-width."""
    from pathlib import Path

    import pandas as pd
    from rich.table import Table

    from contactsim.console import out

    path = Path(folder) / "sweep_summary.csv"
    if not path.exists():
        return
    s = pd.read_csv(path)
    keys = ["segment", "channel", "pool", "interval", "metric", "mean", "ci_low", "ci_high", "n"]
    factors = [c for c in s.columns if c not in keys and c != "point"]
    top = s[(s["segment"] == "all") & (s["channel"] == "all") & (s["pool"] == "all") & (s["interval"] == "all")]
    shown = [("service_level", "SL", "{:.1%}"), ("abandon_rate", "aband.", "{:.1%}"),
             ("mean_wait_s", "mean wait s", "{:.1f}"), ("cost", "cost", "{:,.0f}")]
    shown = [m for m in shown if m[0] in set(top["metric"])]
    t = Table(title=f"{path.parent.name}: KPIs per point (all segments and channels; mean ± 95% CI)")
    for c in ["point", *factors]:
        t.add_column(c.split(".")[-2] + "." + c.split(".")[-1] if c.count(".") > 1 else c, justify="right")
    for _m, label, _f in shown:
        t.add_column(label, justify="right")
    for point, g in top.groupby("point"):
        row = g.set_index("metric")
        cells = [str(point), *(str(g[f].iloc[0]) for f in factors)]
        for m, _label, fmt in shown:
            r = row.loc[m]
            half = (r["ci_high"] - r["ci_low"]) / 2
            cells.append(fmt.format(r["mean"]) + ("" if half != half else " ±" + fmt.format(half)))
        t.add_row(*cells)
    out.print(t)
