"""A scenario file can only describe a scenario: no code, no alias bombs, no paths outside the results folder,
no markup in the report."""

from __future__ import annotations

import html.parser
import time
from pathlib import Path

import pytest
import yaml
from helpers import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from contactsim import io
from contactsim.cli import main
from contactsim.errors import ScenarioError, SweepError
from contactsim.experiment import RunResult, simulate
from contactsim.results import write_run
from contactsim.scenario.load import MAX_FILE_BYTES, load_scenario, parse_scenario, parse_yaml_text, read_yaml

HERE = Path(__file__).parent
BASE = yaml.safe_load((HERE / "base.yaml").read_text())
HOSTILE_NAMES = ["../../etc", "../../../outside", "/tmp/x", "a/b", "..", ".", ".hidden/../../x", "C:\\evil",
                 "name\x00nul", "", " ", "~", "$HOME", "a" * 300, "<script>alert(1)</script>"]


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system", "!!python/object/new:os.system",
                                 "!!python/name:os.system", "!!python/module:os"])
def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.yaml"
    f.write_text(f"name: {tag} ['touch {marker}']\n" + yaml.safe_dump({k: v for k, v in BASE.items() if k != "name"}))
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert f"YAML tag '{tag}'" in str(e.value) and "not allowed" in str(e.value)
    assert e.value.issues[0].path == "name"
    assert not marker.exists()


@pytest.mark.parametrize("text", ["name: base\nchannels:\n  phone\n!!python/name:os.system :\n    kind: phone\n",
                                  "name: base\n'': 1\n'': 2\n"], ids=["tagged-empty-key", "empty-key-twice"])
def test_an_empty_top_level_key_still_gets_a_path(text: str) -> None:
    """Found by the explore profile (test_fuzz): a tag on an empty top-level key gave an issue with no path."""
    with pytest.raises(ScenarioError) as e:
        parse_yaml_text(text, "<text>")
    assert all(i.path == "<top>" and i.message and i.fix for i in e.value.issues), e.value.issues


def _bomb(levels: int, fanout: int) -> str:
    """A billion-laughs document: each level repeats the previous one ``fanout`` times through aliases."""
    lines = ["name: bomb", "l0: &l0 [" + ", ".join(["lol"] * fanout) + "]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * fanout) + "]")
    lines.append(f"segments: *l{levels - 1}")  # used where the schema would walk (and print) it
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text", [(HERE / "bad" / "yaml_bomb.yaml").read_text(), _bomb(9, 9), _bomb(30, 2)],
                         ids=["corpus", "few-aliases-9^9", "binary-2^30"])
def test_yaml_bombs_are_refused_quickly(tmp_path: Path, text: str) -> None:
    f = tmp_path / "bomb.yaml"
    f.write_text(text)
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as e:
        load_scenario(f)
    assert time.perf_counter() - start < 1.0
    assert "alias bomb" in str(e.value)


def test_anchors_that_expand_modestly_are_fine(tmp_path: Path) -> None:
    data = yaml.safe_dump(BASE).replace("handle_time:\n      phone:", "handle_time:\n      phone: &ht")
    f = tmp_path / "anchors.yaml"
    f.write_text(data + "x_unused: [*ht, *ht]\n")
    with pytest.raises(ScenarioError) as e:  # only the unknown key is wrong: anchors themselves are allowed
        load_scenario(f)
    assert [i.path for i in e.value.issues] == ["x_unused"]


def test_deep_nesting_and_huge_files_are_refused_without_reading_them(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(ScenarioError, match="nested deeper"):
        load_scenario(deep)
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: costs no disk
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="the limit is"):
        load_scenario(huge)
    assert time.perf_counter() - start < 0.5
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(tmp_path)


def test_sweep_files_report_as_sweep_errors(tmp_path: Path) -> None:
    f = tmp_path / "sweep.yaml"
    f.write_text("a: 1\na: 2\n")
    with pytest.raises(SweepError, match="invalid sweep"):
        read_yaml(f, kind="sweep")


