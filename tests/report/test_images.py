"""PNG and SVG export through kaleido and the system Chromium, for real (skip rule: see conftest)."""

from __future__ import annotations

import struct
import time
from pathlib import Path

import plotly.graph_objects as go
import pytest
from helpers import FIGURES

from contactsim.cli import main
from contactsim.errors import ContactsimError
from contactsim.report.images import write_images


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_missing_browser_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chrome"))
    with pytest.raises(ContactsimError) as e:
        write_images({"x": go.Figure(go.Bar(x=[1], y=[1]))}, tmp_path / "figures")
    text = str(e.value)
    assert "apt-get install chromium" in text and "BROWSER_PATH" in text
    assert not (tmp_path / "figures" / "x.png").exists()


def test_report_images_cli(
    kaleido_browser: str, comparison_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # Chromium leaves ~/.config behind
    t0 = time.perf_counter()
    assert main(["report", str(comparison_dir), "--images"]) == 0
    print(f"report with {2 * len(FIGURES)} images: {time.perf_counter() - t0:.1f} s")
    figures = comparison_dir / "figures"
    for name in FIGURES:
        w, h = png_size(figures / f"{name}.png")
        assert w == 2400 and h > 400, name
        assert "<svg" in (figures / f"{name}.svg").read_text(encoding="utf-8")[:500], name
