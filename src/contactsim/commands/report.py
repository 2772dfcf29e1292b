"""``contactsim report RESULTS_DIR``: rebuild the HTML report of a run or comparison folder from its files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def report(
        results_dir: Annotated[
            Path, typer.Argument(help="A run folder or a comparison folder (has manifest.json)")
        ],
        images: Annotated[
            bool,
            typer.Option(
                "--images",
                help="Also write figures/*.png and *.svg (needs Chromium: apt-get install chromium)",
            ),
        ] = False,
        out_file: Annotated[
            Path | None, typer.Option("--out", help="Write the HTML here instead of RESULTS_DIR/report.html")
        ] = None,
    ) -> None:
        """Rebuild report.html (and with --images the PNG/SVG figures) from the results on disk."""
        import time

        from contactsim import io
        from contactsim.console import err, out
        from contactsim.report.html import write_report

        if out_file is not None:
            if out_file.is_dir():
                raise typer.BadParameter(f"{out_file} is a folder; give a file name such as report.html",
                                         param_hint="--out")
            io.check_writable_dir(out_file.parent, "report", "--out")
        t0 = time.perf_counter()
        with err.status("building the report" + (" and drawing every figure as PNG and SVG" if images else "")):
            path = write_report(results_dir, images=images, out=out_file)
        size = path.stat().st_size / 1e6
        err.print(
            f"built in {time.perf_counter() - t0:.1f} s ({size:.1f} MB)"
            + (f"; images in {results_dir / 'figures'}" if images else "")
        )
        out.print(f"report: {path}")
