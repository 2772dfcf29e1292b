"""The ``contactsim`` command line: a thin layer over the Python API.

User errors (bad scenario files, bad options) print one readable message and exit with code 2;
nothing here computes anything itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer
import yaml
from rich.table import Table

from contactsim.console import err, fmt_wait, out, progress_bar
from contactsim.console import fmt_number as _fmt
from contactsim.errors import ContactsimError, Issue, NotAScenarioError
from contactsim.resources import DEFAULT_CPU_HOURS, DEFAULT_MEMORY_GB
from contactsim.scenario.load import load_scenario
from contactsim.scenario.schema import Scenario

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Simulate differentiated contact-centre service: segments, channels, the funnel, policies.")

HEADLINE = [("offered", "offered", "{:,.0f}"), ("service_level", "SL", "{:.1%}"), ("asa_s", "ASA", "wait"),
            ("abandon_rate", "aband.", "{:.1%}"), ("wait_p90_s", "p90 wait", "wait"),
            ("aht_s", "AHT s", "{:.0f}"), ("csat", "CSAT", "{:.2f}")]
"""Columns of the console summary; "wait" columns are shown in seconds for live channels and in hours for
deferred ones (e-mail, webcare)."""


def parse_sets(values: list[str] | None) -> dict[str, object]:
    """``--set segments.gold.share=0.3`` -> {"segments.gold.share": 0.3} (values parsed as YAML scalars)."""
    result: dict[str, object] = {}
    for item in values or []:
        if "=" not in item:
            raise ContactsimError("--set", [Issue(item, "expected KEY=VALUE", item,
                                                  "write e.g. --set pools.general.staffing=25")], kind="option")
        k, v = item.split("=", 1)
        try:
            result[k.strip()] = yaml.safe_load(v)
        except yaml.YAMLError as e:
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise ContactsimError("--set", [Issue(k.strip(), f"the value is not a plain YAML value ({problem})",
                                                  _short(v), "write a number, true/false or text; quote text "
                                                  "with special characters, e.g. --set 'name=\"a [b]\"'")],
                                  kind="option") from None
    return result


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def parse_until(values: list[str]) -> dict[str, float]:
    """``--until service_level=0.01`` -> {"service_level": 0.01}; anything but a number is a clear error."""
    targets: dict[str, float] = {}
    for k, v in parse_sets(values).items():
        try:
            targets[k] = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ContactsimError("--until", [Issue(k, "the half-width must be a number", v,
                                                    "e.g. --until service_level=0.01")], kind="option") from None
    return targets


def print_summary(summary, title: str, scenario: Scenario | None = None, kpis=None) -> None:
    """The headline table per segment and channel, the pools, and the business case.

    Live channels (phone, chat, messaging, store) and deferred ones (e-mail, webcare) are never averaged
    together: with the scenario and per-replication KPIs at hand, the 'all channels' rows become one
    'all live' and one 'all deferred' row per segment; deferred waits are shown in hours.
    """
    from contactsim.kpis import channel_kinds, kind_rollup
    from contactsim.metrics import summarise

    s = summary[(summary["interval"] == "all") & (summary["pool"] == "all")]
    kinds = channel_kinds(scenario) if scenario is not None else {}
    if scenario is not None and kpis is not None:
        rolled = kind_rollup(kpis, scenario)
        if not rolled.empty:
            rolled = rolled.assign(pool="all", interval="all")
            s = pd.concat([s[s["channel"] != "all"], summarise(rolled, scenario=scenario.name)], ignore_index=True)
    table = Table(title=title, show_lines=False)
    table.add_column("segment")
    table.add_column("channel")
    for _, label, _ in HEADLINE:
        table.add_column(label, justify="right")
    keys = s[["segment", "channel"]].drop_duplicates().itertuples(index=False)
    for seg, ch in sorted(keys, key=lambda k: (k[0] == "all", k[0], str(k[1]).startswith("all"), k[1])):
        row = s[(s["segment"] == seg) & (s["channel"] == ch)].set_index("metric")
        deferred = ch == "all deferred" or kinds.get(str(ch)) == "deferred"
        cells = []
        for metric, _, fmt in HEADLINE:
            if metric not in row.index:
                cells.append("-")
                continue
            r = row.loc[metric]
            text = fmt_wait(r["mean"], deferred) if fmt == "wait" else _fmt(fmt, r["mean"])
            if metric in ("service_level", "asa_s", "abandon_rate") and r["n"] > 1 and r["ci_high"] == r["ci_high"]:
                def show(v: float, fmt: str = fmt, deferred: bool = deferred) -> str:
                    return fmt_wait(v, deferred) if fmt == "wait" else _fmt(fmt, v)
                up, down = r["ci_high"] - r["mean"], r["mean"] - r["ci_low"]
                if abs(up - down) > 1e-9 * max(1.0, abs(r["mean"])):  # clipped at a bound (SL near 100%)
                    text += f" ({show(r['ci_low'])}-{show(r['ci_high'])})"
                else:
                    text += " ±" + show(up)
            cells.append(text)
        table.add_row(str(seg), str(ch), *cells)
    out.print(table)
    if kinds and "all deferred" in set(s["channel"]):
        out.print("live (phone, chat, messaging, store) and deferred channels (e-mail, webcare) are summed "
                  "separately; deferred waits in hours")
    _print_pools(summary)
    if scenario is not None:
        print_business_case(summary, scenario)


def _print_pools(summary) -> None:
    pools = summary[(summary["pool"] != "all") & (summary["interval"] == "all")].set_index(["pool", "metric"])
    if pools.empty:
        return
    per = summary[(summary["pool"] != "all") & (summary["interval"] != "all") & (summary["metric"] == "agents")]
    pt = Table(title="pools")
    for c in ("pool", "occupancy", "agents on duty (mean while staffed)", "peak", "paid hours", "staff cost"):
        pt.add_column(c, justify="right" if c != "pool" else "left")
    for p in sorted({k[0] for k in pools.index}):
        g = lambda m, p=p: pools.loc[(p, m), "mean"] if (p, m) in pools.index else float("nan")  # noqa: E731
        a = per.loc[per["pool"] == p, "mean"]
        on = a[a > 1e-9]
        pt.add_row(p, _fmt("{:.1%}", g("occupancy")), _fmt("{:.1f}", float(on.mean()) if len(on) else float("nan")),
                   _fmt("{:.0f}", float(a.max()) if len(a) else float("nan")),
                   _fmt("{:,.0f}", g("paid_hours")), _fmt("{:,.0f}", g("staff_cost")))
    out.print(pt)


def print_business_case(summary, scenario: Scenario) -> None:
    """Revenue, cost, net cost and the premium promise, where the scenario has them."""
    top = summary[(summary["segment"] == "all") & (summary["channel"] == "all") & (summary["pool"] == "all")
                  & (summary["interval"] == "all")].set_index("metric")

    def mean(m: str) -> float:
        return float(top.loc[m, "mean"]) if m in top.index else float("nan")

    cur = scenario.currency
    revenue, cost, net = mean("revenue"), mean("cost"), mean("net_cost")
    parts = []
    if revenue == revenue and revenue > 0:
        parts.append(f"revenue {cur} {revenue:,.0f}")
    if cost == cost:
        parts.append(f"cost {cur} {cost:,.0f}")
    if revenue == revenue and revenue > 0 and net == net:
        parts.append(f"net cost {cur} {net:,.0f}")
    prem = scenario.policies.premium
    if prem is not None and prem.promise is not None and "promise_level" in top.index:
        chans = ", ".join(prem.promise_channels) if prem.promise_channels else "all channels"
        parts.append(f"promise {prem.promise.share:.0%} within {prem.promise.seconds:g} s on {chans}: "
                     f"{mean('promise_level'):.1%} (target met in {mean('promise_met'):.0%} of replications)")
    if parts:
        h = scenario.horizon
        per = f"per {h.days}-day run" if h.days else "over the measured hours"
        out.print(f"business case ({per}): " + "; ".join(parts))


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Output folder (default results/<name>/<id>)")] = None,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1, max=100_000)] = None,
    seed: Annotated[int | None, typer.Option("--seed", min=0)] = None,
    workers: Annotated[int, typer.Option("--workers", "-w", min=0, help="Worker processes (0 = all cores)")] = 0,
    backend: Annotated[Literal["process", "serial", "dask"], typer.Option(help="process | serial | dask")] = "process",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (dask backend)")] = None,
    sets: Annotated[list[str] | None, typer.Option("--set", help="Override a field: KEY=VALUE (dotted path)")] = None,
    records: Annotated[bool | None, typer.Option("--records/--no-records", help="Write per-contact records")] = None,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Write report.html")] = True,
    results_root: Annotated[Path, typer.Option("--results", help="Root folder for results")] = Path("results"),
    until: Annotated[list[str] | None, typer.Option(
        "--until", help="Add replications until the 95% CI half-width of a KPI is small enough, "
        "e.g. --until service_level=0.01 (repeatable)")] = None,
    max_replications: Annotated[int, typer.Option(min=2, help="Upper limit for --until")] = 200,
    force: Annotated[bool, typer.Option(
        "--force", help="Replace an existing --out folder written by contactsim (refused otherwise)")] = False,
    max_memory_gb: Annotated[float | None, typer.Option(
        "--max-memory-gb", min=0.1, help="Refuse scenarios estimated to need more memory than this "
        f"(default {DEFAULT_MEMORY_GB:g} GB per process)")] = None,
    max_cpu_hours: Annotated[float | None, typer.Option(
        "--max-cpu-hours", min=0.001, help="Refuse scenarios estimated to need more CPU time than this "
        f"(default {DEFAULT_CPU_HOURS:g} h over all replications)")] = None,
) -> None:
    """Simulate a scenario and write KPIs with confidence intervals and per-contact records."""
    from contactsim import io, resources
    from contactsim.experiment import simulate
    from contactsim.results import write_run

    sc = load_scenario(scenario, parse_sets(sets))
    targets = parse_until(until) if until else {}
    if out_dir is not None:
        out_dir = io.check_new_dir(out_dir, force)
    else:
        io.check_writable_dir(results_root, "results folder", "--results")
    n = replications or sc.run.replications
    resources.check(sc, replications=max_replications if until else n, keep_records=records,
                    max_memory_gb=max_memory_gb, max_cpu_hours=max_cpu_hours, source=str(scenario))
    if until:
        from contactsim.sequential import simulate_until

        with progress_bar() as prog:
            task = prog.add_task(f"simulating {sc.name} until the CIs are narrow", total=max_replications)

            def tick(done: int, total: int, widths: dict[str, float]) -> None:
                now = ", ".join(f"{m} ±{w:.3g} (want {targets[m]:g})" for m, w in widths.items())
                prog.update(task, completed=done, total=total,
                            description=f"simulating {sc.name}" + (f": {now}" if now else ""))

            res = simulate_until(sc, targets, min_replications=replications or 5, max_replications=max_replications,
                                 workers=workers or None, seed=seed, keep_records=bool(records), progress=tick)
        err.print(f"{res.replications} replications; half-widths "
                  + ", ".join(f"{m} {res.timings[f'half_width_{m}']:.4g}" for m in targets)
                  + ("" if res.timings["converged"] else " (max_replications reached before the targets)"))
    else:
        with progress_bar() as prog:
            task = prog.add_task(f"simulating {sc.name}", total=n)
            res = simulate(sc, replications=n, seed=seed, workers=workers or None, backend=backend,
                           scheduler=scheduler, keep_records=records,
                           progress=lambda done, total: prog.update(task, completed=done))
    with err.status("writing the run folder (tables, records, ACD KPIs)"):
        folder = write_run(res, out_dir, results_root, argv=sys.argv, source=str(scenario), replace=force)
    if report:
        from contactsim.report.html import write_run_report

        with err.status("writing report.html"):
            write_run_report(folder)
    print_summary(res.summary, f"{sc.name}: {res.replications} replications, seed {res.seed} (mean ± 95% CI)",
                  sc, res.kpis)
    rate = res.n_contacts / max(res.timings["simulate_s"], 1e-9)
    err.print(f"{res.n_needs:,} needs, {res.n_contacts:,} contacts in {res.timings['wall_s']:.1f} s "
              f"({rate:,.0f} contacts/s per worker)")
    out.print(f"results: {folder}")


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check")]) -> None:
    """Check scenario files; exit 0 when all are valid, 2 with every problem listed when not."""
    bad = 0
    for f in files:
        try:
            try:
                sc = load_scenario(f)
                out.print(f"{f}: valid scenario '{sc.name}'")
            except NotAScenarioError:
                from contactsim.sweep import load_sweep

                sw = load_sweep(f)
                out.print(f"{f}: valid sweep file '{sw.spec.name}' ({len(sw.points)} points over {sw.base_path.name}; "
                          f"run it with: contactsim sweep {f})")
        except ContactsimError as e:
            err.print(str(e), markup=False, highlight=False)
            bad += 1
    if bad:
        raise typer.Exit(2)


@app.command()
def schema(out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file")] = None) -> None:
    """Print (or write) the JSON Schema of scenario files, for editor autocompletion."""
    from contactsim import io

    text = json.dumps(Scenario.model_json_schema(), indent=2) + "\n"
    if out_path:
        io.write_text(out_path, text)
        out.print(f"wrote {out_path}")
    else:
        sys.stdout.write(text)


def _version(value: bool) -> None:
    if value:
        import importlib.metadata as md

        try:
            version = md.version("contactsim")
        except md.PackageNotFoundError:  # pragma: no cover - a source tree without installation
            version = "0+unknown"
        out.print(f"contactsim {version}")
        raise typer.Exit(0)


@app.callback()
def _main_options(version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit")] = False) -> None:
    """Simulate differentiated contact-centre service: segments, channels, the funnel, policies."""


def _register_commands() -> None:
    """Attach the feature commands (compare, report, sweep, staff) defined in contactsim.commands."""
    import importlib
    import pkgutil

    import contactsim.commands as pkg

    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg.__path__)):
        module = importlib.import_module(f"contactsim.commands.{mod}")
        module.register(app)


_register_commands()


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the app and turns user errors into exit code 2 without a traceback."""
    try:
        rc = app(args=argv, standalone_mode=False)
    except ContactsimError as e:
        if isinstance(e, NotAScenarioError):  # a file mix-up reads like a mistaken argument: one line
            e = ContactsimError(e.file, e.issues, kind="option")
        err.print(str(e), markup=False, highlight=False)
        return 2
    except typer.Exit as e:
        return e.exit_code
    except OSError as e:  # a full disk, a read-only folder, /proc: the environment, not a bug of ours
        where = e.filename or "output"
        err.print(f"error: cannot write {where}: {e.strerror or e}; free space or choose another folder "
                  "(nothing half-written was left looking complete)", markup=False, highlight=False)
        return 2
    except typer.Abort:
        err.print("aborted")
        return 130
    except KeyboardInterrupt:
        err.print("interrupted: finished results already written stay complete; nothing half-written remains")
        return 130
    except Exception as e:
        # usage errors of typer's (vendored) click: they know how to show themselves
        if hasattr(e, "show") and hasattr(e, "exit_code"):
            e.show()
            return int(e.exit_code)
        raise
    if rc == 130:  # typer turns Ctrl-C into exit code 130 without a word
        err.print("interrupted: finished results already written stay complete; nothing half-written remains")
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
