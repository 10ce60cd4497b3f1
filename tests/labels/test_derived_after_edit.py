"""Label edits reach every file a training reads: after each save the split's COCO JSON
(what DETR reads) and its YOLO label copies hold exactly the edited boxes, undo gives
back the files byte for byte, and the DETR runner's own reader sees the edit."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.labels.dataset_support import CLASSES, make_dataset
from tuitrain.datasets.derived_files import materialise_split
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.label_edit import ImageLabelEditor
from tuitrain.datasets.layout import COCO_SPLIT_FILE, training_path
from tuitrain.datasets.service import DatasetService
from tuitrain.runners.detr_data import load_detection_data


@pytest.fixture
def service(home: Path) -> Iterator[DatasetService]:
    svc = DatasetService(home)
    yield svc
    svc.close()


@pytest.fixture
def dataset_id(home: Path, tmp_path: Path) -> int:
    return make_dataset(home, tmp_path / "src", split=True)


def editor_for(service: DatasetService, dataset_id: int, filename: str) -> ImageLabelEditor:
    item = next(i for i in service.store.items(dataset_id) if i.filename == filename)
    return ImageLabelEditor(service.store, item, CLASSES)


def split_of(service: DatasetService, dataset_id: int, filename: str) -> str:
    item = next(i for i in service.store.items(dataset_id) if i.filename == filename)
    assert item.split is not None
    return item.split


def coco_path(home: Path, dataset_id: int, split: str) -> Path:
    return home / "datasets" / str(dataset_id) / split / COCO_SPLIT_FILE


def coco_boxes(path: Path, filename: str) -> list[tuple[int, list[float]]]:
    """(category id, bbox) of one image's annotations, in file order."""
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    image_id = next(i["id"] for i in doc["images"] if i["file_name"] == filename)
    return [(a["category_id"], a["bbox"]) for a in doc["annotations"] if a["image_id"] == image_id]


def approx_boxes(boxes: list[tuple[int, list[float]]]) -> list[tuple[int, Any]]:
    return [(cid, pytest.approx(bbox)) for cid, bbox in boxes]


def all_coco_bytes(home: Path, dataset_id: int) -> dict[str, bytes]:
    root = home / "datasets" / str(dataset_id)
    return {p.parent.name: p.read_bytes() for p in sorted(root.glob(f"*/{COCO_SPLIT_FILE}"))}


def edit_img0(editor: ImageLabelEditor) -> None:
    """Add, move, change class, delete; saved after each step as the editor screen does.
    img0 is 200x100 with car [80, 30, 40, 40] and person [40, 20, 20, 20] (pixels)."""
    editor.add(2)  # bike, centred, a quarter of each side: [75, 37.5, 50, 25]
    editor.save()
    editor.move(10, -5)  # [85, 32.5, 50, 25]
    editor.save()
    editor.select(0)
    editor.set_class(1)  # the car becomes a person
    editor.save()
    editor.select(1)
    editor.delete()  # the original person goes
    assert editor.save() is True


EDITED_IMG0 = [(1, [80.0, 30.0, 40.0, 40.0]), (2, [85.0, 32.5, 50.0, 25.0])]


