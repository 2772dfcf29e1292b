"""Hostile but plausible input: valid-looking files, command-line mistakes and faults (issues 12 and 17).

Every case ends in a clean refusal (exit code 2, a short message naming the argument, path or field, no
traceback) or in a correct result; nothing half-written is left looking finished.
"""

from __future__ import annotations

import errno
import json
import re
import sys
import time
from pathlib import Path

import pytest
import yaml

from contactsim import io
from contactsim.cli import main
from contactsim.errors import ContactsimError, ScenarioError, SweepError
from contactsim.resources import estimate
from contactsim.scenario.load import load_scenario, parse_scenario, read_yaml
from contactsim.scenario.rules import expected_needs
from contactsim.sweep import point_file, run_sweep

ROOT = Path(__file__).parents[2]
BANK = ROOT / "scenarios" / "retail_bank.yaml"
MMC = ROOT / "scenarios" / "call_centre_mmc.yaml"
SWEEP = ROOT / "scenarios" / "sweeps" / "agents_vs_patience.yaml"
BASE = yaml.safe_load((Path(__file__).parent / "base.yaml").read_text())


def _tiny(tmp: Path, **horizon: float) -> Path:
    """call_centre_mmc over two hours: a run takes a fraction of a second."""
    data = yaml.safe_load(MMC.read_text())
    data["horizon"].update({"steady_state_hours": 2.0, "warmup_hours": 1.0, **horizon})
    data["run"]["replications"] = 2
    f = tmp / "tiny.yaml"
    f.write_text(yaml.safe_dump(data))
    return f


def _one_line_error(capsys: pytest.CaptureFixture[str], rc: int) -> str:
    captured = capsys.readouterr()
    text = (captured.err + captured.out).strip()
    assert rc == 2, text
    assert "Traceback" not in text
    assert len(text.splitlines()) == 1, text
    return text


# --- issue 12: steering to a channel without a pool ------------------------------------------------------
def test_steering_to_a_channel_without_pool_validates() -> None:
    """The fuzz example that crashed the engine: every reason steered to the card line. The funnel now leaves
    reasons the offered channels cannot serve on their own channel (tests/unit/test_customers_and_modes.py
    runs it); validation accepts the rule."""
    sc = load_scenario(BANK, {"policies.steering": [{"offered_channels": ["card_line"]}]})
    assert sc.policies.steering[0].offered_channels == ["card_line"]


# --- issue 12: hostile values ------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "value"), [
    ("pools.agents.staffing", True), ("segments.retail.share", True), ("run.replications", False),
    ("arrivals.weekly", [True, 0, 0, 0, 0, 0, 0]), ("pools.agents.staffing", [True] * 24),
])
def test_true_false_is_not_a_number(path: str, value: object) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    node = data
    *head, last = path.split(".")
    for k in head:
        node = node.setdefault(k, {})
    node[last] = value
    with pytest.raises(ScenarioError) as e:
        parse_scenario(data, "f.yaml")
    assert any(i.path.startswith(path) and "true/false" in i.message for i in e.value.issues), e.value


def test_huge_segment_mix_is_refused_and_counted_in_the_volume_guard() -> None:
    with pytest.raises(ScenarioError, match=r"segment_mix\.retail"):
        load_scenario(MMC.parent / "retail_bank.yaml", {"reasons.payment_question.segment_mix": {"retail": 1e308}})
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["segments"]["retail"] = {**data["segments"]["retail"], "customers": 1000}
    del data["segments"]["retail"]["share"]
    data["reasons"]["question"] = {**data["reasons"]["question"], "per_customer_per_year": 3.65,
                                   "segment_mix": {"retail": 1000}}
    del data["reasons"]["question"]["volume_per_day"]
    sc = parse_scenario(data)
    assert expected_needs(sc) == pytest.approx(1000 * 1000 * 3.65 / 365 * sc.horizon.days)


