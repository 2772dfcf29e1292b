"""A scenario file can only describe a scenario: no code, no alias bombs, no paths outside the results."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from contactsim.cli import main
from contactsim.errors import ScenarioError
from contactsim.experiment import simulate
from contactsim.results import write_run
from contactsim.scenario.load import load_scenario, parse_scenario

HERE = Path(__file__).parent


def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.yaml"
    f.write_text(f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert "not valid YAML" in str(e.value)
    assert not marker.exists()


def test_yaml_bomb_is_refused_quickly() -> None:
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as e:
        load_scenario(HERE / "bad" / "yaml_bomb.yaml")
    assert "alias bomb" in str(e.value)
    assert time.perf_counter() - start < 1.0


def test_names_cannot_escape_the_results_folder(tmp_path: Path) -> None:
    data = yaml.safe_load((HERE / "base.yaml").read_text())
    for bad in ("../../etc", "/tmp/x", "a/b", "..", ".hidden/../../x"):
        with pytest.raises(ScenarioError):
            parse_scenario({**data, "name": bad})
    # even a Scenario built around validation cannot place files outside the chosen root
    sc = parse_scenario(data)
    hostile = sc.model_copy(update={"name": "../../../outside"})
    res = simulate(sc, replications=1)
    res.scenario = hostile
    root = tmp_path / "results"
    folder = write_run(res, results_root=root)
    assert folder.resolve().is_relative_to(root.resolve())
    assert not (tmp_path / "outside").exists() and not (tmp_path.parent / "outside").exists()


def test_script_in_names_and_descriptions_renders_as_text(tmp_path: Path) -> None:
    html = pytest.importorskip("contactsim.report.html")
    data = yaml.safe_load((HERE / "base.yaml").read_text())
    data["description"] = "<script>window.pwned = 1</script> & <b>bold</b>"
    data["segments"] = {"vip": data["segments"]["retail"]}
    sc = parse_scenario(data)
    folder = write_run(simulate(sc, replications=2), results_root=tmp_path)
    text = html.write_run_report(folder).read_text()
    assert "<script>window.pwned" not in text
    assert "&lt;script&gt;window.pwned" in text


def test_cli_gives_exit_code_2_and_no_traceback_for_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no/such/file.yaml"]) == 2
    err = capsys.readouterr().err
    assert "file not found" in err and "Traceback" not in err
