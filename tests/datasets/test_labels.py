"""YOLO and COCO labels: import, export, round trip, canonical class order."""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.datasets.helpers import write_image
from tuitrain.datasets.labels_yolo import read_data_yaml_names
from tuitrain.datasets.service import DatasetService


def yolo_source(root: Path, n: int, seed: int = 3) -> tuple[Path, Path]:
    rng = random.Random(seed)
    images, labels = root / "images", root / "labels"
    labels.mkdir(parents=True)
    (labels / "classes.txt").write_text("cat\ndog\nbird\n")
    for i in range(n):
        write_image(images / f"im{i}.png", 500 + i, size=(97 + i, 61 + 2 * i))
        lines = []
        for _ in range(0 if i == 0 else rng.randint(1, 4)):  # im0 is a background image
            w, h = rng.uniform(0.01, 0.5), rng.uniform(0.01, 0.5)
            x, y = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
            lines.append(f"{rng.randrange(3)} {x!r} {y!r} {w!r} {h!r}")
        (labels / f"im{i}.txt").write_text("".join(line + "\n" for line in lines))
    return images, labels


def read_boxes(folder: Path) -> dict[str, list[tuple[float, ...]]]:
    return {
        p.stem: [tuple(float(v) for v in line.split()) for line in p.read_text().splitlines()]
        for p in sorted(folder.glob("*.txt"))
        if p.name != "classes.txt"
    }


def test_yolo_coco_yolo_round_trip(service: DatasetService, tmp_path: Path) -> None:
    images, labels = yolo_source(tmp_path / "src", 8)
    first = service.create_dataset("first", "detection", ["cat", "dog", "bird"])
    assert service.import_files(first.id, [images], "yolo", labels).ok
    coco_dir = tmp_path / "as_coco"
    exported = service.export(first.id, "coco", coco_dir)
    assert (exported.images, exported.labeled) == (8, 8)
    doc = json.loads((coco_dir / "annotations.json").read_text())
    assert [c["name"] for c in doc["categories"]] == ["cat", "dog", "bird"]

    second = service.create_dataset("second", "detection")
    report = service.import_files(
        second.id, [coco_dir / "images"], "coco", coco_dir / "annotations.json"
    )
    assert report.ok and report.count("imported") == 8
    assert service.get_dataset(second.id).classes == ["cat", "dog", "bird"]
    yolo_dir = tmp_path / "back_to_yolo"
    service.export(second.id, "yolo", yolo_dir)

    original, back = read_boxes(labels), read_boxes(yolo_dir / "labels")
    assert original.keys() == back.keys() and original["im0"] == back["im0"] == []
    for stem, boxes in original.items():
        assert len(boxes) == len(back[stem])
        for a, b in zip(boxes, back[stem], strict=True):
            assert a[0] == b[0]
            assert max(abs(u - v) for u, v in zip(a[1:], b[1:], strict=True)) < 1e-6
    assert (yolo_dir / "classes.txt").read_text() == "cat\ndog\nbird\n"
    assert read_data_yaml_names(yolo_dir / "data.yaml") == {0: "cat", 1: "dog", 2: "bird"}


