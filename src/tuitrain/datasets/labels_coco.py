"""COCO JSON labels: ``images``, ``annotations`` (``bbox`` = x, y, width, height in
pixels) and ``categories``.

Reading normalises boxes with the image size the JSON declares; the importer checks
that size against the real image. Writing uses the dataset's class ids as category ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, TypeGuard

from tuitrain.datasets.boxes import Box, ImageLabels, LabelSet, SourceBox, coordinate_problem
from tuitrain.datasets.errors import DatasetError


@dataclass(frozen=True, slots=True)
class CocoImage:
    image_id: int
    file_name: str
    width: int
    height: int
    boxes: Sequence[Box]


def read_coco_labels(path: Path) -> LabelSet:
    """Labels of a COCO file, keyed by image file name (without folders)."""
    shown = path.name
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DatasetError(f"cannot read COCO file {path}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{shown}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise DatasetError(f"{shown}: expected a JSON object with images, annotations, categories")
    images = _list_of_objects(doc, "images", shown)
    annotations = _list_of_objects(doc, "annotations", shown, required=False)
    categories = _list_of_objects(doc, "categories", shown)

    names = _category_names(categories, annotations, shown)
    by_key: dict[str, ImageLabels] = {}
    by_id: dict[Any, ImageLabels] = {}
    notes: list[str] = []
    for entry in images:
        image_id, file_name = entry.get("id"), entry.get("file_name")
        width, height = entry.get("width"), entry.get("height")
        if not isinstance(file_name, str) or not file_name:
            notes.append(f"{shown}: image id {image_id!r} has no file_name, ignored")
            continue
        key = PurePath(file_name.replace("\\", "/")).name
        labels = ImageLabels(source=f"{shown} image {key}")
        if _positive_int(width) and _positive_int(height):
            labels.declared_size = (width, height)
        else:
            labels.problems.append(f"{labels.source}: width/height missing or not positive")
        if key in by_key:
            notes.append(f"{shown}: image {key!r} listed twice, the second ignored")
            continue
        by_key[key] = labels
        by_id[image_id] = labels
    for number, ann in enumerate(annotations):
        where = f"{shown} annotation {ann.get('id', number)}"
        labels_for = by_id.get(ann.get("image_id"))
        if labels_for is None:
            notes.append(f"{where}: image_id {ann.get('image_id')!r} is not in images, ignored")
            continue
        _add_annotation(labels_for, ann, where)
    return LabelSet("coco", names, by_key, "name", notes)


def _add_annotation(labels: ImageLabels, ann: dict[str, Any], where: str) -> None:
    category = ann.get("category_id")
    bbox = ann.get("bbox")
    if not isinstance(category, int) or isinstance(category, bool):
        labels.problems.append(f"{where}: category_id {category!r} is not an integer")
        return
    if (
        not isinstance(bbox, list)
        or len(bbox) != 4
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bbox)
    ):
        labels.problems.append(f"{where}: bbox must be 4 numbers [x, y, width, height]")
        return
    if labels.declared_size is None:
        return  # already reported for the image
    img_w, img_h = labels.declared_size
    x, y, w, h = (float(v) for v in bbox)
    box = Box(category, (x + w / 2) / img_w, (y + h / 2) / img_h, w / img_w, h / img_h)
    problem = coordinate_problem(box.x_center, box.y_center, box.width, box.height)
    if problem:
        labels.problems.append(f"{where}: {problem} (bbox {bbox} in a {img_w}x{img_h} image)")
        return
    labels.boxes.append(SourceBox(box, where))


def _category_names(
    categories: list[dict[str, Any]], annotations: list[dict[str, Any]], shown: str
) -> dict[int, str]:
    """Category id -> name. A category that only groups others (Roboflow's id 0, the
    supercategory of every class) and has no boxes of its own is not a class."""
    used = {a.get("category_id") for a in annotations}
    names: dict[int, str] = {}
    for index, cat in enumerate(categories):
        cid, name = cat.get("id"), cat.get("name")
        if not isinstance(cid, int) or not isinstance(name, str) or not name.strip():
            raise DatasetError(f"{shown}: category {cat!r} needs an integer id and a name")
        others = categories[:index] + categories[index + 1 :]
        groups_the_others = bool(others) and all(o.get("supercategory") == name for o in others)
        if index == 0 and groups_the_others and cid not in used:
            continue
        names[cid] = name.strip()
    return names


def _list_of_objects(
    doc: dict[str, Any], key: str, shown: str, required: bool = True
) -> list[dict[str, Any]]:
    value = doc.get(key)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise DatasetError(f"{shown}: {key!r} must be a list of objects")
    return value


def _positive_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def coco_document(images: Sequence[CocoImage], classes: Sequence[str]) -> dict[str, Any]:
    """A COCO detection document; category ids are the dataset's class ids."""
    out_images: list[dict[str, Any]] = []
    out_annotations: list[dict[str, Any]] = []
    for image in images:
        out_images.append(
            {
                "id": image.image_id,
                "file_name": image.file_name,
                "width": image.width,
                "height": image.height,
            }
        )
        for box in image.boxes:
            w, h = box.width * image.width, box.height * image.height
            x, y = box.x_center * image.width - w / 2, box.y_center * image.height - h / 2
            out_annotations.append(
                {
                    "id": len(out_annotations) + 1,
                    "image_id": image.image_id,
                    "category_id": box.class_id,
                    "bbox": [x, y, w, h],
                    "area": w * h,
                    "iscrowd": 0,
                }
            )
    return {
        "info": {"description": "exported by tuitrain"},
        "images": out_images,
        "annotations": out_annotations,
        "categories": [
            {"id": i, "name": name, "supercategory": name} for i, name in enumerate(classes)
        ],
    }


def write_coco(path: Path, images: Sequence[CocoImage], classes: Sequence[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(coco_document(images, classes)), encoding="utf-8")
    tmp.replace(path)
