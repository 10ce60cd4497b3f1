"""The images of a request: files as given, folders expanded to the images inside."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

IMAGE_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".dng", ".mpo"}
)


def collect_images(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, str | None]]:
    """``(absolute path, error or None)`` for each image, in the order given; a folder
    gives its images (recursively, sorted by path). A file is kept whatever its name, so
    the runner says why a non-image cannot be read; a missing path or a folder without
    images is an error of its own, and the rest still goes through."""
    out: list[tuple[str, str | None]] = []
    for given in paths:
        path = Path(given).expanduser()
        shown = os.path.abspath(path)
        if path.is_dir():
            found = sorted(
                str(p.resolve())
                for p in path.rglob("*")
                if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()
            )
            out += [(p, None) for p in found]
            if not found:
                out.append((shown, f"no images in folder: {shown}"))
        elif path.is_file():
            out.append((shown, None))
        elif path.exists():
            out.append((shown, f"not a file: {shown}"))
        else:
            out.append((shown, f"no such file: {shown}"))
    return out
