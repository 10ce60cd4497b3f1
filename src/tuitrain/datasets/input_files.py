"""Which files an import is about: files, folders (walked, hidden entries skipped) and
glob patterns; and the safe stem a stored file gets."""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Sequence
from pathlib import Path

from tuitrain.datasets.errors import DatasetError


def collect_files(arguments: Sequence[str | Path], exclude: Sequence[Path] = ()) -> list[Path]:
    """Files named by the arguments: files, folders (walked, hidden entries skipped) or
    glob patterns. A name that matches nothing is an error."""
    excluded = {p.resolve() for p in exclude}  # files (e.g. label files), not folders
    found: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved in seen or resolved in excluded:
            return
        seen.add(resolved)
        found.append(path)

    for arg in arguments:
        path = Path(arg).expanduser()
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        add(Path(root) / name)
        elif path.is_file():
            add(path)
        elif glob.has_magic(str(arg)):
            matches = [Path(m) for m in sorted(glob.glob(str(path), recursive=True))]
            matched = [m for m in matches if m.is_file()]
            if not matched:
                raise DatasetError(f"no files match {arg}")
            for m in matched:
                add(m)
        else:
            raise DatasetError(f"no such file or folder: {arg}")
    return found


def safe_stem(name: str) -> str:
    stem = re.sub(r"[^\w.+-]", "_", Path(name).stem).strip("._") or "file"
    return stem[:150]
