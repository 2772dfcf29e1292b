"""Reading scenario files safely and turning every problem into an :class:`~contactsim.errors.Issue`.

YAML is parsed with the safe loader only (no object construction, nothing evaluated), after a pass over
the event stream that refuses oversized files, binary data, alias bombs (by the size they expand to) and
absurd nesting, and reports what would silently change a file's meaning: object tags, duplicate keys and
extra documents. Every problem becomes an Issue with the field path, the value and the fix; all problems of
a layer (YAML, fields, cross-field rules) are reported together.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import reprlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from contactsim.errors import ContactsimError, Issue, NotAScenarioError, ScenarioError, SweepError
from contactsim.scenario import rules
from contactsim.scenario.schema import Scenario

MAX_FILE_BYTES = 5_000_000
MAX_ALIASES = 2_000
MAX_DEPTH = 40
MAX_NODES = 1_000_000
"""Values in the file once every alias is expanded: the guard against alias bombs (billion laughs)."""
MAX_ITEMS = 100_000
"""Items in one list or mapping (the longest field, an empirical distribution, allows 100,000 values):
longer ones are refused by length while reading, before any item is validated."""
PER_FIELD = 5
"""Problems shown per field (list items counted together); the rest are summarised as 'N more'."""

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
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: ~15x faster than the pure-Python parser, which
matters for refusing a hostile 5 MB file quickly (same safe constructors, same resolver)."""
_DEFAULT_FIX = "check the value against the field's description (`contactsim schema` lists every field)"
_DIST_TAGS = {"exponential", "lognormal", "gamma", "deterministic", "uniform", "empirical"}


_BRANCH_NAMES = {"int", "float", "str", "bool", "constrained-int", "constrained-float", "constrained-str"}
_BRANCH_PREFIXES = ("list[", "dict[", "function-", "literal[", "tagged-union[", "nullable[", "union[")
_PLAIN_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq")} | {"!"}
_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 3, 12, 8, 80, 80


def _error(file: str, issues: list[Issue], kind: str) -> ContactsimError:
    return SweepError(file, issues) if kind == "sweep" else ScenarioError(file, issues)


def _is_branch(part: Any) -> bool:
    """pydantic names the branch of a union it tried; such names mean nothing to the user."""
    return isinstance(part, str) and (part in _DIST_TAGS or part in _BRANCH_NAMES or part.startswith(_BRANCH_PREFIXES))


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, bool):  # a YAML key such as `no:` read as false
            out += ("." if out else "") + str(part).lower()
        elif isinstance(part, int):
            out += f"[{part}]"
        elif _is_branch(part):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "<file>"


def _shown(value: Any) -> Any:
    """The offending value if it is short to show; None for big structures (never a full repr of a bomb)."""
    if isinstance(value, dict | list | tuple | set):
        short = _SHORT.repr(value)
        return None if "..." in short or len(short) > 80 else value
    return value


def _not_finite(value: Any) -> bool:
    return isinstance(value, float) and not math.isfinite(value)


def _quote_fix(value: Any) -> str:
    """Why YAML turned what the user wrote into a non-text value, and how to keep it text."""
    if isinstance(value, bool):
        return "put it in quotes: YAML reads unquoted yes/no/on/off/true/false as true or false"
    if isinstance(value, int | float):
        return ("put it in quotes ('...'): YAML reads unquoted numbers as numbers, and a clock time like 10:00 "
                "as the number 600")
    if isinstance(value, dt.date):
        return "put it in quotes: YAML reads unquoted dates such as 2024-01-31 as dates"
    return _FIXES["string_type"]


