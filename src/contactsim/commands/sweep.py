"""``contactsim sweep SWEEP.yaml``: a parameter study, resumable, on processes or a Dask cluster."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def sweep(
        sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file")],
        out_dir: Annotated[Path | None, typer.Option("--out", help="Output (default results/sweeps/NAME)")] = None,
        backend: Annotated[str, typer.Option(help="process | serial | dask")] = "process",
        scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (default: a LocalCluster)")] = None,
        workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Workers (0 = all cores)")] = 0,
    ) -> None:
        """Run a sweep; run it again to resume: finished points are kept, only missing ones are computed."""
        from contactsim.cli import _progress, out
        from contactsim.sweep import run_sweep

        with _progress() as prog:
            task = prog.add_task(f"sweep {sweep_file.name}", total=None)

            def tick(done: int, total: int) -> None:
                prog.update(task, completed=done, total=total)

            folder = run_sweep(sweep_file, out_dir, backend=backend, workers=workers or None, scheduler=scheduler,
                               progress=tick)
        out.print(f"results: {folder} (points/point=*/part.parquet, sweep_summary.csv, manifest.json)")
