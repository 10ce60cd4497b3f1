"""The label editing session over a real store: every edit saved to the database and
the label file, pixel steps, clamping at the edges, undo byte for byte, statuses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.labels.dataset_support import CLASSES, label_file, make_dataset
from tuitrain.datasets.boxes import Box
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.label_edit import ImageLabelEditor, list_images
from tuitrain.datasets.service import DatasetService


@pytest.fixture
def service(home: Path) -> Iterator[DatasetService]:
    svc = DatasetService(home)
    yield svc
    svc.close()


def editor_for(service: DatasetService, dataset_id: int, filename: str) -> ImageLabelEditor:
    item = next(i for i in service.store.items(dataset_id) if i.filename == filename)
    return ImageLabelEditor(service.store, item, CLASSES)


def test_list_images(home: Path, tmp_path: Path, service: DatasetService) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    classes, entries = list_images(service.store, dataset_id)
    assert classes == CLASSES
    assert [(e.filename, e.status, e.boxes) for e in entries] == [
        ("img0.png", "labeled", 2),
        ("img1.png", "labeled", 1),
        ("img2.png", "labeled", 0),
        ("img3.png", "unlabeled", 0),
    ]


def test_edits_save_database_and_file(home: Path, tmp_path: Path, service: DatasetService) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    path = label_file(home, dataset_id, "img1")
    original = path.read_bytes()
    editor = editor_for(service, dataset_id, "img1.png")
    assert editor.size == (200, 100)
    row = editor.pixel_boxes()[0]
    assert (row.class_name, row.x, row.y, row.w, row.h) == ("bike", 140.0, 60.0, 60.0, 50.0)

    editor.move(10, -1)  # 10 px right (0.05), 1 px up (0.01)
    editor.resize(-20, 2)  # 20 px narrower, 2 px taller, top-left corner fixed
    editor.set_class(0)
    assert editor.save() is True
    assert editor.save() is False  # nothing new
    assert path.read_text() == "0 0.7 0.6 0.2 0.52\n"
    assert service.store.boxes(dataset_id)[editor.image_id] == [Box(0, 0.7, 0.6, 0.2, 0.52)]

    for _ in range(3):
        assert editor.undo()
    assert not editor.undo()
    editor.save()
    assert path.read_bytes() == original
    assert editor.redo() and editor.redo()
    editor.save()
    assert path.read_text() == "2 0.7 0.6 0.2 0.52\n"
    editor.add(1)  # a new edit drops the redo
    assert not editor.redo()
    editor.save()
    assert path.read_text() == "2 0.7 0.6 0.2 0.52\n1 0.5 0.5 0.25 0.25\n"
    assert not list(path.parent.glob(".*"))  # no temporary file left


def test_unlabeled_image_becomes_labeled_and_undo_removes_the_file(
    home: Path, tmp_path: Path, service: DatasetService
) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    path = label_file(home, dataset_id, "img3")
    assert not path.exists()
    editor = editor_for(service, dataset_id, "img3.png")
    assert editor.selected is None
    with pytest.raises(DatasetError, match="no box selected"):
        editor.move(1, 0)
    editor.add(2)
    editor.save()
    assert path.read_text() == "2 0.5 0.5 0.25 0.25\n"
    assert service.stats(dataset_id).unlabeled == 0
    editor.undo()
    editor.save()
    assert not path.exists()
    stats = service.stats(dataset_id)
    assert (stats.unlabeled, stats.boxes) == (1, 3)


def test_reviewed_toggle_and_background(
    home: Path, tmp_path: Path, service: DatasetService
) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    editor = editor_for(service, dataset_id, "img3.png")
    editor.toggle_reviewed()  # looked at: nothing to label
    editor.save()
    assert label_file(home, dataset_id, "img3").read_text() == ""
    stats = service.stats(dataset_id)
    assert (stats.reviewed, stats.background, stats.unlabeled) == (1, 2, 0)
    editor.toggle_reviewed()
    editor.save()
    assert service.stats(dataset_id).reviewed == 0
    assert service.store.image(editor.image_id).status == "labeled"


def test_moves_stop_at_the_edges(home: Path, tmp_path: Path, service: DatasetService) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    editor = editor_for(service, dataset_id, "img1.png")  # x 110..170, y 35..85 px
    for _ in range(10):
        editor.move(10, 10)
    left, top = editor.drawn_boxes()[0].x0, editor.drawn_boxes()[0].y0
    assert (round(left), round(top)) == (140, 50)  # against the right and bottom edges
    depth = len(editor.undo_stack)
    editor.move(10, 10)
    assert len(editor.undo_stack) == depth  # nothing moved, nothing to undo
    for _ in range(30):
        editor.resize(-10, -10)
    p = editor.pixel_boxes()[0]
    assert (round(p.w), round(p.h)) == (1, 1)
    editor.resize(500, 500)
    p = editor.pixel_boxes()[0]
    assert (round(p.x - p.w / 2 + p.w), round(p.y - p.h / 2 + p.h)) == (200, 100)


def test_delete_selection_and_class_errors(
    home: Path, tmp_path: Path, service: DatasetService
) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    editor = editor_for(service, dataset_id, "img0.png")
    editor.select(1)
    editor.delete()
    assert editor.selected == 0 and len(editor.boxes) == 1
    editor.delete()
    assert editor.selected is None and editor.boxes == ()
    editor.save()
    assert label_file(home, dataset_id, "img0").read_text() == ""
    with pytest.raises(DatasetError, match=r"class 7 does not exist \(0..2: car, person, bike\)"):
        editor.add(7)


def test_split_label_file_follows(home: Path, tmp_path: Path, service: DatasetService) -> None:
    dataset_id = make_dataset(home, tmp_path / "src", split=True)
    item = next(i for i in service.store.items(dataset_id) if i.filename == "img0.png")
    assert item.split is not None
    split_label = home / "datasets" / str(dataset_id) / item.split / "labels" / "img0.txt"
    editor = ImageLabelEditor(service.store, item, CLASSES)
    editor.delete()
    editor.save()
    assert split_label.read_text() == label_file(home, dataset_id, "img0").read_text()
    assert split_label.read_text() == "1 0.25 0.3 0.1 0.2\n"


def test_audio_dataset_has_no_boxes(home: Path, service: DatasetService) -> None:
    ds = service.create_dataset("sounds", "audio")
    with pytest.raises(DatasetError, match="is an audio dataset"):
        list_images(service.store, ds.id)
