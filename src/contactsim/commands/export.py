"""``contactsim export RESULTS_DIR``: an Excel workbook and a wide per-interval CSV of a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def export(
        folder: Annotated[Path, typer.Argument(help="A run folder (results/NAME/RUN-ID)")],
        excel: Annotated[bool, typer.Option("--excel/--no-excel", help="Write contactsim.xlsx")] = True,
        csv: Annotated[bool, typer.Option("--csv/--no-csv", help="Write intervals_wide.csv")] = True,
    ) -> None:
        """Write contactsim.xlsx (summary, intervals, staffing, ACD KPIs) and intervals_wide.csv (one row per
        interval x channel x segment with day, weekday, start and end columns and each pool's agents)."""
        from contactsim.console import err, out
        from contactsim.errors import ContactsimError, Issue
        from contactsim.export import write_exports

        if not (folder / "manifest.json").exists() or not (folder / "summary.csv").exists():
            raise ContactsimError(str(folder), [Issue("<folder>", "not a complete run folder", str(folder),
                                                      "give a folder that `contactsim run` wrote")], kind="option")
        with err.status("writing exports"):
            files = write_exports(folder, excel=excel, csv=csv)
        for f in files:
            out.print(f"wrote {f}")
