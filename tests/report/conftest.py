"""Shared fixtures of the report tests: one small comparison folder, and the browser skip rule.

Browser tests skip only on a machine without Chromium and without CONTACTSIM_REQUIRE_BROWSER; CI sets
that variable, so there a missing browser fails the run instead of hiding the test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from contactsim.compare import compare, write_comparison
from contactsim.scenario.load import apply_overrides, parse_scenario, read_yaml

ROOT = Path(__file__).parents[2]
HOSTILE = "<script>window.__pwned = 1</script> & <b>bold</b>"
"""A scenario description that must come out as text, never as markup."""


def require_or_skip(found: str | None, what: str) -> str:
    """Return ``found``; otherwise fail under CONTACTSIM_REQUIRE_BROWSER, else skip."""
    if found:
        return found
    if os.environ.get("CONTACTSIM_REQUIRE_BROWSER"):
        pytest.fail(f"CONTACTSIM_REQUIRE_BROWSER is set but {what} is missing (apt-get install chromium)")
    pytest.skip(
        f"{what} missing (apt-get install chromium); CI sets CONTACTSIM_REQUIRE_BROWSER=1 and runs this"
    )


def system_chromium() -> str | None:
    path = os.environ.get("CONTACTSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    return path if os.path.exists(path) else None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The system Chromium for Playwright (skip or fail as the module docstring says). Session-scoped and
    listed before ``comparison_dir`` so a skip comes before the simulation."""
    path = require_or_skip(system_chromium(), "a system Chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require_or_skip(None, "the playwright package")
    return path


@pytest.fixture(scope="session")
def kaleido_browser() -> str:
    """The browser kaleido will use (BROWSER_PATH or the system one), with the same skip rule."""
    from contactsim.report.images import find_browser

    return require_or_skip(find_browser(), "a Chrome/Chromium for kaleido")


@pytest.fixture
def hostile() -> str:
    return HOSTILE


@pytest.fixture(scope="session")
def comparison_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled retail bank against the same bank with FCFS on the general phone pool (2 replications)."""
    data = read_yaml(ROOT / "scenarios" / "retail_bank.yaml")
    base = parse_scenario(apply_overrides(data, {"description": HOSTILE}), "retail_bank")
    fcfs = parse_scenario(
        apply_overrides(
            data, {"name": "retail_bank_fcfs", "pools.general_phone.discipline": {"type": "fcfs"}}
        ),
        "fcfs",
    )
    cmp = compare([base, fcfs], replications=2, workers=1)
    folder = write_comparison(cmp, tmp_path_factory.mktemp("cmp") / "cmp")
    from contactsim.report.html import write_comparison_report

    write_comparison_report(folder)
    return folder

