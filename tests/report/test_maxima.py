"""Reports at the schema's maxima: 200 segments, 50 channels, 200 pools (issue 17).

plotly refuses subplot spacing beyond 1 / (rows - 1), so one row per segment or pool crashed from 17
segments or 18 pools on. Figures now draw the largest few and say how many are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from contactsim.cli import main
from contactsim.scenario.schema import MAX_CHANNELS, MAX_POOLS, MAX_SEGMENTS


def _scenario(path: Path, segments: int, channels: int, pools: int) -> Path:
    chans = {f"c{j:02d}": {"kind": "chat" if j % 2 else "phone", "abandonment": False} for j in range(channels)}
    data = {
        "name": path.stem, "run": {"replications": 2, "seed": 1},
        "horizon": {"steady_state_hours": 2, "warmup_hours": 0, "interval_minutes": 60, "drain_hours": 1},
        "channels": chans,
        "segments": {f"s{i:03d}": {"share": 1 / segments, "channel_preference": {f"c{i % channels:02d}": 1.0}}
                     for i in range(segments)},
        "reasons": {"q": {"volume_per_day": 24 * 200,
                          "handle_time": {c: {"dist": "exponential", "mean": 120} for c in chans}}},
        "pools": {f"p{k:03d}": {"channels": [f"c{k % channels:02d}"], "staffing": 2} for k in range(pools)},
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_run_and_report_at_the_schema_maxima(tmp_path: Path) -> None:
    f = _scenario(tmp_path / "maxima.yaml", MAX_SEGMENTS, MAX_CHANNELS, MAX_POOLS)
    assert main(["run", str(f), "--out", str(tmp_path / "run"), "-w", "1", "-n", "1"]) == 0
    html = (tmp_path / "run" / "report.html").read_text()
    assert f"showing the 8 largest of {MAX_POOLS} pools" in html
    assert re.search(r"showing the 8 largest of 1\d\d segments", html)  # those with contacts in 2 hours
    assert re.search(r"and 1\d\d more segments \(the 12 with the lowest service level", html)
    (tmp_path / "run" / "report.html").unlink()
    assert main(["report", str(tmp_path / "run")]) == 0
    assert (tmp_path / "run" / "report.html").stat().st_size > 0


def test_compare_just_past_the_old_limits(tmp_path: Path) -> None:
    """17 segments, 18 pools and 18 channels made make_subplots fail in every report."""
    a = _scenario(tmp_path / "a.yaml", 17, 18, 18)
    b = _scenario(tmp_path / "b.yaml", 17, 18, 18)
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "cmp"), "-w", "1"]) == 0
    assert "showing the 8 largest of 17 segments" in (tmp_path / "cmp" / "report.html").read_text()