def test_scenarios_too_big_to_route_are_refused_quickly() -> None:
    phone = {"dist": "exponential", "mean": 300}
    channels = {f"c{k}": {"kind": "phone", "abandonment": False} for k in range(40)}
    data = {
        "name": "huge", "horizon": {"steady_state_hours": 1}, "channels": channels,
        "segments": {f"s{i}": {"share": 0.01, "channel_preference": {"c0": 1.0}} for i in range(100)},
        "reasons": {f"r{j}": {"volume_per_day": 1, "handle_time": {"c0": phone}} for j in range(100)},
        "pools": {f"p{q}": {"channels": [f"c{q % 40}"], "staffing": 1} for q in range(60)},
    }
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match="routing combinations"):
        parse_scenario(data)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_the_schema_refuses_names_that_are_not_simple(name: str) -> None:
    with pytest.raises(ScenarioError) as e:
        parse_scenario({**BASE, "name": name})
    assert e.value.issues[0].path == "name"


@settings(max_examples=examples(200), deadline=None)
@given(name=st.one_of(st.sampled_from(HOSTILE_NAMES), st.text(max_size=40)))
def test_safe_name_is_always_one_harmless_path_component(name: str) -> None:
    safe = io.safe_name(name)
    assert safe and len(safe) <= 80
    assert "/" not in safe and "\\" not in safe and "\x00" not in safe
    assert not safe.startswith(".") and safe not in ("..", ".")
    root = Path("/results-root")
    assert io.within(root, root / safe)


@pytest.fixture(scope="module")
def small_run() -> RunResult:
    return simulate(parse_scenario(BASE), replications=1)


def test_write_run_with_a_hostile_name_stays_inside_the_results_root(tmp_path: Path, small_run: RunResult) -> None:
    """Even a Scenario built around validation (model_copy skips it) cannot place files outside the root."""
    root = tmp_path / "results"
    for name in HOSTILE_NAMES:
        small_run.scenario = small_run.scenario.model_copy(update={"name": name})
        folder = write_run(small_run, results_root=root)
        assert folder.resolve().parent.parent == root.resolve(), (name, folder)
        assert (folder / "manifest.json").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
    for p in root.rglob("*"):
        assert io.within(root, p), p
    assert not list(root.glob(".*")), "no hidden or partial folder is left behind"


class _ScriptCollector(html.parser.HTMLParser):
    """Separates what a browser would run (script bodies) from what it would show (text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_script = 0
        self.opened = self.closed = 0
        self.scripts: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "script":
            self.in_script += 1
            self.opened += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script -= 1
            self.closed += 1

    def handle_data(self, data: str) -> None:
        (self.scripts if self.in_script else self.text).append(data)


def test_script_in_description_and_currency_renders_as_text(tmp_path: Path) -> None:
    report = pytest.importorskip("contactsim.report.html",
                                 reason="contactsim.report.html (write_run_report) is not available yet")
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["description"] = "<script>window.pwned = 1</script> & <img src=x onerror=pwned()>"
    data["currency"] = "</script"  # 8 characters: the longest currency the schema allows
    data["pools"]["agents"]["hourly_cost"] = 30.0  # so that costs (and the currency) are shown
    with pytest.raises(ScenarioError):  # names never carry markup: the schema refuses it
        parse_scenario({**data, "name": "<script>alert(1)</script>"})
    folder = write_run(simulate(parse_scenario(data), replications=2), results_root=tmp_path)
    text = report.write_run_report(folder).read_text()
    assert "<script>window.pwned" not in text and "<img src=x" not in text
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in text
    page = _ScriptCollector()
    page.feed(text)
    assert page.opened == page.closed and page.in_script == 0, "a stray </script> would end a script early"
    assert not any("pwned" in s for s in page.scripts)
    assert any("window.pwned" in t for t in page.text)


def test_cli_gives_exit_code_2_and_no_traceback_for_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no/such/file.yaml"]) == 2
    err = capsys.readouterr().err
    assert "no/such/file.yaml" in err and "file not found" in err and "Traceback" not in err
