"""The report as a planner sees it, in a real headless Chromium at 1280 px: no table or figure wider than the
window, interval charts with day and time ticks, and the business case (revenue, net cost, promise) in the
summary. Screenshots land in the test's folder (and in $CONTACTSIM_SCREENSHOTS when set)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from test_report_browser import ARGS

from contactsim.compare import compare, write_comparison
from contactsim.scenario.load import load_scenario

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def telecom_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """telecom_plus against its fee-free twin (3 days, 2 replications): a business case with revenue."""
    over = {"horizon.days": 3, "incidents.0.day": 2}
    scs = [load_scenario(ROOT / "scenarios" / f"{n}.yaml", over) for n in ("telecom_plus_off", "telecom_plus")]
    cmp = compare(scs, replications=2, workers=1)
    folder = write_comparison(cmp, tmp_path_factory.mktemp("tp") / "cmp")
    from contactsim.report.html import write_comparison_report, write_run_report

    write_comparison_report(folder)
    write_run_report(folder / "runs" / "telecom_plus")
    return folder


OVERFLOW = """() => {
  const doc = document.documentElement;
  const wide = [...document.querySelectorAll('div.scroll, section, .plotly-graph-div')]
    .filter(e => e.scrollWidth > e.clientWidth + 1)
    .map(e => (e.id || e.className) + ' ' + e.scrollWidth + '>' + e.clientWidth);
  return {page: doc.scrollWidth, window: window.innerWidth, wide};
}"""


@pytest.mark.browser
def test_reports_fit_1280_px_with_time_axes_and_the_business_case(chromium: str, telecom_dir: Path,
                                                                  tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    pages = {"comparison": telecom_dir / "report.html", "run": telecom_dir / "runs" / "telecom_plus" / "report.html"}
    shots = os.environ.get("CONTACTSIM_SCREENSHOTS")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            for kind, report in pages.items():
                page.goto(report.resolve().as_uri(), wait_until="load")
                page.wait_for_function("() => document.querySelectorAll("
                                       "'#fig-intraday_service_level .xaxislayer-above text').length > 0",
                                       timeout=60_000)
                fit = page.evaluate(OVERFLOW)
                assert fit["page"] <= fit["window"], (kind, fit)
                assert fit["wide"] == [], (kind, fit)
                for fig in ("intraday_service_level", "intraday_occupancy"):
                    ticks = page.locator(f"#fig-{fig} .xaxislayer-above text").all_text_contents()
                    assert ticks and all(re.search(r"\d\d:\d\d", t) for t in ticks), (fig, ticks)
                    assert any(re.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) 00:00$", t) for t in ticks), ticks
                summary = page.locator("#summary").inner_text()
                if kind == "run":
                    assert re.search(r"Business case: revenue EUR [\d,]+ .*net cost \(cost minus revenue\) EUR",
                                     summary)
                    assert re.search(r"Promise \(90% within 30 s on plus_line\): \d+\.\d%", summary)
                    assert "blended" in summary
                else:
                    assert re.search(r"Revenue changes by EUR \+[\d,]+ .* net cost .* changes by EUR -[\d,]+", summary)
                    assert " pp" in summary
                path = tmp_path / f"report_{kind}_1280.png"
                page.screenshot(path=str(path), full_page=True)
                assert path.stat().st_size > 10_000
                if shots:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    shutil.copy(path, Path(shots) / path.name)
        finally:
            browser.close()
