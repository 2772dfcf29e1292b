"""Reading scenario files safely and turning every problem into an :class:`~contactsim.errors.Issue`.

YAML is parsed with the safe loader only (no object construction, nothing evaluated), after a pass over
the event stream that refuses oversized files, binary data, alias bombs and absurd nesting.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from contactsim.errors import Issue, ScenarioError
from contactsim.scenario import rules
from contactsim.scenario.schema import Scenario

MAX_FILE_BYTES = 5_000_000
MAX_ALIASES = 200
MAX_DEPTH = 40
MAX_NODES = 1_000_000

_FIXES = {
    "extra_forbidden": "remove this key or check its spelling (see `contactsim schema` for the allowed keys)",
    "missing": "add this field",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a value at or above the minimum",
    "less_than": "use a smaller value",
    "less_than_equal": "use a value at or below the maximum",
    "finite_number": "use a finite number (not .nan or .inf)",
    "float_parsing": "write a plain number, e.g. 120 or 0.5",
    "float_type": "write a plain number, e.g. 120 or 0.5",
    "int_parsing": "write a whole number, e.g. 12",
    "int_type": "write a whole number, e.g. 12",
    "int_from_float": "write a whole number, e.g. 12",
    "literal_error": "use one of the allowed values listed",
    "union_tag_invalid": "set 'dist' to exponential, lognormal, gamma, deterministic, uniform or empirical",
    "union_tag_not_found": "add 'dist: exponential' (or lognormal, gamma, deterministic, uniform, empirical)",
    "string_pattern_mismatch": "use letters, digits, '_', '-' or '.' only (no spaces or slashes)",
    "string_too_long": "shorten it",
    "string_too_short": "give a non-empty value",
    "too_short": "add entries",
    "too_long": "use fewer entries",
    "dict_type": "write a mapping (key: value lines)",
    "list_type": "write a list, e.g. [1, 2, 3]",
    "model_type": "write a mapping (key: value lines)",
    "bool_parsing": "write true or false",
    "string_type": "write text",
    "value_error": "",
}
_DIST_TAGS = {"exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical"}


_BRANCH_NAMES = {"int", "float", "str", "bool", "constrained-int", "constrained-float", "constrained-str"}
_BRANCH_PREFIXES = ("list[", "dict[", "function-", "literal[", "tagged-union[", "nullable[", "union[")


def _is_branch(part: Any) -> bool:
    """pydantic names the branch of a union it tried; such names mean nothing to the user."""
    return isinstance(part, str) and (part in _DIST_TAGS or part in _BRANCH_NAMES or part.startswith(_BRANCH_PREFIXES))


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _is_branch(part):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "<file>"


def issues_from_validation(err: ValidationError) -> list[Issue]:
    """One issue per pydantic error, deduplicated across union branches."""
    seen: set[tuple[str, str]] = set()
    union_paths: set[str] = set()
    out: list[Issue] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        path = _path(loc)
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        key = (path, msg)
        if key in seen:
            continue
        if any(_is_branch(p) for p in loc) and e["type"] not in ("extra_forbidden", "missing"):
            if path in union_paths:  # a union's other branches failing too: the first reason is enough
                continue
            union_paths.add(path)
        seen.add(key)
        value = e.get("input") if e["type"] not in ("missing",) else None
        if isinstance(value, dict | list) and len(repr(value)) > 80:
            value = None
        fix = _FIXES.get(e["type"], "")
        if e["type"] == "value_error" and "; " in msg:  # our validators say 'problem; fix'
            msg, fix = msg.split("; ", 1)
        ctx = e.get("ctx") or {}
        for bound, words in (("ge", "at least"), ("gt", "above"), ("le", "at most"), ("lt", "below")):
            if bound in ctx:
                fix = f"use a value {words} {ctx[bound]}"
        if e["type"] == "string_pattern_mismatch":
            msg = "must be a simple name"
        out.append(Issue(path, msg, value, fix))
    return out


def _check_events(text: str, file: str) -> None:
    """Reject alias bombs and absurd nesting before building any Python objects."""
    aliases = depth = nodes = 0
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise ScenarioError(file, [Issue("<file>", f"more than {MAX_ALIASES} YAML aliases (*refs): "
                                                     "refused as a possible alias bomb", None,
                                                     "write the values out instead of using anchors")])
            elif isinstance(ev, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ScenarioError(file, [Issue("<file>", f"nested deeper than {MAX_DEPTH} levels", None,
                                                     "a scenario is a few levels deep; check the indentation")])
            elif isinstance(ev, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(ev, yaml.NodeEvent):
                nodes += 1
                if nodes > MAX_NODES:
                    raise ScenarioError(file, [Issue("<file>", "too many YAML nodes", None,
                                                     "split the file; a scenario needs far fewer values")])
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise ScenarioError(file, [Issue("<file>", f"not valid YAML{where}: {problem}", None,
                                         "check indentation (spaces, not tabs) and quoting near that line")]) from None


def read_yaml(path: str | Path, *, kind: str = "scenario") -> dict[str, Any]:
    """Safely read a YAML mapping from disk, with size, encoding and structure checks."""
    file = str(path)
    p = Path(path)
    if not p.exists():
        raise ScenarioError(file, [Issue("<file>", "file not found", None, "check the path")])
    if not p.is_file():
        raise ScenarioError(file, [Issue("<file>", "not a regular file", None, f"give the path of a {kind} .yaml")])
    size = p.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScenarioError(file, [Issue("<file>", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                                         None, f"a {kind} file is a few kB; check you gave the right file")])
    raw = p.read_bytes()
    if b"\x00" in raw:
        raise ScenarioError(file, [Issue("<file>", "binary data (NUL bytes), not a YAML text file", None,
                                         f"give the {kind} .yaml file")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ScenarioError(file, [Issue("<file>", f"not UTF-8 text (byte {e.start})", None,
                                         "save the file as UTF-8")]) from None
    return parse_yaml_text(text, file, kind=kind)


def parse_yaml_text(text: str, file: str = "<string>", *, kind: str = "scenario") -> dict[str, Any]:
    if not text.strip():
        raise ScenarioError(file, [Issue("<file>", "the file is empty", None,
                                         f"start from a bundled example in scenarios/ ({kind} files are YAML)")])
    _check_events(text, file)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:  # pragma: no cover - _check_events already parsed it
        raise ScenarioError(file, [Issue("<file>", f"not valid YAML: {e}", None, "fix the syntax")]) from None
    if data is None:
        raise ScenarioError(file, [Issue("<file>", "the file is empty (only comments or blank lines)", None,
                                         f"start from a bundled example in scenarios/ ({kind} files are YAML)")])
    if not isinstance(data, dict):
        raise ScenarioError(file, [Issue("<file>", f"the top level must be a mapping of keys, not "
                                         f"{type(data).__name__}", None,
                                         "start the file with keys such as name:, horizon:, segments:")])
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise ScenarioError(file, [Issue("<file>", "top-level keys must be text", bad_keys, "quote the keys")])
    return data


def parse_scenario(data: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a mapping into a :class:`Scenario`, collecting structural and cross-field problems."""
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(file, issues_from_validation(e)) from None
    except (RecursionError, OverflowError, TypeError) as e:  # hostile structures pydantic cannot digest
        raise ScenarioError(file, [Issue("<file>", f"cannot be read as a scenario: {type(e).__name__}", None,
                                         "simplify the file")]) from None
    problems = rules.check(sc)
    if problems:
        raise ScenarioError(file, problems)
    return sc


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read, override (dotted paths) and validate a scenario file."""
    data = read_yaml(path)
    if overrides:
        data = apply_overrides(data, overrides, file=str(path))
    return parse_scenario(data, str(path))


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any], file: str = "<scenario>") -> dict[str, Any]:
    """Return a copy of ``data`` with ``{"segments.gold.patience.phone.mean": 120}`` style overrides applied.

    Every segment of the path but the last must exist, so a typo cannot create a silently ignored key
    (the schema would reject an unknown last key anyway). List items are addressed by index.
    """
    out = copy.deepcopy(data)
    issues: list[Issue] = []
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = out
        ok = True
        for i, part in enumerate(parts[:-1]):
            key: Any = int(part) if isinstance(node, list) and part.lstrip("-").isdigit() else part
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                issues.append(Issue(dotted, f"'{'.'.join(parts[: i + 1])}' does not exist in the scenario", value,
                                    "check the path against the scenario file"))
                ok = False
                break
        if not ok:
            continue
        last: Any = parts[-1]
        if isinstance(node, list):
            if not last.lstrip("-").isdigit() or not -len(node) <= int(last) < len(node):
                issues.append(Issue(dotted, "list index out of range", value, f"use 0..{len(node) - 1}"))
                continue
            last = int(last)
        elif not isinstance(node, dict):
            issues.append(Issue(dotted, "cannot set a field inside a plain value", value, "check the path"))
            continue
        node[last] = copy.deepcopy(value)
    if issues:
        raise ScenarioError(file, issues)
    return out


def scenario_hash(sc: Scenario) -> str:
    """SHA-256 of the canonical resolved scenario (comments and key order do not change it)."""
    canon = json.dumps(sc.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()
