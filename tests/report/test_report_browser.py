"""The comparison report in a real headless Chromium: every figure drawn, no JS errors, no network.

Playwright drives the system Chromium (no ``playwright install``); see ECOSYSTEM.md section 4. The tests
before the browser test check the same file without a browser: escaping, the header, byte-identical
rebuilds through the CLI and clear errors for folders that are not results.
"""

from __future__ import annotations

import html
import json
import time
from pathlib import Path

import pytest
from helpers import FIGURES

from contactsim.cli import main

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def test_report_is_self_contained_and_escaped(comparison_dir: Path, hostile: str) -> None:
    text = (comparison_dir / "report.html").read_text(encoding="utf-8")
    assert "<script src" not in text and 'src="http' not in text
    assert text.count("* plotly.js v") == 1  # plotly.js inlined once
    assert text.count("Plotly.newPlot") == len(FIGURES)
    assert hostile not in text and html.escape(hostile) in text
    man = json.loads((comparison_dir / "manifest.json").read_text())
    for needle in (
        "retail_bank_fcfs",
        f"<dd>{man['seed']}</dd>",
        f"<dd>{man['replications']}</dd>",
        f"<dd>{man['versions']['contactsim']}</dd>",
        "compared with retail_bank",
    ):
        assert needle in text, needle


def test_cli_rebuild_is_identical(comparison_dir: Path, tmp_path: Path) -> None:
    first = (comparison_dir / "report.html").read_bytes()
    out = tmp_path / "again.html"
    assert main(["report", str(comparison_dir), "--out", str(out)]) == 0
    assert out.read_bytes() == first
    run = comparison_dir / "runs" / "retail_bank"
    assert main(["report", str(run), "--out", str(tmp_path / "run.html")]) == 0
    run_html = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert "contactsim run: retail_bank" in run_html and "retail_bank_fcfs" not in run_html


def test_not_a_results_folder_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text('{"kind": "sweep"}')
    assert main(["report", str(tmp_path)]) == 2
    assert "'kind' must be 'run' or 'comparison'" in capsys.readouterr().err


@pytest.mark.browser
def test_report_renders_offline_in_chromium(chromium: str, comparison_dir: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    report = comparison_dir / "report.html"
    errors: list[str] = []
    external: list[str] = []
    t0 = time.perf_counter()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.on(
                "console",
                lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
            page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))

            def guard(route) -> None:
                if route.request.url.startswith(("file:", "data:", "blob:")):
                    route.continue_()
                else:
                    external.append(route.request.url)
                    route.abort()

            page.route("**/*", guard)
            page.goto(report.resolve().as_uri(), wait_until="load")
            page.wait_for_function(
                f"() => window.Plotly && document.querySelectorAll('.plotly-graph-div .main-svg').length "
                f">= {len(FIGURES)}",
                timeout=30_000,
            )
            divs = page.locator("div.plotly-graph-div")
            assert sorted(divs.evaluate_all("els => els.map(e => e.id)")) == sorted(
                f"fig-{f}" for f in FIGURES
            )
            for name in FIGURES:
                d = page.locator(f"#fig-{name}")
                assert d.locator("svg.main-svg").count() >= 1, name
                assert d.locator("g.trace, g.sankey").count() >= 1, name
                assert d.evaluate("el => el._fullLayout !== undefined && el.data.length > 0"), name
            assert page.evaluate("() => window.__pwned") is None  # the hostile description stayed text
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    print(f"browser check {time.perf_counter() - t0:.1f} s")
    assert errors == [], errors
    assert external == [], external
