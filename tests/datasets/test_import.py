"""Importing a folder of real files: each problem named, nothing half-imported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.datasets.helpers import truncated_jpeg, write_image
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.service import DatasetService


def mixed_folder(root: Path) -> tuple[Path, Path]:
    src = root / "incoming"
    write_image(src / "good1.png", 1)
    write_image(src / "good2.jpg", 2, fmt="JPEG")
    write_image(src / "good3.png", 3)
    write_image(src / "badlabels.png", 4)
    (src / "notes.jpg").write_text("this is not a picture\n")
    truncated_jpeg(src / "broken.jpg")
    (src / "empty.png").write_bytes(b"")
    (src / "zz_dup_of_good1.png").write_bytes((src / "good1.png").read_bytes())
    labels = root / "labels"
    labels.mkdir()
    (labels / "classes.txt").write_text("cat\ndog\nbird\n")
    (labels / "good1.txt").write_text("0 0.5 0.5 0.2 0.2\n2 0.25 0.75 0.1 0.3\n")
    (labels / "good2.txt").write_text("")
    (labels / "badlabels.txt").write_text(
        "1 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.1 0.1\n0 1.4 0.5 0.1 0.1\n0 0.5 0.5\n"
    )
    (labels / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    return src, labels


def files_under(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_mixed_folder_report_names_every_problem(service: DatasetService, tmp_path: Path) -> None:
    src, labels = mixed_folder(tmp_path)
    ds = service.create_dataset("mixed", "detection", ["cat", "dog", "bird"])
    seen: list[tuple[int, int]] = []
    report = service.import_files(
        ds.id, [src], "yolo", labels, on_progress=lambda d, t: seen.append((d, t))
    )
    by_name = {Path(o.path).name: o for o in report.outcomes}
    assert {n for n, o in by_name.items() if o.outcome == "imported"} == {
        "good1.png",
        "good2.jpg",
        "good3.png",
    }
    assert by_name["zz_dup_of_good1.png"].outcome == "duplicate"
    assert "good1.png" in by_name["zz_dup_of_good1.png"].detail
    assert by_name["notes.jpg"].outcome == "refused"
    assert "content is text" in by_name["notes.jpg"].detail
    assert by_name["broken.jpg"].outcome == "refused"
    assert "truncated" in by_name["broken.jpg"].detail
    assert by_name["empty.png"].detail == "empty file (0 bytes)"
    bad = by_name["badlabels.png"]
    assert bad.outcome == "refused" and "3 problem" in bad.detail
    assert any("line 2: class id 7 unknown" in p for p in bad.problems)
    assert any("line 3: x_center 1.4 out of range" in p for p in bad.problems)
    assert any("line 4: expected 5 values" in p for p in bad.problems)
    assert any("orphan.txt" in n and "no image" in n for n in report.notes)
    assert not report.ok and report.count("imported") == 3
    assert seen[-1] == (8, 8) and [d for d, _ in seen] == list(range(1, 9))

    layout = service.store.layout(ds.id)
    assert files_under(layout.images) == ["good1.png", "good2.jpg", "good3.png"]
    assert files_under(layout.labels) == ["good1.txt", "good2.txt"]
    assert (layout.labels / "good2.txt").read_text() == ""  # background image kept
    assert not [p for p in layout.root.iterdir() if p.name.startswith(".")]  # no staging left
    items = {i.filename: i for i in service.store.items(ds.id)}
    assert {n: i.status for n, i in items.items()} == {
        "good1.png": "labeled",
        "good2.jpg": "labeled",
        "good3.png": "unlabeled",
    }
    assert (items["good2.jpg"].width, items["good2.jpg"].height) == (32, 24)
    assert items["good1.png"].size_bytes == (src / "good1.png").stat().st_size
    assert len(items["good1.png"].sha256) == 64
    boxes = service.store.boxes(ds.id)
    good1_id = items["good1.png"].id
    assert good1_id is not None
    assert [b.class_id for b in boxes[good1_id]] == [0, 2]

    again = service.import_files(ds.id, [src / "good1.png", src / "good3.png"])
    assert [o.outcome for o in again.outcomes] == ["duplicate", "duplicate"]
    assert "already in the dataset" in again.outcomes[0].detail


def test_content_decides_not_the_extension(service: DatasetService, tmp_path: Path) -> None:
    write_image(tmp_path / "really_a_png.jpg", 9, fmt="PNG")
    ds = service.create_dataset("ext", "detection", ["a"])
    report = service.import_files(ds.id, [tmp_path / "really_a_png.jpg"])
    assert report.outcomes[0].detail == "-> images/really_a_png.png"


def test_size_limit(service: DatasetService, tmp_path: Path) -> None:
    big = write_image(tmp_path / "big.png", 1, size=(300, 300))
    ds = service.create_dataset("limit", "detection", ["a"])
    report = service.import_files(ds.id, [big], max_bytes=100)
    assert report.outcomes[0].outcome == "refused"
    assert report.outcomes[0].detail.startswith("too large:")


def test_a_failure_while_committing_leaves_nothing(
    service: DatasetService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, labels = mixed_folder(tmp_path)
    ds = service.create_dataset("atomic", "detection", ["cat", "dog", "bird"])
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> None:
        calls.append(str(b))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(a, b)

    monkeypatch.setattr("tuitrain.datasets.importer.os.replace", failing_replace)
    with pytest.raises(OSError, match="No space left"):
        service.import_files(ds.id, [src], "yolo", labels)
    layout = service.store.layout(ds.id)
    assert len(calls) == 2
    assert files_under(layout.images) == []
    assert service.store.items(ds.id) == []
    assert service.store.boxes(ds.id) == {}
    assert not [p for p in layout.root.iterdir() if p.name.startswith(".")]


def test_an_interrupted_import_leaves_nothing(service: DatasetService, tmp_path: Path) -> None:
    src, _ = mixed_folder(tmp_path)
    ds = service.create_dataset("interrupted", "detection", ["cat"])

    def interrupt(done: int, total: int) -> None:
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        service.import_files(ds.id, [src], on_progress=interrupt)
    layout = service.store.layout(ds.id)
    assert files_under(layout.images) == []
    assert service.store.items(ds.id) == []
    assert not [p for p in layout.root.iterdir() if p.name.startswith(".")]


def test_globs_and_missing_paths(service: DatasetService, tmp_path: Path) -> None:
    for i in range(3):
        write_image(tmp_path / "g" / f"img{i}.png", 100 + i)
    ds = service.create_dataset("glob", "detection", ["a"])
    report = service.import_files(ds.id, [str(tmp_path / "g" / "img[01].png")])
    assert report.count("imported") == 2
    with pytest.raises(DatasetError, match="no such file or folder"):
        service.import_files(ds.id, [tmp_path / "nope"])
    with pytest.raises(DatasetError, match="no files match"):
        service.import_files(ds.id, [str(tmp_path / "g" / "*.gif")])


def test_same_name_different_content_gets_a_unique_name(
    service: DatasetService, tmp_path: Path
) -> None:
    write_image(tmp_path / "a" / "x.png", 1)
    write_image(tmp_path / "b" / "x.png", 2)
    ds = service.create_dataset("names", "detection", ["a"])
    service.import_files(ds.id, [tmp_path / "a"])
    service.import_files(ds.id, [tmp_path / "b"])
    names = [i.filename for i in service.store.items(ds.id)]
    assert names[0] == "x.png" and names[1].startswith("x-") and names[1].endswith(".png")
    assert len({Path(n).stem for n in names}) == 2  # label files cannot collide


def test_bad_input_is_one_line_errors(service: DatasetService, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="unknown task"):
        service.create_dataset("x", "segmentation")
    with pytest.raises(DatasetError, match="given twice"):
        service.create_dataset("x", "detection", ["a", "a"])
    service.create_dataset("x", "detection", ["a"])
    with pytest.raises(DatasetError, match="already exists"):
        service.create_dataset("x", "detection")
    with pytest.raises(DatasetError, match="no dataset with id 99"):
        service.import_files(99, [tmp_path])
