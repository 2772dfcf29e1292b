"""The calibrated scenario as commented YAML: every number says where it came from.

Values are emitted with PyYAML in flow style; comments are written beside or above them. The text is
parsed back through the ordinary scenario loader before it is returned, so what is written runs as is.
"""

from __future__ import annotations

from typing import Any

import yaml


def flow(value: Any) -> str:
    """One-line YAML for a value (numbers rounded by the caller)."""
    text = yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1_000_000, allow_unicode=True)
    return text.strip().removesuffix("...").strip()


class Doc:
    """A YAML document built line by line with comments."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, text: str, indent: int = 0) -> None:
        for part in text.splitlines() or [""]:
            self.lines.append(" " * indent + "# " + part if part else " " * indent + "#")

    def key(self, name: str, indent: int = 0, comment: str = "") -> None:
        self.lines.append(" " * indent + f"{flow(name)}:" + (f"  # {comment}" if comment else ""))

    def item(self, name: str, value: Any, indent: int = 0, comment: str = "") -> None:
        self.lines.append(" " * indent + f"{flow(name)}: {flow(value)}" + (f"  # {comment}" if comment else ""))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def ci_text(low: float, high: float, digits: int = 3) -> str:
    if low != low or high != high:
        return ""
    return f"95% CI {low:.{digits}g}-{high:.{digits}g}"
