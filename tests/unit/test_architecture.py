"""The module dependency diagram of the README, enforced: dependencies point one way.

Each module may import only the contactsim modules listed for it (by top-level name). Only the kernel
adapter imports simpy and only the report package imports plotly.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import contactsim

SRC = Path(contactsim.__file__).parent

ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "scenario": {"errors", "scenario"},
    "rng": set(),
    "distributions": set(),
    "erlang": set(),
    "stats": set(),
    "satisfaction": {"scenario"},
    "io": {"errors"},
    "arrivals": {"rng", "scenario"},
    "customers": {"arrivals", "rng", "scenario"},
    "funnel": {"arrivals", "customers", "scenario"},
    "contact": set(),
    "kernel": set(),
    "policies": {"contact", "policies", "rng", "scenario"},
    "pools": {"contact", "policies", "scenario"},
    "engine": {"arrivals", "contact", "funnel", "kernel", "policies", "pools", "records", "rng", "scenario"},
    "records": {"arrivals", "contact", "costs", "funnel", "satisfaction", "scenario"},
    "metrics": {"scenario", "stats"},
    "costs": {"scenario"},
    "replication": {"arrivals", "costs", "customers", "engine", "funnel", "metrics", "records", "satisfaction",
                    "scenario"},
    "experiment": {"metrics", "replication", "scenario"},
    "fcfs_recursion": {"contact"},
    "fcfs_scenario": {"arrivals", "contact", "customers", "engine", "fcfs_recursion", "metrics", "policies",
                      "records", "replication", "scenario"},
    "resources": {"errors", "scenario"},
    "sequential": {"experiment", "metrics", "scenario", "stats", "errors"},
    "kpis": {"metrics", "scenario"},
    "export": {"io", "metrics", "results"},
    "results": {"experiment", "io", "kpis", "metrics", "scenario"},
    "compare": {"experiment", "io", "metrics", "results", "scenario", "stats"},
    "sweep": {"errors", "experiment", "io", "metrics", "replication", "resources", "results", "scenario", "stats",
              "rng"},
    "staffing": {"arrivals", "erlang", "errors", "experiment", "io", "metrics", "results", "scenario", "stats",
                 "funnel", "fcfs_scenario"},
    "report": {"errors", "io", "results", "scenario", "stats", "report", "metrics"},
    "calibration": {"errors", "scenario", "erlang", "experiment", "io", "report", "calibration"},
    "console": {"errors", "scenario"},
    "commands": {"console", "compare", "errors", "experiment", "export", "io", "report", "resources", "results",
                 "scenario", "sequential", "staffing", "sweep", "commands", "calibration"},
    "cli": {"commands", "console", "compare", "errors", "experiment", "io", "kpis", "metrics", "report", "resources",
            "results", "scenario", "sequential", "sweep"},
    "__init__": {"compare", "errors", "experiment", "scenario", "calibration"},
}
# scenario.compiled builds samplers, so the scenario package may use distributions too
ALLOWED["scenario"] |= {"distributions"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
            if node.module == "contactsim":
                out |= {f"contactsim.{a.name}" for a in node.names}
    return out


def _owner(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def test_dependencies_point_one_way() -> None:
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        owner = _owner(path)
        assert owner in ALLOWED, f"{path.relative_to(SRC)}: add the new module to ALLOWED (and the README diagram)"
        for mod in _imports(path):
            if mod.startswith("contactsim."):
                target = mod.split(".")[1]
                if target != owner and target not in ALLOWED[owner]:
                    problems.append(f"{path.relative_to(SRC)} imports contactsim.{target}")
            top = mod.split(".")[0]
            if top == "simpy" and owner != "kernel":
                problems.append(f"{path.relative_to(SRC)} imports simpy (only kernel.py, the adapter, may)")
            if top == "plotly" and owner not in ("report",):
                problems.append(f"{path.relative_to(SRC)} imports plotly (only report/ may)")
    assert problems == []


def test_committed_json_schema_is_current() -> None:
    from contactsim.scenario.schema import Scenario

    committed = json.loads((Path(__file__).parents[2] / "scenarios" / "scenario.schema.json").read_text())
    assert committed == Scenario.model_json_schema(), "run: contactsim schema --out scenarios/scenario.schema.json"


KNOWN_CYCLES: set[frozenset[str]] = set()
"""Import cycles not yet untangled: none (the console helpers the commands share with cli live in console.py)."""


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def test_no_import_cycles() -> None:
    """Between contactsim's modules (imports inside functions included) there is no cycle, so every
    module can be understood and tested from the ones below it."""
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = {resolve(m) for m in _imports(path) if m.startswith("contactsim")}
        graph[name] = {d for d in deps if d and d != name and not name.startswith(d + ".")}
    # a package's __init__ re-exporting its submodules is not a cycle with them
    for name in graph:
        graph[name] = {d for d in graph[name] if not d.startswith(name + ".")}
    cycles = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()

    def strong(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(comp)

    for v in sorted(graph):
        if v not in index:
            strong(v)
    tops = [frozenset(".".join(m.split(".")[:2]) for m in comp) for comp in cycles]
    unknown = [sorted(c) for c, t in zip(cycles, tops, strict=True) if t not in KNOWN_CYCLES]
    assert unknown == [], f"import cycles: {unknown}"


COMPILED_ONLY = ("arrivals", "customers", "funnel", "contact", "kernel", "policies", "pools", "engine", "records",
                 "metrics", "costs", "satisfaction", "replication", "kpis", "fcfs_recursion", "fcfs_scenario")
"""Simulation and KPI modules: they read the compiled scenario (scenario/compiled.py, scenario/tables.py), never
the raw one."""
TAKE_A_SCENARIO = ("kpis", "fcfs_scenario")
"""Of those, the ones whose entry points take a whole ``Scenario``: kpis.py (the ACD KPI definitions, in the run
folder's layer) and fcfs_scenario.py (compiles it, then reads only the compiled form)."""


def test_simulation_and_kpi_modules_never_read_the_raw_scenario() -> None:
    """Compilation is total (issue 14): ``Compiled`` carries no raw scenario, and no simulation or KPI module
    reaches for one (``x.scenario``) or takes a whole ``Scenario`` (but ``TAKE_A_SCENARIO``)."""
    from dataclasses import fields

    from contactsim.scenario.compiled import Compiled

    assert "scenario" not in {f.name for f in fields(Compiled)}
    problems = []
    for path in sorted(SRC.rglob("*.py")):
        if _owner(path) not in COMPILED_ONLY:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("scenario", "sc"):
                problems.append(f"{path.relative_to(SRC)}:{node.lineno} reads .{node.attr}")
            if (isinstance(node, ast.ImportFrom) and _owner(path) not in TAKE_A_SCENARIO
                    and any(a.name == "Scenario" for a in node.names)):
                problems.append(f"{path.relative_to(SRC)}:{node.lineno} imports Scenario")
    assert problems == []