def issues_from_validation(err: ValidationError) -> list[Issue]:
    """One issue per pydantic error, deduplicated across union branches."""
    seen: set[tuple[str, str]] = set()
    union_paths: set[str] = set()
    out: list[Issue] = []
    for e in err.errors(include_url=False):
        loc = tuple(e["loc"])
        is_key = bool(loc) and loc[-1] == "[key]"  # a mapping key of the wrong type: loc ends (..., key, '[key]')
        path = _path(loc[:-2] if is_key else loc)
        msg = e["msg"].removeprefix("Value error, ")
        kind = e["type"]
        value = e.get("input") if kind != "missing" else None
        if kind == "extra_forbidden":
            msg = "unknown key"
        elif _not_finite(value) and kind not in ("missing", "extra_forbidden"):
            kind, msg = "finite_number", "must be a finite number"
        key = (path, msg)
        if key in seen:
            continue
        if any(_is_branch(p) for p in loc) and kind not in ("extra_forbidden", "missing"):
            if path in union_paths:  # a union's other branches failing too: the first reason is enough
                continue
            union_paths.add(path)
        seen.add(key)
        fix = _FIXES.get(kind) or _DEFAULT_FIX
        if kind == "value_error" and "; " in msg:  # our validators say 'problem; fix'
            msg, fix = msg.split("; ", 1)
        ctx = e.get("ctx") or {}
        for bound, words in (("ge", "at least"), ("gt", "above"), ("le", "at most"), ("lt", "below")):
            if bound in ctx and kind != "finite_number":
                fix = f"use a value {words} {ctx[bound]}"
        if kind in ("int_parsing", "float_parsing") and value in ("true", "false"):  # see schema._unbool
            msg, fix = "true/false where a number belongs", ("write the number; YAML reads unquoted "
                                                             "yes/no/on/off/true/false as true or false")
        if kind == "string_pattern_mismatch":
            msg = "must be a simple name"
        elif kind == "string_type":
            fix = _quote_fix(value)
            if is_key:
                msg = "names must be text"
        out.append(Issue(path, msg, _shown(value), fix))
    return cap_per_field(out)


def cap_per_field(issues: list[Issue], per_field: int = PER_FIELD) -> list[Issue]:
    """At most ``per_field`` problems per field (items of one list count as one field), then one line saying
    how many more there are: 200,000 unknown names must not print 200,000 lines."""
    import re

    seen: dict[str, int] = {}
    out: list[Issue] = []
    for issue in issues:
        field = re.sub(r"\[\d+\]", "[*]", issue.path)
        seen[field] = seen.get(field, 0) + 1
        if seen[field] <= per_field:
            out.append(issue)
    for field, n in seen.items():
        if n > per_field:
            out.append(Issue(field, f"... and {n - per_field:,} more problems like these", None,
                             "fix the ones shown first; the rest are of the same kind"))
    return out


class _Frame:
    """One open YAML collection while scanning the event stream."""

    __slots__ = ("anchor", "expect_key", "index", "key", "keys", "mapping", "start")

    def __init__(self, mapping: bool, anchor: str | None, start: int) -> None:
        self.mapping = mapping
        self.keys: dict[tuple[str, bool], int] = {}
        self.expect_key = True
        self.key = "?"
        self.index = -1
        self.anchor = anchor
        self.start = start


def _where(stack: list[_Frame], last: str) -> str:
    parts = [f.key if f.mapping else f"[{f.index}]" for f in stack[:-1]] + [last]
    return "".join(p if p.startswith("[") or i == 0 else f".{p}" for i, p in enumerate(parts))


