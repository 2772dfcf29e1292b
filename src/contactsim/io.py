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

import pandas as pd

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
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
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
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


def unique_dir(parent: Path, name: str) -> Path:
    """``parent/name``, or ``parent/name-2`` ... if taken."""
    out = parent / name
    k = 2
    while out.exists():
        out = parent / f"{name}-{k}"
        k += 1
    return out


@contextlib.contextmanager
def staged_dir(final: Path) -> Iterator[tuple[Path, list[Path]]]:
    """Build a result folder under a hidden ``.NAME.partial`` name; rename it to ``final`` when complete.

    Yields (partial, published): after the block, ``published[0]`` is where the folder landed —
    ``final``, or ``final-2``... when ``final`` exists and is not empty. On an error the partial folder is
    removed; a killed process leaves only a hidden ``.partial`` folder, never one that looks complete.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = unique_dir(final.parent, f".{final.name}.partial")
    partial.mkdir(parents=True)
    published: list[Path] = []
    try:
        yield partial, published
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    if final.exists():
        if any(final.iterdir()):
            final = unique_dir(final.parent, final.name)
        else:
            final.rmdir()
    os.replace(partial, final)
    published.append(final)


def within(base: Path, target: Path) -> bool:
    """True when ``target`` resolves inside ``base`` (guards names that came from files)."""
    try:
        target.resolve().relative_to(base.resolve())
        return True
    except ValueError:
        return False
