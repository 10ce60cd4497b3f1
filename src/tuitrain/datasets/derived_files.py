"""Files derived from the database: ``labels/*.txt``, ``classes.txt``, ``data.yaml``, and
the split folders. The database is the truth; these are rewritten from it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from tuitrain.datasets.boxes import Box
from tuitrain.datasets.labels_coco import CocoImage, coco_document
from tuitrain.datasets.labels_yolo import classes_txt_text, data_yaml_text, yolo_text
from tuitrain.datasets.layout import SPLITS
from tuitrain.datasets.split import SplitImage, SplitReport, write_split_folders
from tuitrain.datasets.store import DatasetStore, dataset_classes


def write_class_files(store: DatasetStore, dataset_id: int) -> None:
    """classes.txt and data.yaml (which names the split folders that exist)."""
    ds = store.get(dataset_id)
    if ds.task == "audio":
        return
    layout = store.layout(dataset_id)
    classes = dataset_classes(ds)
    layout.classes_txt.write_text(classes_txt_text(classes), encoding="utf-8")
    present = {i.split for i in store.items(dataset_id)}
    splits = {s: f"{s}/images" for s in SPLITS if s in present}
    layout.data_yaml.write_text(data_yaml_text(layout.root, classes, splits), encoding="utf-8")


def refresh_label_files(store: DatasetStore, dataset_id: int) -> None:
    """One YOLO txt per labeled image (empty for background), none for the others."""
    ds = store.get(dataset_id)
    if ds.task == "audio":
        return
    layout = store.layout(dataset_id)
    layout.create()
    boxes = store.boxes(dataset_id)
    wanted: set[str] = set()
    for item in store.items(dataset_id):
        if item.status == "unlabeled" or item.id is None:
            continue
        label = layout.label_for(item.filename)
        text = yolo_text(boxes.get(item.id, ()))
        wanted.add(label.name)
        if not label.is_file() or label.read_text(encoding="utf-8") != text:
            label.write_text(text, encoding="utf-8")
    for stale in layout.labels.glob("*.txt"):
        if stale.name not in wanted:
            stale.unlink()
    write_class_files(store, dataset_id)


def materialise_split(
    store: DatasetStore, dataset_id: int, assigned: dict[int, str], seed: int
) -> SplitReport:
    """Write the split folders for an assignment already stored, and count per class."""
    classes = dataset_classes(store.get(dataset_id))
    boxes = store.boxes(dataset_id)
    images = [
        SplitImage(i.id, i.filename, i.width or 0, i.height or 0, boxes.get(i.id, []))
        for i in store.items(dataset_id)
        if i.id is not None and i.id in assigned
    ]
    copied = write_split_folders(store.layout(dataset_id), assigned, images, classes)
    write_class_files(store, dataset_id)
    report = SplitReport(dataset_id, seed, copied_instead_of_linked=copied)
    for split in SPLITS:
        members = [im for im in images if assigned[im.image_id] == split]
        report.counts[split] = len(members)
        per_class = dict.fromkeys(classes, 0)
        for im in members:
            for cid in {b.class_id for b in im.boxes}:
                if cid < len(classes):
                    per_class[classes[cid]] += 1
        report.class_counts[split] = per_class
    return report


def split_coco_text(
    store: DatasetStore,
    dataset_id: int,
    split: str,
    image_id: int | None = None,
    image_boxes: Sequence[Box] = (),
) -> str:
    """The split's COCO JSON as :func:`materialise_split` writes it, from the database,
    with ``image_id``'s boxes replaced by ``image_boxes`` when given (the label editor
    stages the file before its edit is committed). Same rows, same bytes: undoing an
    edit gives back the file it was."""
    classes = dataset_classes(store.get(dataset_id))
    boxes = store.split_boxes(dataset_id, split)
    if image_id is not None:
        boxes[image_id] = list(image_boxes)
    images = [
        CocoImage(i.id, i.filename, i.width or 0, i.height or 0, boxes.get(i.id, []))
        for i in store.split_items(dataset_id, split)
        if i.id is not None
    ]
    return json.dumps(coco_document(images, classes))