def _tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def _check_events(text: str, file: str, kind: str = "scenario") -> None:
    """Scan the YAML event stream before building any Python object.

    Refuses at once what could exhaust time or memory (alias bombs, counted by the size they expand to;
    absurd nesting), and collects what would silently change the meaning of the file: object tags
    (``!!python/object``), duplicate keys (YAML keeps the last one) and several documents in one file.
    """
    issues: list[Issue] = []
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}
    aliases = expanded = documents = 0

    def refuse(message: str, fix: str) -> ContactsimError:
        return _error(file, [Issue("<file>", message, None, fix)], kind)

    bomb_fix = "write the values out instead of repeating anchors (&name) through aliases (*name)"
    try:
        for ev in yaml.parse(text, Loader=_LOADER):
            if isinstance(ev, yaml.DocumentStartEvent):
                documents += 1
                if documents == 2:
                    issues.append(Issue("<file>", f"a second YAML document starts at line {ev.start_mark.line + 1} "
                                        "('---'); a file holds one", None,
                                        "remove the '---' line and everything after it, or split the file"))
            if isinstance(ev, yaml.CollectionEndEvent):
                frame = stack.pop()
                if frame.anchor is not None:
                    anchors[frame.anchor] = expanded - frame.start
                continue
            if not isinstance(ev, yaml.NodeEvent):
                continue
            line = ev.start_mark.line + 1
            size = 1
            if isinstance(ev, yaml.AliasEvent):
                aliases += 1
                size = anchors.get(ev.anchor or "", 1)
                if aliases > MAX_ALIASES:
                    raise refuse(f"more than {MAX_ALIASES} YAML aliases (*refs): refused as a possible alias bomb",
                                 bomb_fix)
            expanded += size
            if expanded > MAX_NODES:
                what = "through YAML aliases: refused as a possible alias bomb" if aliases else "in all"
                raise refuse(f"expands to more than {MAX_NODES:,} values {what}",
                             bomb_fix if aliases else "split the file; a scenario needs far fewer values")
            top = stack[-1] if stack else None
            here = "<file>"
            if top is not None and top.mapping:
                if top.expect_key:
                    top.key = ev.value if isinstance(ev, yaml.ScalarEvent) else "?"
                    ident = (top.key, bool(isinstance(ev, yaml.ScalarEvent) and ev.implicit[0]))
                    if isinstance(ev, yaml.ScalarEvent) and top.key != "<<":
                        if ident in top.keys:
                            issues.append(Issue(_where(stack, top.key) or "<top>",
                                                f"appears twice (lines {top.keys[ident]} and {line}); YAML would "
                                                "silently keep only the last one", None,
                                                "remove or rename one of the two"))
                        else:
                            top.keys[ident] = line
                here = _where(stack, top.key) or "<top>"  # an empty key at the top level has no path
                top.expect_key = not top.expect_key
            elif top is not None:
                top.index += 1
                here = _where(stack, f"[{top.index}]")
                if top.index >= MAX_ITEMS:
                    raise refuse(f"the list at {_where(stack, '')[:-1] or '<top>'} has more than {MAX_ITEMS:,} "
                                 "items: refused before reading them", "no scenario field takes that many values")
            if top is not None and top.mapping and len(top.keys) > MAX_ITEMS:
                raise refuse(f"the mapping at {_where(stack, '')[:-1] or '<top>'} has more than {MAX_ITEMS:,} "
                             "keys: refused before reading them", "no scenario field takes that many entries")
            tag = getattr(ev, "tag", None)
            if tag is not None and tag not in _PLAIN_TAGS:
                issues.append(Issue(here, f"YAML tag '{_tag(tag)}' at line {line} is not allowed: a {kind} file "
                                    "holds plain data only and nothing in it is ever run", None,
                                    "remove the tag and write the plain value"))
            if isinstance(ev, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise refuse(f"nested deeper than {MAX_DEPTH} levels",
                                 "a scenario is a few levels deep; check the indentation")
                stack.append(_Frame(isinstance(ev, yaml.MappingStartEvent), ev.anchor, expanded))
            elif ev.anchor is not None and not isinstance(ev, yaml.AliasEvent):
                anchors[ev.anchor] = 1
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        if "nesting depth" in problem:  # libyaml's own depth limit, met while scanning ahead
            raise refuse(f"nested deeper than {MAX_DEPTH} levels",
                         "a scenario is a few levels deep; check the indentation") from None
        raise refuse(f"not valid YAML{where}: {problem}",
                     "check indentation (spaces, not tabs) and quoting near that line") from None
    if issues:
        raise _error(file, issues[:50], kind)


def read_yaml(path: str | Path, *, kind: str = "scenario") -> dict[str, Any]:
    """Safely read a YAML mapping from disk, with size, encoding and structure checks."""
    file = str(path)
    p = Path(path)

    def refuse(message: str, fix: str) -> ContactsimError:
        return _error(file, [Issue("<file>", message, None, fix)], kind)

    try:
        if not p.exists():
            raise refuse("file not found", "check the path")
        if not p.is_file():
            raise refuse("not a regular file", f"give the path of a {kind} .yaml file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise refuse(f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}",
                         f"a {kind} file is a few kB; check you gave the right file")
        with p.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)  # the file may grow after stat()
    except OSError as e:
        raise refuse(f"cannot be read: {e.strerror or e}", "check the path and its permissions") from None
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(f"file is over {MAX_FILE_BYTES:,} bytes", f"a {kind} file is a few kB")
    if b"\x00" in raw:
        raise refuse("binary data (NUL bytes), not a YAML text file", f"give the {kind} .yaml file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise refuse(f"not UTF-8 text (byte {e.start})", "save the file as UTF-8") from None
    return parse_yaml_text(text, file, kind=kind)


def parse_yaml_text(text: str, file: str = "<string>", *, kind: str = "scenario") -> dict[str, Any]:
    """Parse YAML text into a mapping with the safe loader, after :func:`_check_events` approved it."""

    def refuse(message: str, fix: str, value: Any = None) -> ContactsimError:
        return _error(file, [Issue("<file>", message, value, fix)], kind)

    if not text.strip():
        raise refuse("the file is empty", f"start from a bundled example in scenarios/ ({kind} files are YAML)")
    _check_events(text, file, kind)
    try:
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:  # pragma: no cover - _check_events already parsed and vetted it
        raise refuse(f"not valid YAML: {str(e).splitlines()[0]}", "fix the syntax") from None
    if data is None:
        raise refuse("the file is empty (only comments or blank lines)",
                     f"start from a bundled example in scenarios/ ({kind} files are YAML)")
    if not isinstance(data, dict):
        raise refuse(f"the top level must be a mapping of keys, not {type(data).__name__}",
                     "start the file with keys such as name:, horizon:, segments:")
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise refuse("top-level keys must be text", _quote_fix(bad_keys[0]), _shown(bad_keys))
    return data


def looks_like_sweep(data: Any) -> bool:
    """A sweep file (``base:`` and ``factors:``, no ``horizon:``) given where a scenario belongs."""
    return isinstance(data, dict) and "base" in data and "factors" in data and "horizon" not in data


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
        raise ScenarioError(file, cap_per_field(problems))
    return sc


def resolve_extends(data: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """A scenario may start from another in the same folder: ``extends: base.yaml``. The file's own keys
    are merged over the base (mappings key by key, anything else replaced), so a variant states only what
    it changes. The base may not extend another file."""
    if "extends" not in data:
        return data
    file = str(path)
    name = data["extends"]
    if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith(".") or not name.endswith(
            (".yaml", ".yml")):
        raise ScenarioError(file, [Issue("extends", "must name a .yaml file in the same folder", name,
                                         "write e.g. extends: base.yaml")])
    base = read_yaml(Path(path).parent / name)
    if "extends" in base:
        raise ScenarioError(file, [Issue("extends", f"{name} itself extends another file", name,
                                         "extend the file at the root of the chain (one level only)")])
    own = {k: v for k, v in data.items() if k != "extends"}
    return _merge(base, own)


def _merge(base: Any, own: Any) -> Any:
    if isinstance(base, dict) and isinstance(own, dict):
        out = dict(base)
        for k, v in own.items():
            out[k] = _merge(base[k], v) if k in base else v
        return out
    return own


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read (resolving ``extends``), override (dotted paths) and validate a scenario file."""
    data = read_yaml(path)
    if looks_like_sweep(data):
        raise NotAScenarioError(str(path), [Issue("<file>", "this is a sweep file (it has 'base' and 'factors'), "
                                                  "not a scenario", None, f"run it with: contactsim sweep {path}")])
    data = resolve_extends(data, path)
    if overrides:
        data = apply_overrides(data, overrides, file=str(path))
    return parse_scenario(_files_beside(data, Path(path).parent), str(path))


def _files_beside(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Dated input files (forecast, staffing) named relative to the scenario file, made absolute."""
    def fix(node: Any, key: str) -> None:
        if isinstance(node, dict) and isinstance(node.get(key), str) and not Path(node[key]).is_absolute():
            node[key] = str(folder / node[key])

    if isinstance(data.get("arrivals"), dict) or isinstance(data.get("pools"), dict):
        data = copy.deepcopy(data)
        fix(data.get("arrivals"), "forecast_file")
        for pool in (data.get("pools") or {}).values() if isinstance(data.get("pools"), dict) else []:
            fix(pool, "staffing_file")
    return data


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
