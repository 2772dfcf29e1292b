"""Every malformed scenario in bad/ gets a clean error: exit code 2, the file, the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contactsim.cli import main

HERE = Path(__file__).parent
EXPECTED: dict[str, list[str]] = yaml.safe_load((HERE / "expected.yaml").read_text())


def test_corpus_is_big_enough() -> None:
    assert len(EXPECTED) >= 40
    assert sorted(EXPECTED) == sorted(p.name for p in (HERE / "bad").glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_scenario_gets_a_clear_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = HERE / "bad" / name
    rc = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert str(path) in err
    assert "Traceback" not in err
    for needle in EXPECTED[name]:
        assert needle in err, f"{name}: expected {needle!r} in:\n{err}"
    if "problem" in err and "<file>" not in err:
        assert "fix:" in err, "every field problem says how to fix it"


def test_all_problems_of_a_file_are_reported_together(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = yaml.safe_load((HERE / "base.yaml").read_text())
    data["pools"]["agents"]["staffing"] = -1
    data["reasons"]["question"]["volume_per_day"] = -3
    data["colour"] = "blue"
    f = tmp_path / "three.yaml"
    f.write_text(yaml.safe_dump(data))
    assert main(["validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "3 problems" in err
    for needle in ("pools.agents.staffing", "reasons.question.volume_per_day", "colour"):
        assert needle in err


def test_valid_base_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(HERE / "base.yaml")]) == 0
    assert "valid scenario" in capsys.readouterr().out