def test_classes_follow_the_dataset_order_and_new_ones_append(
    service: DatasetService, tmp_path: Path
) -> None:
    write_image(tmp_path / "img" / "a.png", 1)
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "classes.txt").write_text("cat\ndog\nfish\n")
    (labels / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0.2 0.2\n2 0.5 0.5 0.2 0.2\n")
    ds = service.create_dataset("order", "detection", ["dog", "cat"])
    report = service.import_files(ds.id, [tmp_path / "img"], "yolo", labels)
    assert report.classes_added == ["fish"]
    assert service.get_dataset(ds.id).classes == ["dog", "cat", "fish"]
    layout = service.store.layout(ds.id)
    assert layout.classes_txt.read_text() == "dog\ncat\nfish\n"
    assert [line.split()[0] for line in (layout.labels / "a.txt").read_text().splitlines()] == [
        "1",
        "0",
        "2",
    ]


def test_labels_for_images_already_in_the_dataset(service: DatasetService, tmp_path: Path) -> None:
    write_image(tmp_path / "img" / "a.png", 1)
    write_image(tmp_path / "img" / "b.png", 2)
    ds = service.create_dataset("later", "detection", ["cat"])
    service.import_files(ds.id, [tmp_path / "img"])
    assert service.stats(ds.id).unlabeled == 2
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (labels / "b.txt").write_text("3 0.5 0.5 0.2 0.2\n")
    report = service.import_files(ds.id, [], "yolo", labels)
    outcome = {Path(o.path).name: o for o in report.outcomes}
    assert outcome["a.txt"].outcome == "labels"
    assert outcome["b.txt"].outcome == "refused"
    assert "class id 3 unknown (known: 0..0)" in outcome["b.txt"].problems[0]
    stats = service.stats(ds.id)
    assert (stats.labeled, stats.unlabeled, stats.boxes) == (1, 1, 1)


def test_coco_problems_are_reported(service: DatasetService, tmp_path: Path) -> None:
    for name, seed in (("ok.png", 1), ("outside.png", 2), ("unknown.png", 3), ("size.png", 4)):
        write_image(tmp_path / "img" / name, seed, size=(100, 50))
    write_image(tmp_path / "img" / "bg.png", 5, size=(100, 50))
    doc = {
        "images": [
            {"id": 1, "file_name": "ok.png", "width": 100, "height": 50},
            {"id": 2, "file_name": "outside.png", "width": 100, "height": 50},
            {"id": 3, "file_name": "unknown.png", "width": 100, "height": 50},
            {"id": 4, "file_name": "size.png", "width": 200, "height": 50},
            {"id": 5, "file_name": "sub/bg.png", "width": 100, "height": 50},
        ],
        "annotations": [
            {"id": 10, "image_id": 1, "category_id": 1, "bbox": [10, 10, 20, 20]},
            {"id": 11, "image_id": 2, "category_id": 1, "bbox": [90, 10, 20, 20]},
            {"id": 12, "image_id": 3, "category_id": 9, "bbox": [10, 10, 20, 20]},
            {"id": 13, "image_id": 4, "category_id": 2, "bbox": [10, 10, 20, 20]},
            {"id": 14, "image_id": 77, "category_id": 2, "bbox": [10, 10, 20, 20]},
        ],
        # Roboflow's layout: category 0 only groups the classes.
        "categories": [
            {"id": 0, "name": "animals", "supercategory": "none"},
            {"id": 1, "name": "cat", "supercategory": "animals"},
            {"id": 2, "name": "dog", "supercategory": "animals"},
        ],
    }
    coco = tmp_path / "ann.json"
    coco.write_text(json.dumps(doc))
    ds = service.create_dataset("coco", "detection")
    report = service.import_files(ds.id, [tmp_path / "img"], "coco", coco)
    outcome = {Path(o.path).name: o for o in report.outcomes}
    assert outcome["ok.png"].outcome == outcome["bg.png"].outcome == "imported"
    assert "box extends outside the image" in outcome["outside.png"].problems[0]
    assert "annotation 12: class id 9 unknown" in outcome["unknown.png"].problems[0]
    assert "says 200x50, the image is 100x50" in outcome["size.png"].problems[0]
    assert any("image_id 77 is not in images" in n for n in report.notes)
    assert service.get_dataset(ds.id).classes == ["cat", "dog"]
    stats = service.stats(ds.id)
    assert (stats.labeled, stats.background, stats.boxes) == (2, 1, 1)
    box = next(iter(service.store.boxes(ds.id).values()))[0]
    assert (box.class_id, box.x_center, box.y_center, box.width, box.height) == (
        0,
        0.2,
        0.4,
        0.2,
        0.4,
    )


def test_data_yaml_names_in_every_spelling(tmp_path: Path) -> None:
    spellings = {
        "flow.yaml": "train: x\nnames: ['a', \"b c\", d]\nnc: 3\n",
        "block.yaml": "names:\n- a\n- b c\n- d\nnc: 3\n",
        "mapping.yaml": "nc: 3\nnames:\n  0: a\n  1: 'b c'\n  2: d  # last\n",
    }
    for name, text in spellings.items():
        (tmp_path / name).write_text(text)
        assert read_data_yaml_names(tmp_path / name) == {0: "a", 1: "b c", 2: "d"}, name


def test_labels_beside_the_images(service: DatasetService, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    write_image(folder / "a.png", 1)
    write_image(folder / "b.png", 2)
    (folder / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (folder / "b.txt").write_text("")
    (folder / "classes.txt").write_text("cat\n")
    ds = service.create_dataset("beside", "detection")
    report = service.import_files(ds.id, [folder], "yolo", folder)
    assert [(Path(o.path).name, o.outcome) for o in report.outcomes] == [
        ("a.png", "imported"),
        ("b.png", "imported"),
    ]
    assert service.get_dataset(ds.id).classes == ["cat"]
    assert service.stats(ds.id).background == 1