def test_sweep_whose_base_is_missing_names_sweep_file_field_and_path(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(yaml.safe_dump({"name": "s", "base": "nowhere/base.yaml", "factors": {"name": ["a", "b"]}}))
    with pytest.raises(SweepError) as e:
        run_sweep(f, tmp_path / "out", backend="serial")
    text = str(e.value)
    assert text.startswith(f"{f}: invalid sweep")
    assert e.value.issues[0].path == "base" and str(tmp_path / "nowhere" / "base.yaml") in text
    assert not (tmp_path / "out").exists()


# --- issue 17: error output stays readable -------------------------------------------------------------
def test_a_million_item_list_is_refused_by_length_quickly(tmp_path: Path) -> None:
    f = tmp_path / "big.yaml"
    f.write_text(yaml.safe_dump(BASE).replace("intraday:\n", "intraday: [" + "1," * 1_000_000 + "1]\n  old:\n", 1))
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="more than 100,000 items"):
        read_yaml(f)
    assert time.perf_counter() - t0 < 10


def test_errors_are_capped_per_field_and_overall() -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["arrivals"]["intraday"] = ["x"] * 24  # 24 problems in one field
    with pytest.raises(ScenarioError) as e:
        parse_scenario(data, "f.yaml")
    assert sum(re.search(r"arrivals\.intraday\[\d+\]", i.path) is not None for i in e.value.issues) == 5
    assert "... and 19 more problems like these" in str(e.value)
    data = yaml.safe_load(yaml.safe_dump(BASE))
    for k in range(80):  # 80 pools, each with a problem of its own
        data["pools"][f"p{k}"] = {"channels": [f"nochannel{k}"], "staffing": 1}
    with pytest.raises(ScenarioError) as e:
        parse_scenario(data, "f.yaml")
    text = str(e.value)
    assert len(e.value.issues) >= 80
    assert "more problems (fix these first)" in text
    assert len(text.splitlines()) < 110


# --- issue 17 / 15: command-line mistakes ---------------------------------------------------------------
@pytest.mark.parametrize(("args", "needle"), [
    (["run", str(MMC), "--set", "name=!!python/object/apply:os.system [echo]"], "--set name"),
    (["run", str(MMC), "--set", "name=[unclosed"], "--set name"),
    (["run", str(MMC), "--until", "service_level=abc"], "--until service_level"),
    (["schema", "--out", "/proc/contactsim-x.json"], "/proc/contactsim-x.json"),
    (["run", str(MMC), "--out", "/proc/contactsim-x"], "/proc"),
    (["compare", str(MMC), str(MMC), "--out", "/proc/contactsim-x"], "/proc"),
    (["staff", str(MMC), "--out", "/proc/contactsim-x"], "/proc"),
    (["run", str(SWEEP)], "sweep file"),
    (["compare", str(MMC), str(SWEEP)], f"{SWEEP}: this is a sweep file"),
    (["staff", str(SWEEP)], f"not a scenario; run it with: contactsim sweep {SWEEP}"),
])
def test_command_line_mistakes_give_one_line(args: list[str], needle: str, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import contactsim.staffing  # noqa: F401 - loaded so that it can be patched

    def never(*a: object, **k: object) -> None:
        raise AssertionError("simulated before checking the destination")

    for mod, name in (("contactsim.experiment", "simulate"), ("contactsim.compare", "compare"),
                      ("contactsim.staffing", "optimise_staffing")):
        monkeypatch.setattr(sys.modules[mod], name, never)
    text = _one_line_error(capsys, main(args))
    assert needle in text


def test_unknown_backend_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["run", str(MMC), "--backend", "foo"])
    captured = capsys.readouterr()
    assert rc == 2 and "--backend" in captured.err and "Traceback" not in captured.err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("contactsim ")


def test_validate_recognises_a_sweep_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(SWEEP)]) == 0
    assert "valid sweep file 'agents_vs_patience' (9 points" in capsys.readouterr().out


