"""Datasets for the DETR runner: a COCO folder (Roboflow's export, or tuitrain's) or a
YOLO ``data.yaml``, read into COCO-style records without pycocotools.

Layouts accepted:

- Roboflow COCO: ``train/_annotations.coco.json`` (images beside it), ``valid/`` (or
  ``val/``) likewise;
- tuitrain's COCO export: ``annotations.json`` with the images in ``images/``;
- a YOLO ``data.yaml`` (``path``, ``train``, ``val``, ``names``): labels are read from
  the ``labels/`` folder parallel to each ``images/`` folder and converted.

Without a validation split, every fifth image is held out (the only image is used for
both when there is one). Class ids become contiguous labels ``0..N-1`` (``id2label``);
Roboflow's first category, which only groups the others, is not a class.

Runs inside the training environment: standard library, PIL and PyYAML only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class DatasetProblem(Exception):
    """A dataset that cannot be trained on; the message says why."""


@dataclass
class Split:
    """Images of one split: (path, width, height, [(label, [x, y, w, h]), ...])."""

    images: list[tuple[str, int, int, list[tuple[int, list[float]]]]] = field(default_factory=list)


@dataclass
class DetectionData:
    train: Split
    val: Split
    id2label: dict[int, str]


def load_detection_data(path: str) -> DetectionData:
    """The dataset at ``path`` (a COCO folder or a data.yaml), or :class:`DatasetProblem`."""
    if path.lower().endswith((".yaml", ".yml")):
        data = _from_yolo_yaml(path)
    else:
        data = _from_coco_folder(path)
    if not data.train.images:
        raise DatasetProblem(f"{path}: no training images")
    if not data.val.images:
        data.train, data.val = _hold_out(data.train)
    if not data.id2label:
        raise DatasetProblem(f"{path}: no classes")
    return data


def _hold_out(split: Split) -> tuple[Split, Split]:
    if len(split.images) == 1:
        return split, Split(list(split.images))
    held = {i for i in range(len(split.images)) if i % 5 == 4} or {len(split.images) - 1}
    train = [im for i, im in enumerate(split.images) if i not in held]
    val = [im for i, im in enumerate(split.images) if i in held]
    return Split(train), Split(val)


# -- COCO ------------------------------------------------------------------------------
def _from_coco_folder(folder: str) -> DetectionData:
    roboflow = os.path.join(folder, "train", "_annotations.coco.json")
    if os.path.isfile(roboflow):
        docs = {"train": roboflow}
        for name in ("valid", "val"):
            candidate = os.path.join(folder, name, "_annotations.coco.json")
            if os.path.isfile(candidate):
                docs["val"] = candidate
                break
    elif os.path.isfile(os.path.join(folder, "annotations.json")):
        docs = {"train": os.path.join(folder, "annotations.json")}
    else:
        raise DatasetProblem(
            f"{folder}: no COCO annotations (train/_annotations.coco.json or annotations.json)"
        )
    loaded = {split: _read_json(p) for split, p in docs.items()}
    labels = _coco_labels(loaded["train"])
    id2label = {index: name for index, (_cid, name) in enumerate(labels)}
    to_label = {cid: index for index, (cid, _name) in enumerate(labels)}
    splits = {s: _coco_split(doc, os.path.dirname(docs[s]), to_label) for s, doc in loaded.items()}
    return DetectionData(splits["train"], splits.get("val", Split()), id2label)


def _read_json(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as exc:
        raise DatasetProblem(f"cannot read {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise DatasetProblem(f"{path} is not a COCO document")
    return doc


def _coco_labels(doc: dict[str, Any]) -> list[tuple[int, str]]:
    """(category id, name) of the classes, in id order."""
    cats = [c for c in doc.get("categories") or [] if isinstance(c, dict)]
    used = {a.get("category_id") for a in doc.get("annotations") or [] if isinstance(a, dict)}
    out = []
    for index, cat in enumerate(cats):
        others = cats[:index] + cats[index + 1 :]
        groups = bool(others) and all(o.get("supercategory") == cat.get("name") for o in others)
        if index == 0 and groups and cat.get("id") not in used:
            continue  # Roboflow's grouping category
        out.append((int(cat["id"]), str(cat.get("name", cat["id"]))))
    return sorted(out)


def _coco_split(doc: dict[str, Any], folder: str, to_label: dict[int, int]) -> Split:
    boxes: dict[Any, list[tuple[int, list[float]]]] = {}
    for ann in doc.get("annotations") or []:
        cid = ann.get("category_id")
        if cid in to_label and len(ann.get("bbox") or []) == 4:
            boxes.setdefault(ann.get("image_id"), []).append(
                (to_label[cid], [float(v) for v in ann["bbox"]])
            )
    split = Split()
    for image in doc.get("images") or []:
        name = str(image.get("file_name", ""))
        path = next(
            (p for p in (os.path.join(folder, name), os.path.join(folder, "images", name))
             if os.path.isfile(p)),
            None,
        )  # fmt: skip
        if path is None:
            raise DatasetProblem(f"image {name} of {folder} not found")
        width, height = int(image.get("width") or 0), int(image.get("height") or 0)
        if not width or not height:
            width, height = _image_size(path)
        split.images.append((path, width, height, boxes.get(image.get("id"), [])))
    return split


def _image_size(path: str) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as img:
        return int(img.width), int(img.height)


# -- YOLO ------------------------------------------------------------------------------
def _from_yolo_yaml(path: str) -> DetectionData:
    import yaml  # type: ignore[import-untyped]

    try:
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DatasetProblem(f"cannot read {path}: {exc}") from exc
    root = str(doc.get("path") or ".")
    if not os.path.isabs(root):
        root = os.path.join(os.path.dirname(os.path.abspath(path)), root)
    names = doc.get("names") or {}
    if isinstance(names, list):
        names = dict(enumerate(names))
    id2label = {int(k): str(v) for k, v in sorted(names.items())}
    splits = {}
    for split in ("train", "val"):
        entry = doc.get(split)
        splits[split] = _yolo_split(root, entry, len(id2label)) if entry else Split()
    return DetectionData(splits["train"], splits["val"], id2label)


def _yolo_split(root: str, entry: Any, classes: int) -> Split:
    entries = entry if isinstance(entry, list) else [entry]
    images: list[str] = []
    for item in entries:
        where = item if os.path.isabs(item) else os.path.join(root, item)
        if os.path.isdir(where):
            for dirpath, _dirs, files in sorted(os.walk(where)):
                images += [os.path.join(dirpath, f) for f in sorted(files)
                           if f.lower().endswith(IMAGE_SUFFIXES)]  # fmt: skip
        elif os.path.isfile(where):
            with open(where, encoding="utf-8") as fh:
                images += [os.path.join(root, line.strip()) for line in fh if line.strip()]
    split = Split()
    for image in images:
        width, height = _image_size(image)
        split.images.append((image, width, height, _yolo_boxes(image, width, height, classes)))
    return split


def _yolo_boxes(image: str, width: int, height: int, classes: int) -> list[tuple[int, list[float]]]:
    head, _, tail = image.rpartition(f"{os.sep}images{os.sep}")
    label = os.path.splitext(f"{head}{os.sep}labels{os.sep}{tail}" if head else image)[0] + ".txt"
    out: list[tuple[int, list[float]]] = []
    if not os.path.isfile(label):
        return out
    with open(label, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 5 or not 0 <= int(parts[0]) < classes:
                continue
            xc, yc, w, h = (float(v) for v in parts[1:5])
            box = [(xc - w / 2) * width, (yc - h / 2) * height, w * width, h * height]
            out.append((int(parts[0]), box))
    return out
