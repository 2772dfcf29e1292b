"""User-facing errors: every problem names the file, the field path, the value and the fix.

The CLI turns a :class:`ScenarioError` into one readable message and exit code 2; nothing in here
ever needs a traceback to be understood.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_SHOWN = 50
"""Problems shown per error; the rest are counted ('... and N more'), so a hostile file cannot flood a terminal."""


def _short(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file."""

    path: str
    """Dotted field path inside the file, e.g. ``segments.gold.share`` (``<file>`` for the whole file)."""
    message: str
    """What is wrong."""
    value: object = None
    """The offending value (shortened when shown)."""
    fix: str = ""
    """What the user should do about it."""

    def render(self) -> str:
        shown = _short(self.value)
        text = f"  - {self.path}: {self.message}"
        if self.value is not None:
            text += f" (got {shown})"
        if self.fix:
            text += f"\n    fix: {self.fix}"
        return text


@dataclass
class ContactsimError(Exception):
    """Base class for errors that are the user's to fix (exit code 2 in the CLI)."""

    file: str
    issues: list[Issue] = field(default_factory=list)
    kind: str = "input"

    def __post_init__(self) -> None:
        super().__init__(self.render())

    def render(self) -> str:
        n = len(self.issues)
        if self.kind == "option" and n == 1:  # a command-line mistake: one line, the argument first
            i = self.issues[0]
            shown = "" if i.value is None else f" (got {_short(i.value)})"
            where = self.file if i.path == "<file>" else f"{self.file} {i.path}"
            return f"error: {where}: {i.message}{shown}" + (f"; {i.fix}" if i.fix else "")
        head = f"{self.file}: invalid {self.kind} ({n} problem{'s' if n != 1 else ''})"
        shown = self.issues[:MAX_SHOWN]
        lines = [head, *(i.render() for i in shown)]
        if n > len(shown):
            lines.append(f"  ... and {n - len(shown)} more problem{'s' if n - len(shown) != 1 else ''} "
                         "(fix these first)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()


class ScenarioError(ContactsimError):
    """A scenario file that cannot be simulated as written."""

    def __init__(self, file: str, issues: list[Issue]) -> None:
        super().__init__(file=file, issues=issues, kind="scenario")


class NotAScenarioError(ScenarioError):
    """A sweep file given where a scenario belongs. The loader is the one place that notices; the command
    line shows it on one line, like a mistaken argument, instead of as a list of scenario problems."""


class SweepError(ContactsimError):
    """A sweep file or override that cannot be applied."""

    def __init__(self, file: str, issues: list[Issue]) -> None:
        super().__init__(file=file, issues=issues, kind="sweep")
