"""Unpacking downloaded archives without trusting them.

Every member is checked before anything is written: no absolute names, no ``..``, no
links and no devices, a bounded total size. One bad member refuses the whole archive.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from tuitrain.datasets.errors import ArchiveRefused

MAX_MEMBERS = 1_000_000
MAX_TOTAL_BYTES = 64 * 1024**3


def check_zip_members(archive: zipfile.ZipFile, max_total_bytes: int = MAX_TOTAL_BYTES) -> None:
    """Raise :class:`ArchiveRefused` for the first member that is not safe to unpack."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused(f"archive refused: {len(infos)} members (limit {MAX_MEMBERS})")
    total = 0
    for info in infos:
        _member_parts(info.filename)
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the archiver set no type
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            what = "a symbolic link" if kind == stat.S_IFLNK else "not a regular file"
            raise ArchiveRefused(f"archive refused: member {info.filename!r} is {what}")
        total += info.file_size
        if total > max_total_bytes:
            raise ArchiveRefused(
                f"archive refused: unpacks to more than {max_total_bytes // 1024**3} GiB"
            )


def _member_parts(name: str) -> tuple[str, ...]:
    normalised = name.replace("\\", "/")
    path = PurePosixPath(normalised)
    if not normalised or path.is_absolute() or (len(normalised) > 1 and normalised[1] == ":"):
        raise ArchiveRefused(f"archive refused: member {name!r} has an absolute path")
    parts = tuple(p for p in path.parts if p not in ("", "."))
    if ".." in parts:
        raise ArchiveRefused(f"archive refused: member {name!r} escapes the target folder")
    if any("\x00" in p for p in parts):
        raise ArchiveRefused(f"archive refused: member {name!r} has a NUL in its name")
    return parts


def safe_extract_zip(zip_path: Path, dest: Path) -> list[Path]:
    """Unpack ``zip_path`` into ``dest`` after checking every member; return the files."""
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    written: list[Path] = []
    try:
        archive = zipfile.ZipFile(zip_path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveRefused(f"archive refused: not a readable zip ({exc})") from exc
    with archive:
        check_zip_members(archive)
        for info in archive.infolist():
            parts = _member_parts(info.filename)
            if not parts:
                continue
            target = root.joinpath(*parts)
            # Parents created by earlier members are real folders (no links are ever
            # written), so the resolved target must still be inside the root.
            if not target.resolve().is_relative_to(root):
                raise ArchiveRefused(
                    f"archive refused: member {info.filename!r} escapes the target folder"
                )
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as src, target.open("xb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
            except FileExistsError as exc:
                raise ArchiveRefused(
                    f"archive refused: member {info.filename!r} appears twice"
                ) from exc
            except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
                raise ArchiveRefused(f"archive refused: corrupt member {info.filename!r}") from exc
            written.append(target)
    return written