def test_edits_reach_the_split_coco_json_and_yolo_copy(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    split = split_of(service, dataset_id, "img0.png")
    path = coco_path(home, dataset_id, split)
    before = json.loads(path.read_text())
    assert coco_boxes(path, "img0.png") == [
        (0, [80.0, 30.0, 40.0, 40.0]),
        (1, [40.0, 20.0, 20.0, 20.0]),
    ]

    edit_img0(editor_for(service, dataset_id, "img0.png"))

    after = json.loads(path.read_text())
    assert coco_boxes(path, "img0.png") == approx_boxes(EDITED_IMG0)
    # The canonical class order, unchanged; other images' boxes untouched.
    assert after["categories"] == before["categories"]
    assert [(c["id"], c["name"]) for c in after["categories"]] == list(enumerate(CLASSES))
    assert after["images"] == before["images"]
    others = [a for a in before["annotations"] if a["image_id"] != editor_image_id(before)]
    assert [
        strip_id(a) for a in after["annotations"] if a["image_id"] != editor_image_id(after)
    ] == [strip_id(a) for a in others]
    assert [a["id"] for a in after["annotations"]] == list(range(1, len(after["annotations"]) + 1))

    root = home / "datasets" / str(dataset_id)
    yolo = "1 0.5 0.5 0.2 0.4\n2 0.55 0.45 0.25 0.25\n"
    assert (root / split / "labels" / "img0.txt").read_text() == yolo
    assert (root / "labels" / "img0.txt").read_text() == yolo
    assert not list(root.rglob("*.tmp"))


def editor_image_id(doc: dict[str, Any]) -> int:
    return int(next(i["id"] for i in doc["images"] if i["file_name"] == "img0.png"))


def strip_id(annotation: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in annotation.items() if k != "id"}


def test_undo_gives_back_the_coco_json_byte_for_byte(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    original = all_coco_bytes(home, dataset_id)
    assert set(original) >= {"train", "val"}
    editor = editor_for(service, dataset_id, "img0.png")
    edit_img0(editor)
    edited = all_coco_bytes(home, dataset_id)
    assert edited != original

    while editor.undo():
        editor.save()
    assert all_coco_bytes(home, dataset_id) == original

    while editor.redo():
        editor.save()
    assert all_coco_bytes(home, dataset_id) == edited


def test_the_detr_reader_sees_the_edit(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    edit_img0(editor_for(service, dataset_id, "img0.png"))
    root = home / "datasets" / str(dataset_id)

    def img0_boxes(source: str) -> list[tuple[int, list[float]]]:
        data = load_detection_data(source)
        assert list(data.id2label.values()) == CLASSES
        found = [
            boxes
            for split in (data.train, data.val)
            for path, _w, _h, boxes in split.images
            if Path(path).name == "img0.png"
        ]
        assert len(found) == 1
        return found[0]

    # The COCO folder (train/ and val/ _annotations.coco.json) and the data.yaml a
    # store dataset hands to DETR both carry the edited boxes.
    assert img0_boxes(str(root)) == approx_boxes(EDITED_IMG0)
    assert img0_boxes(training_path(str(root), "detr")) == approx_boxes(EDITED_IMG0)


def test_stats_and_class_files_follow(home: Path, dataset_id: int, service: DatasetService) -> None:
    root = home / "datasets" / str(dataset_id)
    class_files = {p: p.read_bytes() for p in (root / "data.yaml", root / "classes.txt")}
    edit_img0(editor_for(service, dataset_id, "img0.png"))
    stats = service.stats(dataset_id)
    assert stats.boxes == 3  # img0: 2 (was 2), img1: 1
    assert stats.boxes_per_class == {"car": 0, "person": 1, "bike": 2}
    assert {p: p.read_bytes() for p in class_files} == class_files


def test_an_image_outside_the_splits_leaves_them_alone(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    original = all_coco_bytes(home, dataset_id)
    editor = editor_for(service, dataset_id, "img3.png")  # unlabeled: not in a split
    assert editor.derived_files(None) == [home / "datasets" / str(dataset_id) / "labels/img3.txt"]
    editor.add(0)
    assert editor.save() is True
    assert all_coco_bytes(home, dataset_id) == original


def test_two_editors_saving_at_once_keep_both_edits(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    """The next image's editor can save while the last one's save is in flight; the
    split's COCO JSON must end up with both edits."""
    images = ("img0.png", "img1.png", "img2.png")
    by_split: dict[str, list[str]] = {}
    for name in images:
        by_split.setdefault(split_of(service, dataset_id, name), []).append(name)
    split, names = max(by_split.items(), key=lambda kv: len(kv[1]))
    assert len(names) >= 2
    editors = [editor_for(service, dataset_id, name) for name in names[:2]]
    for editor in editors:
        editor.add(2)
    barrier = threading.Barrier(len(editors))
    errors: list[BaseException] = []

    def save(editor: ImageLabelEditor) -> None:
        barrier.wait()
        try:
            editor.save()
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(e,)) for e in editors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    path = coco_path(home, dataset_id, split)
    for editor in editors:
        assert coco_boxes(path, editor.item.filename)[-1] == (2, [75.0, 37.5, 50.0, 25.0])


def test_a_file_that_cannot_be_written_changes_nothing(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    split = split_of(service, dataset_id, "img0.png")
    root = home / "datasets" / str(dataset_id)
    labels = root / split / "labels"
    backup = root / "labels-backup"
    labels.rename(backup)
    labels.write_text("not a folder")  # the split label copy cannot be staged
    original = all_coco_bytes(home, dataset_id)
    main_label = (root / "labels" / "img0.txt").read_bytes()
    editor = editor_for(service, dataset_id, "img0.png")
    boxes_before = service.store.image_boxes(editor.image_id)

    editor.add(2)
    with pytest.raises(DatasetError, match=r"cannot write .*img0\.txt"):
        editor.save()
    assert editor.dirty  # the edit is still there to save again
    assert service.store.image_boxes(editor.image_id) == boxes_before
    assert all_coco_bytes(home, dataset_id) == original
    assert (root / "labels" / "img0.txt").read_bytes() == main_label
    assert not list(root.rglob("*.tmp"))

    labels.unlink()
    backup.rename(labels)
    assert editor.save() is True
    assert coco_boxes(coco_path(home, dataset_id, split), "img0.png")[-1] == (
        2,
        [75.0, 37.5, 50.0, 25.0],
    )


def test_a_save_after_a_new_split_writes_the_new_split(
    home: Path, dataset_id: int, service: DatasetService
) -> None:
    """The split is read when saving, not when the editor opened: an editor left open
    across a re-split writes the split the image is in now."""
    editor = editor_for(service, dataset_id, "img0.png")
    old = split_of(service, dataset_id, "img0.png")
    # Another split: img0 swaps places with an image of another split.
    assigned = {i.id: i.split for i in service.store.items(dataset_id) if i.id and i.split}
    other = next(image_id for image_id, split in assigned.items() if split != old)
    new = assigned[other]
    assigned[editor.image_id], assigned[other] = new, old
    service.store.set_splits(dataset_id, assigned)
    materialise_split(service.store, dataset_id, assigned, seed=0)
    assert split_of(service, dataset_id, "img0.png") == new
    editor.add(2)
    assert editor.save() is True
    root = home / "datasets" / str(dataset_id)
    assert coco_boxes(coco_path(home, dataset_id, new), "img0.png")[-1] == (
        2,
        [75.0, 37.5, 50.0, 25.0],
    )
    assert (root / new / "labels" / "img0.txt").read_text().endswith("2 0.5 0.5 0.25 0.25\n")
    assert not (root / old / "labels" / "img0.txt").exists()
