"""Train/val/test splits: by ratio, reproducible for a seed, stratified by class.

Each image is stratified by its rarest class (background images form their own
stratum); strata are shuffled with the seed and dealt out by largest deficit, so every
stratum, and the whole, gets each split's share to within one image.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tuitrain.datasets.boxes import Box
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.labels_coco import CocoImage, write_coco
from tuitrain.datasets.labels_yolo import yolo_text
from tuitrain.datasets.layout import COCO_SPLIT_FILE, SPLITS, DatasetLayout

BACKGROUND = -1


@dataclass(frozen=True, slots=True)
class SplitItem:
    image_id: int
    filename: str
    classes: frozenset[int]


@dataclass(slots=True)
class SplitReport:
    dataset_id: int
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    class_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # split -> class
    excluded_unlabeled: int = 0
    copied_instead_of_linked: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "dataset_id": self.dataset_id,
            "seed": self.seed,
            "counts": self.counts,
            "class_counts": self.class_counts,
            "excluded_unlabeled": self.excluded_unlabeled,
            "copied_instead_of_linked": self.copied_instead_of_linked,
        }


def check_ratios(val: float, test: float) -> dict[str, float]:
    if not 0.0 < val < 1.0:
        raise DatasetError(f"--val must be between 0 and 1 (exclusive), got {val:g}")
    if not 0.0 <= test < 1.0:
        raise DatasetError(f"--test must be between 0 and 1, got {test:g}")
    if val + test >= 1.0:
        raise DatasetError(f"--val + --test must leave images to train on, got {val + test:g}")
    return {"train": 1.0 - val - test, "val": val, "test": test}


def assign_splits(items: Sequence[SplitItem], val: float, test: float, seed: int) -> dict[int, str]:
    """Image id -> split. Same items, ratios and seed give the same answer."""
    shares = check_ratios(val, test)
    image_frequency: Counter[int] = Counter(c for item in items for c in item.classes)

    def stratum(item: SplitItem) -> int:
        if not item.classes:
            return BACKGROUND
        return min(item.classes, key=lambda c: (image_frequency[c], c))

    strata: dict[int, list[SplitItem]] = {}
    for item in sorted(items, key=lambda i: (i.filename, i.image_id)):
        strata.setdefault(stratum(item), []).append(item)
    rng = random.Random(seed)
    ordered: list[SplitItem] = []
    for key in sorted(strata):
        group = strata[key]
        rng.shuffle(group)
        ordered.extend(group)

    assigned: dict[int, str] = {}
    counts = dict.fromkeys(shares, 0)
    for n, item in enumerate(ordered, start=1):
        # The split furthest behind its share takes the next image.
        split = max(shares, key=lambda s: (shares[s] * n - counts[s], shares[s]))
        counts[split] += 1
        assigned[item.image_id] = split
    return assigned


@dataclass(frozen=True, slots=True)
class SplitImage:
    image_id: int
    filename: str
    width: int
    height: int
    boxes: Sequence[Box]


def write_split_folders(
    layout: DatasetLayout,
    assigned: Mapping[int, str],
    images: Sequence[SplitImage],
    classes: Sequence[str],
) -> int:
    """Rebuild ``train/``, ``val/``, ``test/``: image links, YOLO labels, COCO JSON.

    Returns how many images had to be copied because a link could not be made.
    """
    by_split: dict[str, list[SplitImage]] = {s: [] for s in SPLITS}
    for image in images:
        split = assigned.get(image.image_id)
        if split is not None:
            by_split[split].append(image)
    copied = 0
    for split in SPLITS:
        final = layout.split_dir(split)
        if not by_split[split]:
            if final.exists():
                shutil.rmtree(final)
            continue
        building = layout.root / f".{split}-{uuid.uuid4().hex}"
        try:
            copied += _build_split(layout, building, by_split[split], classes)
            if final.exists():
                shutil.rmtree(final)
            building.rename(final)
        finally:
            if building.exists():
                shutil.rmtree(building)
    return copied


def _build_split(
    layout: DatasetLayout, folder: Path, images: Sequence[SplitImage], classes: Sequence[str]
) -> int:
    (folder / "images").mkdir(parents=True)
    (folder / "labels").mkdir()
    copied = 0
    coco: list[CocoImage] = []
    for image in images:
        source = layout.images / image.filename
        link = folder / "images" / image.filename
        try:
            os.symlink(os.path.relpath(source, link.parent), link)
        except OSError:
            shutil.copy2(source, link)
            copied += 1
        label = folder / "labels" / (Path(image.filename).stem + ".txt")
        label.write_text(yolo_text(image.boxes), encoding="utf-8")
        coco.append(
            CocoImage(image.image_id, image.filename, image.width, image.height, image.boxes)
        )
    write_coco(folder / COCO_SPLIT_FILE, coco, classes)
    return copied
