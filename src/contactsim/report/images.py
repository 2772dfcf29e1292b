"""PNG and SVG copies of the report's figures for slides, through plotly's ``write_image`` (kaleido >= 1).

kaleido drives a Chrome/Chromium it does not ship: the system one (``apt-get install chromium``) or the
one ``BROWSER_PATH`` names. Without it plotly suggests downloading Chrome, which cannot work offline,
so the browser is looked up first and a missing one is a user error with the install hint. Batches use
kaleido's sync server (one browser for all images: ~0.2 s per image after a ~3 s start).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import plotly.graph_objects as go

from contactsim import io
from contactsim.errors import ContactsimError, Issue

INSTALL_FIX = (
    "install Chromium (Debian/Ubuntu: `apt-get install chromium`) or set BROWSER_PATH to a "
    "Chrome/Chromium executable"
)
BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _error(message: str, value: object = None, fix: str = INSTALL_FIX) -> ContactsimError:
    return ContactsimError("--images", [Issue("browser", message, value, fix)], kind="image export")


def find_browser() -> str | None:
    """The Chrome/Chromium kaleido will use: BROWSER_PATH if set, else the first one found on the system."""
    env = os.environ.get("BROWSER_PATH")
    if env:
        return env if os.path.isfile(env) and os.access(env, os.X_OK) else None
    try:
        from choreographer.browsers.chromium import Chromium  # kaleido's own search: PATH, then usual places

        found = Chromium.find_browser(skip_local=False)
        if found:
            return str(found)
    except Exception:
        pass
    for name in BROWSER_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def require_browser() -> str:
    """kaleido and a browser, or a ContactsimError that says how to get them."""
    if importlib.util.find_spec("kaleido") is None:
        raise _error(
            "the optional package kaleido is not installed",
            None,
            "pip install 'contactsim[images]' (and install Chromium: `apt-get install chromium`)",
        )
    env = os.environ.get("BROWSER_PATH")
    path = find_browser()
    if path is None:
        if env:
            raise _error("BROWSER_PATH does not name an executable file", env)
        raise _error("no Chrome or Chromium found to draw the images")
    return path


def _batch(jobs: Sequence[tuple], draw: Callable[..., None]) -> None:
    """Draw every job with one browser (kaleido's sync server) when kaleido offers it.

    A browser that dies while kaleido's server thread starts it leaves ``write_image`` waiting forever,
    so the batch runs in a worker thread while this one watches the server thread and turns its death
    into a clear error.
    """
    import kaleido

    start, stop = getattr(kaleido, "start_sync_server", None), getattr(kaleido, "stop_sync_server", None)
    if start is None or stop is None:
        for job in jobs:
            draw(*job)
        return
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for job in jobs:
                draw(*job)
        except BaseException as e:
            failures.append(e)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "kopts argument is ignored ..." is harmless
        start(silence_warnings=True)
        try:
            worker = threading.Thread(target=work, name="contactsim-images", daemon=True)
            worker.start()
            server = getattr(getattr(kaleido, "_global_server", None), "_thread", None)
            while worker.is_alive():
                worker.join(0.2)
                if worker.is_alive() and server is not None and not server.is_alive():
                    raise _error(
                        "the browser stopped before drawing the images (see the messages above)",
                        find_browser(),
                    )
        finally:
            stop(silence_warnings=True)
    if failures:
        raise failures[0]


def write_images(
    figures: Mapping[str, go.Figure],
    folder: Path,
    formats: Sequence[str] = ("png", "svg"),
    *,
    width: int = 1200,
    scale: float = 2.0,
) -> list[Path]:
    """Write ``folder/<name>.<format>`` for every figure and format; returns the paths written.

    Each file is written atomically; a missing browser or kaleido is a :class:`ContactsimError`.
    """
    require_browser()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(name, fig, fmt) for name, fig in figures.items() for fmt in formats]
    written: list[Path] = []

    def draw(name: str, fig: go.Figure, fmt: str) -> None:
        path = folder / f"{io.safe_name(name, 'figure')}.{fmt}"
        height = int(fig.layout.height or 600)
        try:
            with io.atomic_path(path) as tmp:
                fig.write_image(str(tmp), format=fmt, width=width, height=height, scale=scale)
        except (RuntimeError, OSError, ValueError) as e:
            text = str(e)
            if "Chrome" in text or "browser" in text.lower() or "BROWSER_PATH" in text:
                raise _error(
                    f"the browser could not draw the images ({text.splitlines()[0][:160]})",
                    os.environ.get("BROWSER_PATH"),
                ) from None
            raise
        written.append(path)

    _batch(jobs, draw)
    return written
