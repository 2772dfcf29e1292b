"""Every malformed scenario in bad/ gets a clean error: exit code 2, the file, the field, the value and the fix.

The files are complete small scenarios (the minimal valid ``base.yaml`` with one thing broken, plus files that
are not YAML at all); ``make_corpus.py`` regenerates them by hand, nothing is generated at test time.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from contactsim.cli import main

HERE = Path(__file__).parent
EXPECTED: dict[str, list[str]] = yaml.safe_load((HERE / "expected.yaml").read_text())
BASE = yaml.safe_load((HERE / "base.yaml").read_text())


def _validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = main(["validate", str(path)])
    return rc, capsys.readouterr().err


def _problems(err: str) -> list[str]:
    """The rendered issues: '  - path: message' lines, each with its continuation lines."""
    return re.split(r"\n(?=  - )", err.strip())[1:]


def test_corpus_is_big_enough_and_matches_expected() -> None:
    assert len(EXPECTED) >= 45
    assert sorted(EXPECTED) == sorted(p.name for p in (HERE / "bad").glob("*.yaml"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_scenario_gets_a_clear_error(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    path = HERE / "bad" / name
    rc, err = _validate(path, capsys)
    assert rc == 2, err
    assert err.startswith(f"{path}: invalid scenario"), err
    assert "Traceback" not in err
    for needle in EXPECTED[name]:
        assert needle in err, f"{name}: expected {needle!r} in:\n{err}"
    problems = _problems(err)
    assert problems, err
    for problem in problems:
        assert "\n    fix: " in problem, f"{name}: a problem without a fix:\n{problem}"


def test_three_schema_errors_are_reported_together(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["pools"]["agents"]["staffing"] = -1
    data["reasons"]["question"]["volume_per_day"] = float("nan")
    data["colour"] = "blue"
    f = tmp_path / "three.yaml"
    f.write_text(yaml.safe_dump(data))
    rc, err = _validate(f, capsys)
    assert rc == 2
    assert "(3 problems)" in err and len(_problems(err)) == 3
    for needle in ("pools.agents.staffing", "reasons.question.volume_per_day", "colour"):
        assert needle in err


def test_three_cross_field_errors_are_reported_together(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = yaml.safe_load(yaml.safe_dump(BASE))
    data["segments"]["retail"]["share"] = 0.7
    data["pools"]["agents"]["discipline"] = {"type": "priority", "classes": [{"segments": ["gold"]}]}
    data["incidents"] = [{"reason": "question", "day": 9, "extra_needs": 10}]
    f = tmp_path / "three.yaml"
    f.write_text(yaml.safe_dump(data))
    rc, err = _validate(f, capsys)
    assert rc == 2
    assert "(3 problems)" in err and len(_problems(err)) == 3
    for needle in ("segment shares must sum to 1", "unknown segment 'gold'", "incidents[0].day"):
        assert needle in err


def test_every_file_is_checked_and_valid_ones_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["validate", str(HERE / "base.yaml"), str(HERE / "bad" / "nan_volume.yaml"),
               str(HERE / "bad" / "yaml_bomb.yaml")])
    captured = capsys.readouterr()
    assert rc == 2
    assert "valid scenario 'base'" in captured.out
    assert "nan_volume.yaml" in captured.err and "yaml_bomb.yaml" in captured.err
