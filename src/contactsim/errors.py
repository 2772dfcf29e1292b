"""User-facing errors: every problem names the file, the field path, the value and the fix.

The CLI turns a :class:`ScenarioError` into one readable message and exit code 2; nothing in here
ever needs a traceback to be understood.
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        shown = repr(self.value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
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
        head = f"{self.file}: invalid {self.kind} ({n} problem{'s' if n != 1 else ''})"
        return "\n".join([head, *(i.render() for i in self.issues)])

    def __str__(self) -> str:
        return self.render()


class ScenarioError(ContactsimError):
    """A scenario file that cannot be simulated as written."""

    def __init__(self, file: str, issues: list[Issue]) -> None:
        super().__init__(file=file, issues=issues, kind="scenario")


class SweepError(ContactsimError):
    """A sweep file or override that cannot be applied."""

    def __init__(self, file: str, issues: list[Issue]) -> None:
        super().__init__(file=file, issues=issues, kind="sweep")
