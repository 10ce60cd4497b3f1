"""Boxes as labels carry them, before and after the class order of a dataset applies.

A :class:`LabelSet` is what a label reader produced: per image, boxes in the *source*
class numbering plus the problems found while reading. :func:`map_classes` turns
source ids into the dataset's canonical ids and reports ids it does not know.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

from tuitrain.datasets.errors import DatasetError

EDGE_TOLERANCE = 1e-6


@dataclass(frozen=True, slots=True)
class Box:
    """YOLO convention: centre and size, normalised to [0, 1]."""

    class_id: int
    x_center: float
    y_center: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class SourceBox:
    box: Box  # class_id in the source numbering
    where: str  # "line 3", "annotation 17": how the report names it


@dataclass(slots=True)
class ImageLabels:
    source: str  # the label file (or JSON entry) these came from
    boxes: list[SourceBox] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    declared_size: tuple[int, int] | None = None  # COCO's width and height


@dataclass(slots=True)
class LabelSet:
    format: Literal["yolo", "coco"]
    names: dict[int, str] | None  # source class id -> name, when the labels say
    by_key: dict[str, ImageLabels]
    key_kind: Literal["stem", "name"]  # YOLO matches by stem, COCO by file name
    notes: list[str] = field(default_factory=list)

    def key_for(self, filename: str) -> str:
        name = PurePath(filename).name
        return PurePath(name).stem if self.key_kind == "stem" else name

    def lookup(self, filename: str) -> ImageLabels | None:
        return self.by_key.get(self.key_for(filename))


@dataclass(frozen=True, slots=True)
class ClassMapping:
    classes: list[str]  # the canonical order after this import
    to_canonical: dict[int, int]  # source id -> canonical id
    added: list[str]


def coordinate_problem(x_center: float, y_center: float, width: float, height: float) -> str | None:
    """Why a normalised box is not acceptable, or None."""
    values = {"x_center": x_center, "y_center": y_center, "width": width, "height": height}
    for name, value in values.items():
        if not math.isfinite(value):
            return f"{name} is {value}"
        if value < 0.0 or value > 1.0:
            return f"{name} {value:g} out of range [0, 1]"
    if width <= 0.0 or height <= 0.0:
        return f"empty box (width {width:g}, height {height:g})"
    edges = (
        x_center - width / 2,
        y_center - height / 2,
        x_center + width / 2,
        y_center + height / 2,
    )
    if min(edges) < -EDGE_TOLERANCE or max(edges) > 1.0 + EDGE_TOLERANCE:
        return "box extends outside the image"
    return None


def map_classes(dataset_classes: list[str], names: dict[int, str] | None) -> ClassMapping:
    """Fit the source's classes into the dataset's canonical order (new names append)."""
    if names is None:
        if not dataset_classes:
            raise DatasetError(
                "the labels name no classes: give --classes when creating the dataset, "
                "or put classes.txt or data.yaml beside the labels"
            )
        return ClassMapping(list(dataset_classes), {i: i for i in range(len(dataset_classes))}, [])
    classes = list(dataset_classes)
    added: list[str] = []
    mapping: dict[int, int] = {}
    for source_id in sorted(names):
        name = names[source_id]
        if name not in classes:
            classes.append(name)
            added.append(name)
        mapping[source_id] = classes.index(name)
    return ClassMapping(classes, mapping, added)


def canonical_boxes(labels: ImageLabels, mapping: ClassMapping) -> tuple[list[Box], list[str]]:
    """The image's boxes in canonical ids, and every problem (reading and unknown ids)."""
    problems = list(labels.problems)
    boxes: list[Box] = []
    known = _describe_ids(sorted(mapping.to_canonical))
    for item in labels.boxes:
        canonical = mapping.to_canonical.get(item.box.class_id)
        if canonical is None:
            problems.append(f"{item.where}: class id {item.box.class_id} unknown ({known})")
            continue
        b = item.box
        boxes.append(Box(canonical, b.x_center, b.y_center, b.width, b.height))
    return boxes, problems


def _describe_ids(ids: list[int]) -> str:
    if not ids:
        return "no classes known"
    if ids == list(range(ids[0], ids[-1] + 1)):
        return f"known: {ids[0]}..{ids[-1]}"
    return "known: " + ", ".join(map(str, ids))
