"""Archives are checked member by member before anything is written."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from tuitrain.datasets.archives import safe_extract_zip
from tuitrain.datasets.errors import ArchiveRefused


def make_zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def test_a_good_archive_unpacks(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / "ok.zip", {"a/b.txt": b"1", "c.txt": b"2", "d/": b""})
    written = safe_extract_zip(archive, tmp_path / "out")
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in written) == [
        "a/b.txt",
        "c.txt",
    ]
    assert (tmp_path / "out" / "a" / "b.txt").read_bytes() == b"1"


@pytest.mark.parametrize(
    ("members", "links", "message"),
    [
        ({"ok.txt": b"1", "../evil.txt": b"x"}, None, "escapes the target folder"),
        ({"a/../../evil.txt": b"x"}, None, "escapes the target folder"),
        ({"/etc/evil.txt": b"x"}, None, "absolute path"),
        ({"ok.txt": b"1"}, {"link": "/etc/passwd"}, "symbolic link"),
    ],
)
def test_bad_archives_are_refused_before_writing(
    tmp_path: Path, members: dict[str, bytes], links: dict[str, str] | None, message: str
) -> None:
    archive = make_zip(tmp_path / "bad.zip", members, links)
    out = tmp_path / "deep" / "out"
    with pytest.raises(ArchiveRefused, match=message):
        safe_extract_zip(archive, out)
    assert list(out.iterdir()) == []
    assert not (tmp_path / "deep" / "evil.txt").exists()


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_text("nope")
    with pytest.raises(ArchiveRefused, match="not a readable zip"):
        safe_extract_zip(tmp_path / "x.zip", tmp_path / "out")