def test_a_sweep_file_given_to_the_python_api_is_a_scenario_error() -> None:
    """The loader is the one place that recognises a sweep file; the API keeps the scenario-error layout."""
    with pytest.raises(ScenarioError) as e:
        load_scenario(SWEEP)
    assert str(e.value).splitlines() == [
        f"{SWEEP}: invalid scenario (1 problem)",
        "  - <file>: this is a sweep file (it has 'base' and 'factors'), not a scenario",
        f"    fix: run it with: contactsim sweep {SWEEP}"]


@pytest.mark.parametrize("args", [["validate", str(MMC)], ["staff", str(MMC), "--out", "/proc/contactsim-x"]])
def test_a_scenario_file_is_parsed_once(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep-file check is the loader's: the commands no longer read the file a second time for it."""
    import contactsim.scenario.load as load

    parsed: list[str] = []
    real = load.parse_yaml_text

    def counting(text: str, file: str, **kw: object) -> object:
        parsed.append(file)
        return real(text, file, **kw)

    monkeypatch.setattr(load, "parse_yaml_text", counting)
    main(args)
    assert parsed == [str(MMC)]


@pytest.mark.parametrize("kind", ["file", "dangling", "link_to_empty"])
def test_out_that_is_not_a_new_folder_leaves_nothing_behind(kind: str, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _tiny(tmp_path)
    target = tmp_path / "target"
    if kind == "file":
        target.write_text("not a folder")
    elif kind == "dangling":
        target.symlink_to(tmp_path / "missing")
    else:
        (tmp_path / "empty").mkdir()
        target.symlink_to(tmp_path / "empty")
    rc = main(["run", str(scenario), "--out", str(target), "--no-report", "-w", "1"])
    if kind == "link_to_empty":
        assert rc == 0
        assert (tmp_path / "empty" / "manifest.json").exists()
    else:
        assert "--out" in _one_line_error(capsys, rc)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], list(tmp_path.iterdir())


def test_existing_out_is_refused_unless_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = _tiny(tmp_path)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--no-report", "-w", "1"]) == 0
    first = json.loads((out / "manifest.json").read_text())
    capsys.readouterr()
    assert "add --force" in _one_line_error(capsys, main(["run", str(scenario), "--out", str(out), "-w", "1"]))
    assert main(["run", str(scenario), "--out", str(out), "--no-report", "-w", "1", "--seed", "12345",
                 "--force"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seed"] == 12345 != first["seed"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "tiny.yaml"]
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("precious")
    capsys.readouterr()
    text = _one_line_error(capsys, main(["run", str(scenario), "--out", str(tmp_path / "mine"), "--force"]))
    assert "not a contactsim results folder" in text
    assert (tmp_path / "mine" / "notes.txt").read_text() == "precious"


def test_full_disk_while_writing_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An OSError (ENOSPC) half-way through writing: one line, exit 2, no folder left looking complete."""
    real = io.write_csv
    calls = []

    def full(path: Path, df: object) -> None:
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, df)  # type: ignore[arg-type]

    monkeypatch.setattr(io, "write_csv", full)
    rc = main(["run", str(_tiny(tmp_path)), "--results", str(tmp_path / "results"), "--no-report", "-w", "1"])
    assert "No space left on device" in _one_line_error(capsys, rc)
    assert not list((tmp_path / "results").rglob("manifest.json"))
    assert not [p for p in (tmp_path / "results").rglob(".*")]


def test_full_disk_while_writing_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "run"
    assert main(["run", str(_tiny(tmp_path)), "--out", str(out), "--no-report", "-w", "1"]) == 0
    capsys.readouterr()

    def full(path: Path, text: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "write_text", full)
    import contactsim.report.html as html

    monkeypatch.setattr(html.io, "write_text", full)
    assert "No space left" in _one_line_error(capsys, main(["report", str(out)]))
    assert not (out / "report.html").exists()


def _sweep(tmp: Path) -> Path:
    _tiny(tmp)
    f = tmp / "sweep.yaml"
    f.write_text(yaml.safe_dump({"name": "t", "base": "tiny.yaml", "replications": 2,
                                 "factors": {"pools.agents.staffing": [14, 15, 16]}}))
    return f


def test_corrupt_manifest_and_truncated_point_are_recomputed(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    f = _sweep(tmp_path)
    out = tmp_path / "out"
    assert main(["sweep", str(f), "--out", str(out), "--backend", "serial"]) == 0
    before = (out / "sweep_summary.csv").read_text()
    (out / "manifest.json").write_text('{"kind": "sweep", "sweep_sha')
    part = point_file(out, 1)
    part.write_bytes(part.read_bytes()[:100])
    capsys.readouterr()
    assert main(["sweep", str(f), "--out", str(out), "--backend", "serial"]) == 0
    err = capsys.readouterr().err
    assert "manifest.json: unreadable" in err and "point 1 is computed again" in err
    assert (out / "sweep_summary.csv").read_text() == before
    assert json.loads((out / "manifest.json").read_text())["complete"] is True


def test_sweep_out_that_is_a_file_is_refused_before_running(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    f = _sweep(tmp_path)
    (tmp_path / "out").write_text("x")
    assert "--out" in _one_line_error(capsys, main(["sweep", str(f), "--out", str(tmp_path / "out")]))


# --- issue 17: resource estimate ----------------------------------------------------------------------
def _pathological(kind: str) -> dict:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    if kind == "stacked_shifts":  # 1,000 shifts of 100,000 agents: 10^8 agents
        data["pools"]["agents"] = {"channels": ["phone"],
                                   "shifts": [{"start": "08:00", "end": "18:00", "agents": 100_000}] * 1000}
    elif kind == "flapping_staffing":  # 0 <-> 100,000 agents every interval on 20 pools
        data["pools"] = {f"p{k}": {"channels": ["phone"], "staffing": [0, 100_000] * 12} for k in range(20)}
        data["channels"]["phone"]["opening_hours"] = "24/7"
    elif kind == "one_interval_rush":  # 5,000,000 needs in one hour
        data["reasons"]["question"]["volume_per_day"] = 5_000_000
        data["arrivals"]["intraday"] = [0.0] * 9 + [1.0] + [0.0] * 14
    elif kind == "incident":  # 5,000,000 needs in a minute
        data["incidents"] = [{"reason": "question", "start": "10:00", "duration_minutes": 1,
                              "extra_needs": 5_000_000}]
    elif kind == "wide":  # 200 segments x 20 channels x 100 pools over 36 days
        chans = {f"c{j}": {"kind": "chat", "opening_hours": "24/7", "abandonment": False} for j in range(20)}
        data["channels"] = chans
        data["horizon"] = {"days": 36, "interval_minutes": 60}
        data["segments"] = {f"s{i}": {"share": 1 / 200, "channel_preference": {c: 1 / 20 for c in chans}}
                            for i in range(200)}
        data["reasons"]["question"]["handle_time"] = {c: {"dist": "exponential", "mean": 300} for c in chans}
        data["reasons"]["question"]["volume_per_day"] = 100
        data["pools"] = {f"p{k}": {"channels": list(chans), "staffing": 1} for k in range(100)}
    elif kind == "segment_mix":  # per customer per year, blown up by segment_mix
        data["segments"]["retail"] = {k: v for k, v in data["segments"]["retail"].items() if k != "share"}
        data["segments"]["retail"]["customers"] = 1_000_000
        q = data["reasons"]["question"]
        del q["volume_per_day"]
        q.update({"per_customer_per_year": 10, "segment_mix": {"retail": 1000}})
    elif kind == "ten_years":
        data["horizon"] = {"days": 3650, "interval_minutes": 15}
        data["arrivals"]["intraday"] = [x / 4 for x in data["arrivals"]["intraday"] for _ in range(4)]
        data["run"] = {"interval_kpis": "absolute"}
    return data


@pytest.mark.parametrize("kind", ["stacked_shifts", "flapping_staffing", "one_interval_rush", "incident", "wide",
                                  "segment_mix", "ten_years"])
def test_pathological_scenarios_are_refused_up_front(kind: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / f"{kind}.yaml"
    f.write_text(yaml.safe_dump(_pathological(kind)))
    t0 = time.perf_counter()
    try:
        sc = load_scenario(f)
    except ContactsimError as e:  # the validator's own volume guard may refuse it first
        assert "needs per replication" in str(e) or "routing combinations" in str(e), e
        return
    rc = main(["run", str(f), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err, err
    assert "estimated" in err and "over the limit" in err and ("--max-memory-gb" in err or "--max-cpu-hours" in err)
    assert time.perf_counter() - t0 < 30
    assert estimate(sc).memory_bytes > 8e9 or estimate(sc).cpu_seconds > 3600


def test_limits_can_be_raised_explicitly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import contactsim.experiment

    f = tmp_path / "rush.yaml"
    f.write_text(yaml.safe_dump(_pathological("one_interval_rush")))

    def stop(*a: object, **k: object) -> None:
        raise ContactsimError("stopped", [], kind="test")

    monkeypatch.setattr(contactsim.experiment, "simulate", stop)
    assert main(["run", str(f), "--out", str(tmp_path / "o"), "--max-memory-gb", "1000", "--max-cpu-hours",
                 "1000"]) == 2
    assert "stopped" in capsys.readouterr().err  # got past the estimate to the simulation


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_bundled_scenarios_are_well_within_the_limits(path: Path) -> None:
    est = estimate(load_scenario(path))
    assert est.memory_bytes < 2e9 and est.cpu_seconds < 1800, est

def test_sweep_and_staff_check_the_estimate_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "rush.yaml"
    f.write_text(yaml.safe_dump(_pathological("one_interval_rush")))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"name": "s", "base": "rush.yaml",
                                                     "factors": {"name": ["a", "b"]}}))
    assert main(["sweep", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "o"), "--backend", "serial"]) == 2
    assert "over the limit" in capsys.readouterr().err
    assert not (tmp_path / "o" / "points").exists()
    assert main(["staff", str(f), "--out", str(tmp_path / "st")]) == 2
    assert "over the limit" in capsys.readouterr().err


def test_full_disk_during_a_sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    f = _sweep(tmp_path)

    def full(path: Path, df: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(io, "write_parquet", full)
    rc = main(["sweep", str(f), "--out", str(tmp_path / "out"), "--backend", "serial"])
    assert "No space left on device" in _one_line_error(capsys, rc)
    assert not list((tmp_path / "out").rglob("*.parquet"))


def test_every_schema_field_has_a_description() -> None:
    """Editors show the JSON Schema's descriptions as help: every field of a scenario file has one."""
    from contactsim.scenario.schema import Scenario

    missing = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                if not prop.get("description"):
                    missing.append(f"{path}.{name}")
            for k, v in node.items():
                walk(v, f"{path}.{k}" if k != "properties" else path)
        elif isinstance(node, list):
            for v in node:
                walk(v, path)

    walk(Scenario.model_json_schema(), "")
    assert missing == []


def test_account_manager_pool_with_per_weekday_staffing_is_checked_not_a_traceback() -> None:
    """The advisor-count check read only a number or a list; per-weekday staffing (``{mon-fri: …}``) raised a
    TypeError from inside validation."""
    from contactsim.errors import ContactsimError
    from contactsim.scenario.load import load_scenario

    path = Path(__file__).parents[2] / "scenarios" / "relationship_modes" / "account_manager.yaml"
    enough = {"pools.advisors.shifts": None, "pools.advisors.staffing": {"mon-fri": 40, "sat-sun": 0}}
    assert load_scenario(path, enough).pools["advisors"].staffing == {"mon-fri": 40, "sat-sun": 0}
    with pytest.raises(ContactsimError, match=r"need 40 advisors .* at most 2 agents"):
        load_scenario(path, {"pools.advisors.shifts": None, "pools.advisors.staffing": {"mon-fri": 2, "sat-sun": 0}})
