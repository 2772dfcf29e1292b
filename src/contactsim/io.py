"""Writing results so that nothing half-written ever looks finished.

Files are written to a temporary name in the same folder and renamed into place (``os.replace`` is
atomic on POSIX and Windows); a run folder is built under a hidden ``.partial`` name and renamed as a
whole when everything in it is complete.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from contactsim.errors import ContactsimError, Issue

SAFE = re.compile(r"[^A-Za-z0-9_.\-]+")
_UMASK = os.umask(0)
os.umask(_UMASK)


def safe_name(text: str, fallback: str = "scenario") -> str:
    """A name usable as one path component: no separators, no '..', no leading dot."""
    name = SAFE.sub("_", str(text)).strip("._-")[:80]
    return name or fallback


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success rename it into place, on error remove it."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:  # name the file the user asked for, not our temporary name
        raise OSError(e.errno, e.strerror, str(path)) from None
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes owner-only files; results are meant to be shared
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, data: Any) -> None:
    write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


def write_csv(path: str | Path, df: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        df.to_csv(tmp, index=False, float_format="%.10g", lineterminator="\n")


def write_parquet(path: str | Path, df: pd.DataFrame) -> None:
    """Parquet with zstd; a float column of mostly distinct values (times, durations, costs) is stored
    byte-stream-split, which compresses such numbers far better than a dictionary (the values are exact)."""
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False, compression="zstd", **_encodings(df))


def _encodings(df: pd.DataFrame) -> dict:
    if not all(isinstance(c, str) for c in df.columns):
        return {}
    split = [c for c in df.columns if df[c].dtype.kind == "f" and _mostly_distinct(df[c].to_numpy())]
    if not split:
        return {}
    return {"use_dictionary": [c for c in df.columns if c not in split], "use_byte_stream_split": split}


def _mostly_distinct(values: np.ndarray, sample: int = 4096) -> bool:
    head = values[:sample]
    return np.unique(head).size > head.size // 4


def unique_dir(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-2`` ... if taken."""
    out = parent / name
    k = 2
    while out.exists():
        out = parent / f"{name}-{k}"
        k += 1
    return out


def _refuse(path: Path, message: str, fix: str, option: str) -> ContactsimError:
    return ContactsimError(option, [Issue(str(path), message, None, fix)], kind="option")


def _probe_writable(folder: Path, what: str, option: str) -> None:
    """Create and remove a file in the nearest existing ancestor of ``folder``: read-only folders and
    file systems fail here, before any simulation, not after it."""
    probe = folder
    while not probe.exists():
        if probe.is_symlink():
            raise _refuse(probe, "is a symbolic link to nothing (dangling)", "give an existing folder or a new "
                          "name", option)
        probe = probe.parent
    if not probe.is_dir():
        raise _refuse(probe, f"is a file, so the {what} cannot be created inside it",
                      "give a path whose parent is a folder", option)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".contactsim-probe-", dir=probe)
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise _refuse(probe, f"cannot write the {what} here: {e.strerror or e}",
                      "choose a folder you can write to (or fix its permissions)", option) from None


def check_writable_dir(folder: Path, what: str = "output folder", option: str = "--out") -> Path:
    """Check before any work that ``folder`` is (or can become) a folder we can write into.

    A regular file, a dangling symbolic link or an unwritable place is refused with one line naming the
    path; a symbolic link to a folder is followed. Returns the folder, links resolved.
    """
    folder = Path(folder)
    if folder.is_symlink() and not folder.exists():
        raise _refuse(folder, "is a symbolic link to nothing (dangling)", "give an existing folder or a new name",
                      option)
    if folder.exists() and not folder.is_dir():
        raise _refuse(folder, f"exists and is not a folder, so it cannot hold the {what}",
                      "give a new folder name (or remove the file)", option)
    folder = folder.resolve() if folder.exists() else folder
    _probe_writable(folder, what, option)
    return folder


def is_results_dir(folder: Path) -> bool:
    """A folder contactsim published (it holds a manifest.json with a ``kind``)."""
    try:
        return "kind" in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def check_new_dir(final: Path, force: bool = False, option: str = "--out") -> Path:
    """The destination of a run or comparison folder, checked before simulating.

    It must not exist, or be an empty folder, or (with ``force``) a results folder contactsim wrote,
    which is then replaced once the new one is complete. Anything else is refused with the path.
    """
    final = check_writable_dir(final, "results folder", option)
    if final.is_dir() and any(final.iterdir()):
        if not force:
            raise _refuse(final, "already exists and is not empty", "give a new --out folder, or add --force "
                          "to replace a results folder written by contactsim", option)
        if not is_results_dir(final):
            raise _refuse(final, "is not a contactsim results folder (no manifest.json), so --force will not "
                          "replace it", "give a new --out folder", option)
    return final


@contextlib.contextmanager
def staged_dir(final: Path, replace: bool = False) -> Iterator[tuple[Path, list[Path]]]:
    """Build a result folder under a hidden ``.NAME.partial`` name; rename it to ``final`` when complete.

    Yields (partial, published): after the block, ``published[0]`` is where the folder landed —
    ``final``; when ``final`` exists and is not empty, ``replace`` swaps it for the new folder, otherwise
    the folder lands at ``final-2``... (callers check the destination first: :func:`check_new_dir`). On any
    error, also while publishing, the partial folder is removed; a killed process leaves only a hidden
    ``.partial`` folder, never one that looks complete.
    """
    if final.is_symlink() and final.is_dir():
        final = final.resolve()  # build next to the real folder, so the rename stays on one file system
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = unique_dir(final.parent, f".{final.name}.partial")
    partial.mkdir(parents=True)
    published: list[Path] = []
    try:
        yield partial, published
        old = None
        if final.exists() or final.is_symlink():
            if not final.is_dir() or final.is_symlink():
                raise _refuse(final, "exists and is not a folder", "give a new folder name", "--out")
            if any(final.iterdir()):
                if replace:
                    old = unique_dir(final.parent, f".{final.name}.old")
                    os.replace(final, old)
                else:
                    final = unique_dir(final.parent, final.name)
            else:
                final.rmdir()
        os.replace(partial, final)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    published.append(final)


def within(base: Path, target: Path) -> bool:
    """True when ``target`` resolves inside ``base`` (guards names that came from files)."""
    try:
        target.resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False
